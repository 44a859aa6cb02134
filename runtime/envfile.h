/* The store's secrets file, ROOT/shared/env: `KEY=VALUE` lines (specs/runtime.md, "Environment").
 *
 * The file must be a regular file (not a symlink) owned by the running user with no group or
 * other permission bits (mode 0600 or stricter); anything else is refused with the reason.
 * Values are secrets: no function here ever puts a value into an error message. */
#ifndef SLIPWAY_RUNTIME_ENVFILE_H
#define SLIPWAY_RUNTIME_ENVFILE_H

#include "release/base/error.h"
#include <stdbool.h>
#include <stddef.h>

#include "release/manifest/manifest.h"

#define ENVFILE_MAX_BYTES (1u << 20)

struct envfile {
	struct manifest_env *vars; /* in file order; a later duplicate key replaces the earlier */
	size_t n;
	size_t cap;               /* of vars */
	size_t *index, index_cap; /* hash index of the keys (var index + 1; 0 empty), or NULL */
};

/* Loads `path` into *out (zeroed first; release with envfile_release).
 * A missing file is not an error when `missing_ok`: *out is then empty and *missing is set.
 * Fails on a wrong owner or mode, a symlink, an unreadable file, or a malformed line
 * (the message names the line number, never its content). */
int envfile_load(const char *path, int missing_ok, struct envfile *out, int *missing,
                 struct err *err);

/* Parses the text of an env file (no permission checks); used by envfile_load and the tests.
 * Linear in the file's size. Names slipway sets itself are refused with the line number and
 * the name: SLIPWAY_* (SLIPWAY_SOCKET excepted, the operator's switch), LISTEN_* and
 * NODE_CHANNEL_FD. */
int envfile_parse(const char *text, size_t len, struct envfile *out, struct err *err);

/* The value for key, or NULL. */
const char *envfile_get(const struct envfile *env, const char *key);

/* Whether key is defined with a non-empty value: the one "present" rule for a required
 * secret (`KEY=` is missing), shared by `slipway run` and `slipway status`. */
bool envfile_has_value(const struct envfile *env, const char *key);

/* Writes into `names` (size `cap`) the space-separated required keys that are absent or
 * empty (envfile_has_value); returns how many are missing. */
size_t envfile_missing(const struct envfile *env, char *const *required, size_t n_required,
                       char *names, size_t cap);

/* Wipes the values and frees everything. */
void envfile_release(struct envfile *env);

#endif
