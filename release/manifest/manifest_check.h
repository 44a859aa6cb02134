/* The validation rules of specs/manifest.md that other modules also apply: safe relative
 * paths and symlink targets that stay inside the release. Errors follow release/base/error.h and
 * name the offending value (truncated) but never a secret: these only see paths. */
#ifndef SLIPWAY_MANIFEST_CHECK_H
#define SLIPWAY_MANIFEST_CHECK_H

#include "release/base/error.h"

#include <stdint.h>

/* A release-relative path: 1..MANIFEST_MAX_PATH bytes, components separated by single '/',
 * none empty, ".", ".." or longer than MANIFEST_MAX_COMPONENT, no leading or trailing '/',
 * no byte below 0x20 and no 0x7f. 0 when safe. */
int relpath_check(const char *path, struct err *err);

/* A symlink at release-relative `linkpath` with link text `target`: target is not empty, not
 * absolute, has the normalised form ("../")* followed by plain components (or only ".."
 * components), and its leading ".." count does not climb above the release root from the
 * link's directory. Such a target stays inside the release lexically, even when later
 * components are themselves symlinks obeying the same rule. 0 when inside. */
int symlink_target_check(const char *linkpath, const char *target, struct err *err);

/* [A-Za-z0-9][A-Za-z0-9._+-]*, at most MANIFEST_MAX_NAME bytes: usable as a directory name
 * and never starting with '.', so it cannot collide with the store's temporary names. */
int version_check(const char *version, struct err *err);

/* The names of specs/manifest.md, for everyone who makes or reads one (pack/ checks
 * slipway.ini and package.json with these). 0 when valid; else -1 and a message that quotes
 * the value (truncated) and states the rule.
 *   app      [A-Za-z0-9][A-Za-z0-9._-]*, 1..MANIFEST_MAX_NAME bytes (the archive's name
 *            starts with it)
 *   service  [a-z0-9_-]{1,MANIFEST_MAX_SERVICE_NAME}
 *   secret   [A-Z_][A-Z0-9_]*, 1..MANIFEST_MAX_NAME bytes
 *   env      [A-Za-z_][A-Za-z0-9_]*, 1..MANIFEST_MAX_NAME bytes (a service's env name) */
int app_name_check(const char *name, struct err *err);
int service_name_check(const char *name, struct err *err);
int secret_name_check(const char *name, struct err *err);
int env_name_check(const char *name, struct err *err);

/* A serial written as text (the trusted comment's serial:, pack --serial): decimal digits
 * only, no sign, no leading zero (but "0"), at most MANIFEST_MAX_SERIAL (2^53-1). 0 with
 * *out set when valid. */
int serial_parse(const char *s, uint64_t *out, struct err *err);

#endif
