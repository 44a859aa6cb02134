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

int current_version(const char *root, char *buf, size_t cap, char *err)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *v;
	ssize_t n;

	snprintf(link, sizeof(link), "%s/current", root);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno == ENOENT)
			return fail(err,
			            "%s does not exist: no release is active (run slipway "
			            "activate or deploy first)",
			            link);
		if (errno == EINVAL)
			return fail(err, "%s is not a symlink", link);
		return fail(err, "cannot read %s: %s", link, strerror(errno));
	}
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	v = strrchr(target, '/');
	v = v ? v + 1 : target;
	if (strncmp(target, "releases/", 9) || strchr(target + 9, '/') || !*v || !strcmp(v, ".") ||
	    !strcmp(v, ".."))
		return fail(err, "%s points at %s, not into releases/", link, target);
	if (strlen(v) >= cap)
		return fail(err, "%s: version name too long", link);
	strcpy(buf, v);
	return 0;
}

int release_load(const char *root, const char *version, struct loaded_release *out, char *err)
{
	char path[PATH_MAX], *json = NULL;
	size_t len = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (asprintf(&out->dir, "%s/releases/%s", root, version) < 0) {
		out->dir = NULL;
		return fail(err, "out of memory");
	}
	if (!(out->version = strdup(version))) {
		fail(err, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", out->dir, MANIFEST_NAME);
	if (read_file_at(AT_FDCWD, path, MANIFEST_MAX_BYTES, 1, &json, &len, err) < 0)
		goto out;
	if (manifest_parse(json, len, &out->m, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	if (out->m->n_services == 0) {
		fail(err, "release %s declares no service to run", version);
		rc = 1;
		goto out;
	}
	rc = release_load_env(root, out, err);
	if (rc != 0)
		goto out;
	rc = 0;
out:
	free(json);
	if (rc != 0)
		loaded_release_free(out);
	return rc;
}

int release_load_env(const char *root, struct loaded_release *r, char *err)
{
	char path[PATH_MAX], missing[512];
	int absent = 0;

	envfile_release(&r->env);
	snprintf(path, sizeof(path), "%s/shared/env", root);
	if (envfile_load(path, 1, &r->env, &absent, err) < 0)
		return 1;
	if (envfile_missing(&r->env, r->m->secrets_required, r->m->n_secrets_required, missing,
	                    sizeof(missing))) {
		envfile_release(&r->env);
		return fail(err, "required secrets missing or empty in %s: %s", path, missing), 1;
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
