/* The release store on the VM (layout, lock and recovery rules: specs/store.md).
 *
 *   ROOT/slipway-store          format marker, written last by store_init
 *   ROOT/trusted.pub            the pinned minisign public key (a one-key keyring)
 *   ROOT/keyring.jsonl          or the keyring chain the host trusts (specs/trust.md)
 *   ROOT/state.json             app name and downgrade high-water mark
 *   ROOT/history.jsonl          append-only event log (one line appended and synced per event)
 *   ROOT/lock                   flock(2) target; holds the holder's pid
 *   ROOT/releases/<version>/    complete, verified releases
 *   ROOT/meta/<version>.json    one record per installed release (serial, hash, bad mark)
 *   ROOT/staging/               private (0700) extraction directories
 *   ROOT/trash/                 releases being deleted by prune
 *   ROOT/shared/env             KEY=VALUE secrets, 0600
 *   ROOT/shared/next-action-key the Next.js Server Actions key of every release, 0600
 *   ROOT/current                symlink -> releases/<version>
 *   ROOT/run/                   the supervisor's state, lock, pid file and Node preload
 *   ROOT/channel.json           the last channel index `pull` accepted (channel_state.h)
 *   ROOT/tmp/                   `pull`'s downloads, kept between pulls to resume them
 *   ROOT/tmp/pull.lock          flock(2) target of `pull`, `receive` while they download
 *
 * This header is what other modules (runtime/, cmd/) use: opening the store, the lock,
 * resolving `current`, activating a version and marking a release bad. Errors follow
 * release/base/error.h. Functions that change the store require the lock (store_lock). */
#ifndef SLIPWAY_STORE_H
#define SLIPWAY_STORE_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/sig/keyring.h"
#include "release/sig/minisign.h"

#include <stdbool.h>
#include <stdint.h>

#define STORE_MARKER         "slipway-store"
#define STORE_FORMAT_LINE    "slipway store format 1\n"
#define STORE_PUBKEY         "trusted.pub"
#define STORE_KEYRING        "keyring.jsonl"
#define STORE_STATE          "state.json"
#define STORE_HISTORY        "history.jsonl"
#define STORE_LOCK           "lock"
#define STORE_RELEASES       "releases"
#define STORE_META           "meta"
#define STORE_STAGING        "staging"
#define STORE_TRASH          "trash"
#define STORE_SHARED         "shared"
#define STORE_ENV            "shared/env"
#define STORE_ACTION_KEY     "next-action-key" /* in shared/ */
#define STORE_CURRENT        "current"
#define STORE_RUN            "run"
#define STORE_CHANNEL        "channel.json"
#define STORE_TMP            "tmp"
#define STORE_DOWNLOADS_LOCK "pull.lock" /* in STORE_TMP */
#define STORE_LOCK_WAIT_MS   10000       /* default bounded wait; $SLIPWAY_LOCK_TIMEOUT (seconds) */

struct store {
	char *root; /* the path given, heap */
	int rootfd; /* O_DIRECTORY descriptor of ROOT */
	int lockfd; /* >= 0 while this process holds the lock */
};

/* Creates the layout at `root` (the directory itself is created when missing, its parent
 * must exist) and pins the public key given as minisign public key file text. Idempotent
 * when the store exists with the same key; fails if it is pinned to another key, or if
 * `root` is a non-empty directory that is not a store. */
int store_init(const char *root, const char *pubkey_text, size_t pubkey_len, struct err *err);
/* store_init with either a public key (pub_text) or, when pub_text is NULL, a keyring chain
 * (keyring.h; checked, written as ROOT/keyring.jsonl). A store keeps the kind of trust it was
 * made with: re-running with the same text is harmless, anything else is refused. */
int store_init_trust(const char *root, const char *pub_text, size_t pub_len,
                     const char *keyring_text, size_t keyring_len, struct err *err);

/* Opens an existing store; fails with "... is not a slipway store (run slipway init)" when
 * the marker is missing. Close with store_close (which also releases the lock). */
int store_open(const char *root, struct store *st, struct err *err);
void store_close(struct store *st);

/* The one check of a store directory (specs/store.md "Layout"), applied to every one the
 * store uses: `name` is releases, meta, staging, trash, shared, run or tmp. Opens ROOT/name
 * (rootfd; `root` for messages), creating it with its layout mode first when `create`, and
 * returns an O_DIRECTORY descriptor. Refused (ERR_SYSTEM, nothing changed): a symlink or
 * anything but a directory (never followed), a directory owned by anyone but ROOT's owner,
 * and one writable by group or others that the running user does not own; one that it owns
 * is repaired (chmod to its layout mode). errno is the open's when the open failed. A
 * directory the running user may not read (another user's 0700 staging/) is checked through
 * an O_PATH descriptor, which is what is returned then. */
