/* A producer thread feeding blocks of bytes to the calling thread through a bounded ring
 * (BLOCKPIPE_SLOTS blocks of BLOCKPIPE_BLOCK bytes): the extractor decompresses in one thread
 * while it writes files in the other (specs/store.md "Hardened extraction").
 *
 * The producer calls `next` until it returns 0 (end) or -1 (error): 1 means *block holds
 * *len bytes, valid until the next call. The bytes are copied into the ring, so `next` may
 * reuse its buffer. Whatever `next` reads or writes belongs to the producer thread until
 * blockpipe_read returned 0 or -1, or blockpipe_stop returned: the ring's lock orders the
 * two threads, so the caller may then read it (an error message, counters). */
#ifndef SLIPWAY_BLOCKPIPE_H
#define SLIPWAY_BLOCKPIPE_H

#include "release/base/error.h"

#include <stddef.h>

#define BLOCKPIPE_SLOTS 4
#define BLOCKPIPE_BLOCK (1u << 20)

typedef int (*blockpipe_next)(void *ctx, const void **block, size_t *len);

struct blockpipe;

/* Starts the producer thread. */
int blockpipe_start(blockpipe_next next, void *ctx, struct blockpipe **out, struct err *err);

/* The next block, in order: 1 with *block (valid until the next call or blockpipe_stop) and
 * *len, 0 when the producer reached the end, -1 when its `next` failed. */
int blockpipe_read(struct blockpipe *p, const void **block, size_t *len);

/* Stops the producer (it finishes its current `next` call), joins it and frees everything.
 * NULL is fine. */
void blockpipe_stop(struct blockpipe *p);

#endif
