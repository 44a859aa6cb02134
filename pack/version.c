#include "pack/version.h"
#include "pack/libgit2.h"
#include "release/base/error.h"

#include <stdio.h>
#include <string.h>

static const struct libgit2 *lg; /* set by repo_version_read */

static int repo_fail(struct err *err, const char *what)
{
	const git_error *e = lg->git_error_last();

	return fail_kind(err, ERR_SYSTEM, "%s: %s", what,
	                 e && e->message ? e->message : "unknown libgit2 error");
}

/* Dirty as `git describe --dirty` sees it: tracked changes only, index or work tree. */
static int is_dirty(git_repository *repo, bool *dirty, struct err *err)
{
	git_status_options opts;
	git_status_list *list = NULL;
	size_t i, n;

	lg->git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = 0; /* no untracked, no ignored files */
	if (lg->git_status_list_new(&list, repo, &opts) < 0)
		return repo_fail(err, "cannot read the git status");
	*dirty = false;
	n = lg->git_status_list_entrycount(list);
	for (i = 0; i < n; i++) {
		const git_status_entry *e = lg->git_status_byindex(list, i);

		if (e->status != GIT_STATUS_CURRENT &&
		    !(e->status & (GIT_STATUS_WT_NEW | GIT_STATUS_IGNORED))) {
			*dirty = true;
			break;
		}
	}
	lg->git_status_list_free(list);
	return 0;
}

struct head_tags {
	const git_oid *head;
	git_repository *repo;
	char best[256];
	bool best_annotated;
};

static int on_tag(const char *name, git_oid *oid, void *payload)
{
	struct head_tags *ht = payload;
	git_object *obj = NULL, *peeled = NULL;
	bool annotated;
	const char *shortname = name;

	if (!strncmp(shortname, "refs/tags/", 10))
		shortname += 10;
	if (lg->git_object_lookup(&obj, ht->repo, oid, GIT_OBJECT_ANY) < 0) {
		lg->git_error_clear();
		return 0;
	}
	annotated = lg->git_object_type(obj) == GIT_OBJECT_TAG;
	if (lg->git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0 &&
	    lg->git_oid_equal(lg->git_object_id(peeled), ht->head) &&
	    strlen(shortname) < sizeof(ht->best)) {
		/* As git: an annotated tag beats a lightweight one; then the first by name. */
		if (!ht->best[0] || (annotated && !ht->best_annotated) ||
		    (annotated == ht->best_annotated && strcmp(shortname, ht->best) < 0)) {
			strcpy(ht->best, shortname);
			ht->best_annotated = annotated;
		}
	}
	lg->git_error_clear();
	lg->git_object_free(peeled);
	lg->git_object_free(obj);
	return 0;
}

/* libgit2 1.5 cannot walk past the boundary of a shallow clone (CI checkouts are often
 * --depth 1), where git describe simply stops. Within the history a depth-1 clone has, the
 * answer is a tag on HEAD itself, else the abbreviated commit id. */
static int describe_shallow(git_repository *repo, git_object *head, git_buf *out, struct err *err)
{
	struct head_tags ht;

	memset(&ht, 0, sizeof(ht));
	ht.head = lg->git_object_id(head);
	ht.repo = repo;
	if (lg->git_tag_foreach(repo, on_tag, &ht) < 0)
		return repo_fail(err, "cannot list the tags");
	if (ht.best[0])
		return lg->git_buf_set(out, ht.best, strlen(ht.best)) < 0 ? fail_oom(err) : 0;
	if (lg->git_object_short_id(out, head) < 0)
		return repo_fail(err, "cannot abbreviate the commit id");
	return 0;
}

int repo_version_read(const char *dir, struct repo_version *out, struct err *err)
{
	git_repository *repo = NULL;
	git_object *head = NULL;
	git_describe_result *desc = NULL;
	git_buf buf = {0};
	git_describe_options dopts;
	git_describe_format_options fopts;
	int r = -1, gr;

	memset(out, 0, sizeof(*out));
	if (!(lg = libgit2_load(err)))
		return -1;
	lg->git_describe_options_init(&dopts, GIT_DESCRIBE_OPTIONS_VERSION);
	lg->git_describe_format_options_init(&fopts, GIT_DESCRIBE_FORMAT_OPTIONS_VERSION);
	lg->git_libgit2_init();
	gr = lg->git_repository_open_ext(&repo, dir, 0, NULL);
	if (gr == GIT_ENOTFOUND) {
		r = 0;
		goto out;
	}
	if (gr < 0) {
		repo_fail(err, "cannot open the git repository");
		goto out;
	}
	if (lg->git_repository_is_bare(repo)) {
		r = 0;
		goto out;
	}
	out->in_git = true;
	if (lg->git_revparse_single(&head, repo, "HEAD^{commit}") < 0) {
		repo_fail(err, "cannot resolve HEAD (a repository without commits?)");
		goto out;
	}
	lg->git_oid_tostr(out->commit, sizeof(out->commit), lg->git_object_id(head));
	out->commit_time = (int64_t)lg->git_commit_time((git_commit *)head);
	if (is_dirty(repo, &out->dirty, err) < 0)
		goto out;
	dopts.describe_strategy = GIT_DESCRIBE_TAGS;
	dopts.show_commit_oid_as_fallback = 1;
	if (lg->git_describe_commit(&desc, head, &dopts) < 0) {
		if (!lg->git_repository_is_shallow(repo)) {
			repo_fail(err, "git describe failed");
			goto out;
		}
		lg->git_error_clear();
		if (describe_shallow(repo, head, &buf, err) < 0)
			goto out;
	} else {
		fopts.abbreviated_size = 7;
		if (lg->git_describe_format(&buf, desc, &fopts) < 0) {
			repo_fail(err, "git describe failed");
			goto out;
		}
	}
	if (snprintf(out->describe, sizeof(out->describe), "%s%s", buf.ptr,
	             out->dirty ? "-dirty" : "") >= (int)sizeof(out->describe)) {
		fail_kind(err, ERR_SYSTEM, "git describe result is too long");
		goto out;
	}
	r = 0;
out:
	lg->git_buf_dispose(&buf);
	lg->git_describe_result_free(desc);
	lg->git_object_free(head);
	lg->git_repository_free(repo);
	lg->git_libgit2_shutdown();
	return r;
}
