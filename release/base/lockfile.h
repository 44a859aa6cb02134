/* Lock files only their owner can open (specs/store.md "Lock", specs/runtime.md): the store's
 * `lock` and the supervisor's `run/supervisor.lock`. flock(2) works on a read-only descriptor,
 * so a lock file anyone can read is a lock anyone can take and hold forever.
 *
 * A lock file is created 0600. One that others could have opened (group or other permission
 * bits, or another owner: a store made before this rule) is replaced, not chmod'ed: a
 * descriptor taken while it was public would still lock it. The replacement is a private
 * file swapped in with renameat2(RENAME_EXCHANGE), so that two processes repairing at once
 * cannot both install their own file. Because a lock file can thus be replaced, whoever
 * acquires the flock checks that the name still refers to the file it locked
 * (lockfile_still_named) and starts again when it does not. The wait for a lock held by
 * another is bounded (lockfile_wait), and so is every lock wait of slipway. */
#ifndef SLIPWAY_LOCKFILE_H
#define SLIPWAY_LOCKFILE_H

#include "release/base/error.h"

/* Opens `name` in dirfd for locking (O_RDWR, created 0600, never through a symlink),
 * replacing it first when others could have opened it. Returns the descriptor (close-on-exec,
 * not locked yet) or -1 (ERR_SYSTEM). */
int lockfile_open(int dirfd, const char *name, struct err *err);

/* After flock(fd) succeeded: 1 when `name` still refers to the file fd locks, 0 when it was
 * replaced meanwhile (close fd and open again). */
int lockfile_still_named(int dirfd, const char *name, int fd);

/* How long a wait for a lock may last: $SLIPWAY_LOCK_TIMEOUT seconds (0 to 86400, fractions
 * allowed) when set to such a number, else default_ms. */
int lockfile_budget_ms(int default_ms);

/* flock(LOCK_EX) on fd, polling every 10 ms for at most budget_ms: 0 taken, 1 still held by
 * another when the time is up, -1 with errno on any other failure. */
int lockfile_wait(int fd, int budget_ms);

/* The refusal when lockfile_wait ran out of budget_ms, the same words for every lock of
 * slipway: "<what> (waited S.s s; see SLIPWAY_LOCK_TIMEOUT)", ERR_SYSTEM (exit 3). Returns -1. */
int lockfile_fail_waited(struct err *err, int budget_ms, const char *what_fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
