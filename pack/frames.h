/* The zstd side of the archive (specs/archive.md "Frames"): the tar stream cut into
 * independent zstd frames at the points the caller chooses (file boundaries), compressed at
 * level 3 by `threads` worker threads, written in order to the sink, and followed by the seek
 * table (release/base/seektable.h). Each frame is compressed on its own by one thread with
 * the same parameters, so the bytes do not depend on the number of threads. */
#ifndef SLIPWAY_PACK_FRAMES_H
#define SLIPWAY_PACK_FRAMES_H

#include "pack/sink.h"
#include "release/base/error.h"

#include <stddef.h>

/* pack/tarball.c's policy (specs/archive.md "Frames"): entries are grouped into a frame up to
 * FRAME_TARGET uncompressed bytes; an entry larger than that has frames of its own, its data
 * cut every FRAME_LARGE bytes. The default keeps the archive within 1% of one zstd stream
 * (the archive size goal); `pack --frame-size` down to 64 KiB lets a host fetching the frames
 * of the files it lacks move less, at a cost in size (specs/archive.md "Frames"). */
#define FRAME_LARGE (8u << 20)
#ifndef FRAME_TARGET
#define FRAME_TARGET FRAME_LARGE
#endif
#define FRAME_TARGET_MIN (64u << 10) /* pack --frame-size's range */
#define FRAME_TARGET_MAX FRAME_LARGE
#define FRAME_LEVEL      3

struct framer;

/* Starts `threads` (>= 1) compressing threads writing into sink (not owned). */
int framer_start(struct sink *sink, unsigned threads, struct framer **out, struct err *err);

/* Appends len bytes of the tar stream to the current frame. -1 with errno set when memory
 * runs out or a worker or the sink has failed. */
int framer_add(struct framer *f, const void *buf, size_t len);

/* The bytes in the current (open) frame. */
size_t framer_pending(const struct framer *f);

/* Closes the current frame (nothing when it is empty) and hands it to a worker. */
int framer_cut(struct framer *f, struct err *err);

/* Cuts, waits for every frame, writes them and the seek table to the sink; frees f, as does
 * framer_abort. The sink is neither finished nor aborted. */
int framer_finish(struct framer *f, struct err *err);
void framer_abort(struct framer *f);

#endif
