/* Which secret key signs, by the team-wide convention (specs/signature.md, "Secret key
 * sources"): the -s PATH option, else $SLIPWAY_SECRET_KEY (a path), else
 * $SLIPWAY_SECRET_KEY_DATA (the key file's contents, for CI secrets). An encrypted key's
 * password comes from $SLIPWAY_PASSWORD, else it is asked on the controlling terminal. */
#ifndef SLIPWAY_SIGNING_KEY_H
#define SLIPWAY_SIGNING_KEY_H

#include "release/base/error.h"
#include "release/sig/minisign.h"

#define PASSWORD_MAX 1024

/* A short description of where the key would come from ("-s k.key",
 * "$SLIPWAY_SECRET_KEY (k.key)", "$SLIPWAY_SECRET_KEY_DATA"), or NULL when no source is
 * set: callers turn that into a usage error. `opt` is the -s value or NULL. Static or
 * `opt`-backed storage; never contains key material. */
const char *signing_key_source(const char *opt);

/* Loads the key from the first available source and decrypts it if needed. Fails with a
 * clear message when no source is set, the key cannot be read or parsed, it is encrypted
 * and there is neither $SLIPWAY_PASSWORD nor a terminal, or the password is wrong; every
 * such failure is ERR_REFUSED. *out is secret: minisign_seckey_wipe it after use. Whatever the
 * outcome, it then calls signing_env_scrub(), so processes started later (the build) never inherit
 * the key. */
int signing_key_load(const char *opt, struct minisign_seckey *out, struct err *err);

/* The password for an encrypted key: $SLIPWAY_PASSWORD when set (even empty), else asked
 * once on the terminal with `prompt`. buf holds PASSWORD_MAX bytes; wipe it after use.
 * An overlong $SLIPWAY_PASSWORD is ERR_USAGE; a terminal that fails is ERR_SYSTEM. */
int signing_password(const char *prompt, char *buf, struct err *err);

/* Wipes the values of $SLIPWAY_SECRET_KEY_DATA and $SLIPWAY_PASSWORD in place and removes
 * both from the environment. */
void signing_env_scrub(void);

#endif
