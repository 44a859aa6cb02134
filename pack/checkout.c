/* A clean checkout of one commit; see checkout.h. */
#include "pack/checkout.h"
#include "pack/libgit2.h"

static const struct libgit2 *lg; /* set by pack_checkout */

static int git_fail(struct err *err, enum err_kind kind, const char *what)
{
	const git_error *e = lg->git_error_last();

	return fail_kind(err, kind, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

int pack_checkout(const char *source, const char *commit, const char *dir, struct err *err)
{
	git_clone_options opts;
	git_checkout_options co;
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_oid oid;
	int rc = -1;

	if (!(lg = libgit2_load(err)))
		return -1;
	lg->git_libgit2_init();
	lg->git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	if (lg->git_oid_fromstr(&oid, commit) < 0) {
		fail(err, "the recorded commit '%.64s' is not a git commit id", commit);
		goto out;
	}
	if (lg->git_clone(&repo, source, dir, &opts) < 0) {
		git_fail(err, ERR_SYSTEM, "cannot clone the source");
		goto out;
	}
	if (lg->git_object_lookup(&obj, repo, &oid, GIT_OBJECT_COMMIT) < 0) {
		git_fail(err, ERR_REFUSED, "the recorded commit is not in the source");
		goto out;
	}
	lg->git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (lg->git_checkout_tree(repo, obj, &co) < 0 ||
	    lg->git_repository_set_head_detached(repo, &oid) < 0) {
		git_fail(err, ERR_SYSTEM, "cannot check out the recorded commit");
		goto out;
	}
	rc = 0;
out:
	lg->git_object_free(obj);
	lg->git_repository_free(repo);
	lg->git_error_clear();
	lg->git_libgit2_shutdown();
	return rc;
}
