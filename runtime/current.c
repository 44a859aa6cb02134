#include "runtime/current.h"
#include "release/base/error.h"
#include "release/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The runtime reads the store only through release/store/store.h: the same rules for
 * `current` as status and activate, no path of its own. */

int current_version(const char *root, char *buf, size_t cap, struct err *err)
{
	struct store st;
	char *v = NULL;
	int rc;

	if (store_open(root, &st, err) < 0)
		return -1;
	rc = store_current_release(&st, &v, NULL, NULL, err);
	store_close(&st);
	if (rc < 0)
		return -1;
	if (strlen(v) >= cap)
		rc =
		    fail_kind(err, ERR_SYSTEM, "%s/" STORE_CURRENT ": version name too long", root);
	else
		strcpy(buf, v);
	free(v);
	return rc;
}

static int load_env(struct store *st, struct loaded_release *r, struct err *err)
{
	char *path = store_env_path(st), missing[512];
	int absent = 0, rc = -1;

	envfile_release(&r->env);
	if (!path)
		return fail_oom(err);
	/* Whatever is wrong with the env file, the release cannot run: a verdict. */
	if (envfile_load(path, 1, &r->env, &absent, err) < 0)
		fail_recast(err, ERR_REFUSED);
	else if (envfile_missing(&r->env, r->m->secrets_required, r->m->n_secrets_required, missing,
	                         sizeof(missing)))
		fail(err, "required secrets missing or empty in %s: %s", path, missing);
	else
		rc = 0;
	if (rc < 0)
		envfile_release(&r->env);
	free(path);
	return rc;
}

int release_load(const char *root, const char *version, struct loaded_release *out, struct err *err)
{
	struct store st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (store_open(root, &st, err) < 0)
		return -1;
	if (!(out->dir = store_release_dir(&st, version)) || !(out->version = strdup(version))) {
		fail_oom(err);
		goto out;
	}
	if (store_read_manifest(&st, version, &out->m, err) < 0) {
		/* Installed releases were checked: a bad manifest here is a damaged store. */
		fail_recast(err, ERR_SYSTEM);
		fail_prefix(err, "release %s", version);
		goto out;
	}
	if (out->m->n_services == 0) {
		fail(err, "release %s declares no service to run", version);
		goto out;
	}
	for (size_t i = 0; i < out->m->n_services; i++)
		if (manifest_service_runs_nextjs(out->m, &out->m->services[i])) {
			if (store_action_key(&st, out->action_key, err) < 0)
				goto out;
			break;
		}
	rc = load_env(&st, out, err);
out:
	store_close(&st);
	if (rc < 0)
		loaded_release_clear(out);
	return rc;
}

int release_load_env(const char *root, struct loaded_release *r, struct err *err)
{
	struct store st;
	int rc;

	if (store_open(root, &st, err) < 0)
		return -1;
	rc = load_env(&st, r, err);
	store_close(&st);
	return rc;
}

void loaded_release_clear(struct loaded_release *r)
{
	free(r->dir);
	free(r->version);
	if (r->m)
		manifest_free(r->m);
	envfile_release(&r->env);
	OPENSSL_cleanse(r->action_key, sizeof(r->action_key));
	memset(r, 0, sizeof(*r));
}
