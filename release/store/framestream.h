/* Decoding one frame of an archive in pieces (specs/archive.md "Frames"): the one home of the
 * rules a frame must satisfy, shared by everything that reads frames (framefiles.h,
 * archive_files.c). Memory is bounded by the frame's window (at most FRAME_DSIZE_MAX) and two
 * 128 KiB buffers, not by the frame's size, and decoding stops as soon as the caller has the
 * bytes it needs: a host that lacks one small file of an 8 MiB frame decodes up to its end.
 *
 * The frame's bytes are read with pread at fm->coff[f]; nothing in them is trusted. The frame
 * header must declare exactly the seek table's decompressed size; decoded whole, it must be
 * one zstd frame of exactly the table's compressed size. A prefix is not checked beyond its
 * bytes: its user hashes what it takes (stagefile.h). Every refusal is ERR_REFUSED naming the
 * frame. */
#ifndef SLIPWAY_FRAMESTREAM_H
#define SLIPWAY_FRAMESTREAM_H

#include "release/base/bigmem.h"
#include "release/base/error.h"
#include "release/store/frameplan.h"

#include <stddef.h>
#include <stdint.h>

struct frame_stream;

int frame_stream_new(struct frame_stream **out, struct err *err);
void frame_stream_free(struct frame_stream *s);

/* Receives the frame's data in order: n bytes starting at `at` (an offset in the frame's
 * data). Returns -1 with err to stop. */
typedef int (*frame_sink_fn)(void *ctx, uint64_t at, const uint8_t *buf, size_t n, struct err *err);

/* Decodes frame f of the file open on fd, handing its first `stop` bytes (at most its
 * seek-table size; more means the whole frame) to sink. */
int frame_stream_decode(struct frame_stream *s, int fd, const struct frame_map *fm, size_t f,
                        uint64_t stop, frame_sink_fn sink, void *ctx, struct err *err);

/* Decodes frame f whole in one call into a buffer of exactly its seek-table size (the caller
 * frees it with bigmem_free), the same rules as frame_stream_decode of the whole frame: the buffer
 * is the decoder's window, so no other memory grows with the frame. */
int frame_stream_decode_whole(struct frame_stream *s, int fd, const struct frame_map *fm, size_t f,
                              uint8_t **out, size_t *len, struct err *err);

#endif
