#include "runtime/current.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int current_version(const char *root, char *buf, size_t cap, struct err *err)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *v;
	ssize_t n;

	snprintf(link, sizeof(link), "%s/current", root);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno == ENOENT)
			return fail_kind(err, ERR_SYSTEM,
			                 "%s does not exist: no release is active (run slipway "
			                 "activate or deploy first)",
			                 link);
		if (errno == EINVAL)
			return fail_kind(err, ERR_SYSTEM, "%s is not a symlink", link);
		return fail_sys(err, "cannot read %s", link);
	}
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	v = strrchr(target, '/');
	v = v ? v + 1 : target;
	if (strncmp(target, "releases/", 9) || strchr(target + 9, '/') || !*v || !strcmp(v, ".") ||
	    !strcmp(v, ".."))
		return fail_kind(err, ERR_SYSTEM, "%s points at %s, not into releases/", link,
		                 target);
	if (strlen(v) >= cap)
		return fail_kind(err, ERR_SYSTEM, "%s: version name too long", link);
	strcpy(buf, v);
	return 0;
}

int release_load(const char *root, const char *version, struct loaded_release *out, struct err *err)
{
	char path[PATH_MAX], *json = NULL;
	size_t len = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (asprintf(&out->dir, "%s/releases/%s", root, version) < 0) {
		out->dir = NULL;
		return fail_oom(err);
	}
	if (!(out->version = strdup(version))) {
		fail_oom(err);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", out->dir, MANIFEST_NAME);
	if (read_file_at(AT_FDCWD, path, MANIFEST_MAX_BYTES, 1, &json, &len, err) < 0)
		goto out;
	if (manifest_parse(json, len, &out->m, err) < 0) {
		/* Installed releases were checked: a bad manifest here is a damaged store. */
		fail_recast(err, ERR_SYSTEM);
		fail_prefix(err, "%s", path);
		goto out;
	}
	if (out->m->n_services == 0) {
		fail(err, "release %s declares no service to run", version);
		goto out;
	}
	if (release_load_env(root, out, err) < 0)
		goto out;
	rc = 0;
out:
	free(json);
	if (rc < 0)
		loaded_release_free(out);
	return rc;
}

int release_load_env(const char *root, struct loaded_release *r, struct err *err)
{
	char path[PATH_MAX], missing[512];
	int absent = 0;

	envfile_release(&r->env);
	snprintf(path, sizeof(path), "%s/shared/env", root);
	/* Whatever is wrong with the env file, the release cannot run: a verdict. */
	if (envfile_load(path, 1, &r->env, &absent, err) < 0)
		return fail_recast(err, ERR_REFUSED);
	if (envfile_missing(&r->env, r->m->secrets_required, r->m->n_secrets_required, missing,
	                    sizeof(missing))) {
		envfile_release(&r->env);
		return fail(err, "required secrets missing or empty in %s: %s", path, missing);
	}
	return 0;
}

void loaded_release_free(struct loaded_release *r)
{
	free(r->dir);
	free(r->version);
	if (r->m)
		manifest_free(r->m);
	envfile_release(&r->env);
	memset(r, 0, sizeof(*r));
}
