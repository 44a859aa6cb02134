/* The release `current` points at, loaded for running: its directory, version, manifest and
 * the store's env file with the required secrets checked (specs/runtime.md, "Environment").
 * The store is read only through release/store/store.h (specs/store.md). */
#ifndef SLIPWAY_RUNTIME_CURRENT_H
#define SLIPWAY_RUNTIME_CURRENT_H

#include "release/base/error.h"
#include <stddef.h>

#include "release/manifest/manifest.h"
#include "release/store/store.h"
#include "runtime/envfile.h"

struct loaded_release {
	char *dir;     /* absolute: ROOT/releases/<version> */
	char *version; /* the directory name */
	struct manifest *m;
	struct envfile env;
	/* The store's Next.js Server Actions key (store_action_key), NUL-terminated, when the
	 * release has a Next.js service (manifest_service_runs_nextjs); "" otherwise. A secret:
	 * wiped by loaded_release_clear, never printed. */
	char action_key[STORE_ACTION_KEY_LEN + 1];
};

/* The version `current` names into buf, by the store's rule (store_current_release: the
 * same `current` that status and activate accept). Fails when `current` is missing, is not
 * a symlink to releases/<version>, or names an invalid version (e.g. "releases/v1/"). */
int current_version(const char *root, char *buf, size_t cap, struct err *err);

/* Loads release `version` of the store at `root` (absolute). Returns 0, or -1 with err's
 * kind ERR_SYSTEM on a system error and ERR_REFUSED when a check says no: env file with a
 * wrong owner or mode, malformed env file, required secrets missing or empty (err names the
 * keys, never a value), or a manifest that declares no service. A release with a Next.js
 * service gets the store's Server Actions key (made on first need); a key file that cannot
 * be made or is not right fails with ERR_SYSTEM. *out is owned by the
 * caller; free with loaded_release_clear. */
int release_load(const char *root, const char *version, struct loaded_release *out,
                 struct err *err);

/* (Re)loads the env file into r->env and checks r->m's required secrets; same returns as
 * release_load. Releases are immutable, so a loaded manifest can be reused this way. */
int release_load_env(const char *root, struct loaded_release *r, struct err *err);

void loaded_release_clear(struct loaded_release *r);

#endif
