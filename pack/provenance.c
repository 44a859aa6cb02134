/* pack's provenance; see provenance.h. */
#include "pack/provenance.h"
#include "pack/libgit2.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/sig/provenance.h"

#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int sha256_file(const char *path, char hex[65], struct err *err)
{
	unsigned char buf[1 << 16], md[32];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int fd = open_regular_at(AT_FDCWD, path, 0, NULL, err);
	ssize_t n;

	if (fd < 0 || !h || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h);
		if (fd >= 0)
			close(fd);
		return fd < 0 ? -1 : fail_oom(err);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(h, buf, (size_t)n);
	close(fd);
	EVP_DigestFinal_ex(h, md, NULL);
	EVP_MD_CTX_free(h);
	if (n < 0)
		return fail_sys(err, "cannot read %s", path);
	hex_encode(md, 32, hex);
	return 0;
}

/* The origin remote's URL and the branch HEAD is on, from the project's repository. The
 * URL is read from the configuration as written: git_remote_lookup would also apply
 * url.*.insteadOf, and Debian's libgit2 1.5 leaks pcre2 match data on each config key
 * that rule's pattern does not match (git_regexp_match returns before freeing it). */
static void git_facts(const char *project, char *repo, size_t repo_n, char *ref, size_t ref_n)
{
	git_repository *r = NULL;
	git_config *cfg = NULL;
	git_reference *head = NULL;
	const char *url = NULL;
	const struct libgit2 *lg = libgit2_load(&(struct err){0}); /* no facts without it */

	if (!lg)
		return;
	lg->git_libgit2_init();
	if (lg->git_repository_open_ext(&r, project, 0, NULL) == 0) {
		if (lg->git_repository_config_snapshot(&cfg, r) == 0 &&
		    lg->git_config_get_string(&url, cfg, "remote.origin.url") == 0 && url)
			snprintf(repo, repo_n, "%s", url);
		if (lg->git_repository_head(&head, r) == 0 && !lg->git_repository_head_detached(r))
			snprintf(ref, ref_n, "%s", lg->git_reference_name(head));
	}
	lg->git_reference_free(head);
	lg->git_config_free(cfg);
	lg->git_repository_free(r);
	lg->git_error_clear();
	lg->git_libgit2_shutdown();
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int pack_provenance_write(const char *project, const char *archive, const char *commit,
                          const char *build_command, long long started,
                          const struct minisign_seckey *sk, struct err *err)
{
	char sha[65], repo[1024] = "", ref[512] = "", builder[1024], host[256] = "",
	              invocation[512] = "", *path = NULL, *line = NULL, *base = strdup(archive);
	struct provenance_facts f = {0};
	size_t len = 0;
	int rc = -1;

	if (!base || asprintf(&path, "%s" PROVENANCE_SUFFIX, archive) < 0) {
		free(base);
		return fail_oom(err);
	}
	if (sha256_file(archive, sha, err) < 0)
		goto out;
	git_facts(project, repo, sizeof(repo), ref, sizeof(ref));
	if (env("GITHUB_SERVER_URL") && env("GITHUB_REPOSITORY"))
		snprintf(repo, sizeof(repo), "%s/%s", env("GITHUB_SERVER_URL"),
		         env("GITHUB_REPOSITORY"));
	if (env("SLIPWAY_SOURCE_REPOSITORY"))
		snprintf(repo, sizeof(repo), "%s", env("SLIPWAY_SOURCE_REPOSITORY"));
	if (env("GITHUB_REF"))
		snprintf(ref, sizeof(ref), "%s", env("GITHUB_REF"));
	if (env("SLIPWAY_SOURCE_REF"))
		snprintf(ref, sizeof(ref), "%s", env("SLIPWAY_SOURCE_REF"));
	gethostname(host, sizeof(host) - 1);
	snprintf(builder, sizeof(builder), "local:%s", host);
	if (env("GITHUB_ACTIONS") && env("GITHUB_SERVER_URL") && env("GITHUB_WORKFLOW_REF"))
		snprintf(builder, sizeof(builder), "%s/%s", env("GITHUB_SERVER_URL"),
		         env("GITHUB_WORKFLOW_REF"));
	if (env("SLIPWAY_BUILDER_ID"))
		snprintf(builder, sizeof(builder), "%s", env("SLIPWAY_BUILDER_ID"));
	if (env("GITHUB_RUN_ID") && env("GITHUB_SERVER_URL") && env("GITHUB_REPOSITORY"))
		snprintf(invocation, sizeof(invocation), "%s/%s/actions/runs/%s/attempts/%s",
		         env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID"),
		         env("GITHUB_RUN_ATTEMPT") ? env("GITHUB_RUN_ATTEMPT") : "1");
	f.subject_name = basename(base);
	f.subject_sha256 = sha;
	f.repository = repo;
	f.ref = ref;
	f.commit = commit;
	f.build_command = build_command ? build_command : "";
	f.builder_id = builder;
	f.invocation_id = invocation;
	f.started_on = started;
	f.finished_on = (long long)time(NULL);
	if (provenance_sign(&f, sk, &line, &len, err) < 0 ||
	    write_path_atomic(path, line, len, 0644, 0, err) < 0)
		goto out;
	rc = 0;
out:
	free(line);
	free(path);
	free(base);
	return rc;
}
