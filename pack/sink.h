/* Where the archive's bytes go (specs/archive.md "Output"): the file, BLAKE2b-512 (what the
 * minisign signature signs) computed on the way, and writeback started every 8 MiB, all in
 * a thread of its own, so that the thread feeding the compressor never waits for the disk
 * or the hash, and neither the signature nor the final fsync has to read the file again. */
#ifndef SLIPWAY_PACK_SINK_H
#define SLIPWAY_PACK_SINK_H

#include "release/base/error.h"

#include <stddef.h>
#include <stdint.h>

#define SINK_HASH_BYTES 64

struct sink;

/* Starts the writer thread for fd (open, empty, at offset 0; not closed). */
int sink_start(int fd, struct sink **out, struct err *err);

/* Queues len bytes (copied). -1 with errno set once the writer has failed. */
int sink_push(struct sink *k, const void *buf, size_t len);

/* Writes what is queued, stops the thread and gives the digest of everything written; fails
 * with the first write error. Frees k, as does sink_abort (for a failed archive). */
int sink_finish(struct sink *k, uint8_t digest[SINK_HASH_BYTES], struct err *err);
void sink_abort(struct sink *k);

#endif
