/* The whole archive's BLAKE2b-512, the digest minisign's prehashed ("ED") signatures sign:
 * the one home of reading a file for it, inline (verified.h) or on a thread of its own while
 * the caller goes on (a local delta install hashes the whole archive while it reads the
 * manifest and places directories, pauses it while its workers build the tree, and resumes it
 * beside seal and sync: install_local.c). */
#ifndef SLIPWAY_ARCHIVE_DIGEST_H
#define SLIPWAY_ARCHIVE_DIGEST_H

#include "release/base/error.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARCHIVE_DIGEST_BYTES 64

/* The digest of the whole file open on fd (pread from 0: the position is untouched), read to
 * its end; `path` names it in errors. A non-NULL `stop` set by another thread ends it early
 * (-1, "stopped"). */
int archive_digest_fd(int fd, const char *path, atomic_bool *stop,
                      uint8_t out[ARCHIVE_DIGEST_BYTES], struct err *err);

/* archive_digest_fd on a thread of its own. fd and path stay the caller's and must outlive
 * the thread (until finish or cancel). */
struct archive_digest;
int archive_digest_start(int fd, const char *path, struct archive_digest **out, struct err *err);
/* Pauses it after the piece it is reading (a megabyte), so that other threads have every core,
 * until archive_digest_resume (or finish). NULL is fine. */
void archive_digest_pause(struct archive_digest *d);
void archive_digest_resume(struct archive_digest *d);

/* Waits for it (resumed if paused); 0 with the digest, or -1 with its error. Frees d. */
int archive_digest_finish(struct archive_digest *d, uint8_t out[ARCHIVE_DIGEST_BYTES],
                          struct err *err);
/* Stops it, waits for it and frees it; NULL is fine. */
void archive_digest_cancel(struct archive_digest *d);

#endif