int store_dir_open(int rootfd, const char *root, const char *name, bool create, struct err *err);

/* store_dir_open with ROOT given by path (for runtime/, which holds no struct store). */
int store_dir_open_path(const char *root, const char *name, bool create, struct err *err);

/* The pinned public key (ROOT/trusted.pub). A key that cannot be read or parsed is a
 * damaged store: ERR_SYSTEM, "pinned key ROOT/trusted.pub: <why>". */
int store_pinned_key(struct store *st, struct minisign_pubkey *pk, struct err *err);

/* Takes the store's exclusive lock, waiting up to `wait_ms` (STORE_LOCK_WAIT_MS when
 * negative, or $SLIPWAY_LOCK_TIMEOUT seconds when set). On timeout fails with
 * "store is locked by pid N". The kernel drops the lock when the process dies. */
int store_lock(struct store *st, int wait_ms, struct err *err);
void store_unlock(struct store *st);

/* The downloads' lock (specs/store.md "Lock"): ROOT/tmp/pull.lock (tmpfd: store_tmp_open),
 * held by `pull` and `receive` for the whole command, so that two never share a download,
 * while the store lock is taken only to install and switch. Waits as store_lock; on timeout
 * "another pull or push is running: pid N". Returns the descriptor (store_downloads_unlock
 * lets go) or -1. */
int store_downloads_lock(struct store *st, int tmpfd, struct err *err);
void store_downloads_unlock(int fd);

/* Removes what interrupted commands left behind: staging and trash entries, temporary
 * links and files, records without a release. Requires the lock. Not fatal to skip. */
int store_sweep(struct store *st, struct err *err);

/* The active version: *version is a heap string owned by the caller, or NULL when
 * `current` does not exist yet. Fails when `current` is not a symlink to releases/<v>. */
int store_current_version(struct store *st, char **version, struct err *err);

/* Absolute path of releases/<version> (heap, caller frees). */
char *store_release_dir(const struct store *st, const char *version);

/* Absolute path of shared/env (heap, caller frees). The file may not exist. */
char *store_env_path(const struct store *st);

/* The store's Next.js Server Actions key (specs/store.md "shared/next-action-key"): the
 * base64 of 32 random bytes, the form NEXT_SERVER_ACTIONS_ENCRYPTION_KEY takes, in
 * ROOT/shared/next-action-key (one line). Created on first call, atomically and without
 * replacing (concurrent first calls agree on one key): mode 0600, owned by ROOT's owner.
 * Needs no lock: the file is never replaced, only created. Read back: refused (ERR_SYSTEM)
 * when it is a symlink or not a regular file, has group or other permission bits, belongs
 * to neither ROOT's owner nor the running user, or is not exactly such a key; no message ever
 * shows its content. Writes the key, NUL-terminated, into out (at least
 * STORE_ACTION_KEY_LEN + 1 bytes); the caller wipes it. */
#define STORE_ACTION_KEY_BYTES 32
#define STORE_ACTION_KEY_LEN   44 /* BASE64_LEN(32) */
int store_action_key(struct store *st, char *out, struct err *err);

/* The manifest of an installed release (read from releases/<version>/MANIFEST_NAME and
 * parsed strictly). *out is owned by the caller (manifest_free). */
int store_read_manifest(struct store *st, const char *version, struct manifest **out,
                        struct err *err);

/* Resolves `current`: *version and *dir (absolute) are heap strings, *m the manifest; any
 * of the out pointers may be NULL. Fails with "no release is active" when there is none. */
int store_current_release(struct store *st, char **version, char **dir, struct manifest **m,
                          struct err *err);

/* Whether releases/<version> is a complete installed release (directory and record). */
bool store_is_installed(struct store *st, const char *version);

/* Atomically points `current` at releases/<version> (temp symlink, rename, fsync of ROOT)
 * and appends an event with `action` ("activate" or "rollback") to the history. Requires
 * the lock. Refuses a version that is not installed (ERR_REFUSED) and a `current` that is
 * not a symlink.
 * *changed (may be NULL) tells whether `current` moved (false when already there). */
int store_activate(struct store *st, const char *version, const char *action, bool *changed,
                   struct err *err);

/* Marks an installed release bad (recorded in its meta record and in the history) with a
 * short reason. A bad release is never a rollback target nor "known good". Requires lock. */
int store_mark_bad(struct store *st, const char *version, const char *reason, struct err *err);

/* The version `slipway rollback` without argument would go to, computed from the history
 * (specs/store.md "Rollback target"); *version NULL when there is none. Heap string. */
int store_rollback_target(struct store *st, char **version, struct err *err);

#endif
