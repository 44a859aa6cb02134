/* Which frames of an archive a host fetches (specs/channel.md "Partial pull"): the frames
 * holding the data of the files it lacks, found from the seek table (release/base/seektable.h)
 * and the tar layout of the signed manifest (tarlayout.h), grouped into runs of adjacent
 * frames (one HTTP Range each). Pure computation: nothing here reads a file or the network.
 * Errors follow release/base/error.h; a seek table or layout that disagrees is ERR_REFUSED. */
#ifndef SLIPWAY_FRAMEPLAN_H
#define SLIPWAY_FRAMEPLAN_H

#include "release/base/error.h"
#include "release/base/seektable.h"
#include "release/store/tarlayout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bound on one frame's decompressed size, checked before a buffer is allocated: the writer
 * makes frames of at most 8 MiB of data plus one entry's headers (pack/frames.h). */
#define FRAME_DSIZE_MAX (64u << 20)

/* The frames of an archive, with their offsets. */
struct frame_map {
	size_t n;
	uint64_t *coff; /* n + 1: offset of frame i in the file; coff[n]: where the table starts */
	uint64_t *doff; /* n + 1: offset of its first byte in the tar stream; doff[n]: its length */
};

/* From the seek table's n entries of an archive of `archive_size` bytes whose table (and
 * anything after the frames) is `tail_size` bytes: the compressed sizes must sum to
 * archive_size - tail_size, every frame decompress to 1..FRAME_DSIZE_MAX bytes and be at most
 * ZSTD_compressBound of that. */
int frame_map_build(const struct seek_frame *v, size_t n, uint64_t archive_size, uint64_t tail_size,
                    struct frame_map *out, struct err *err);
void frame_map_release(struct frame_map *fm);

/* The frame holding tar stream offset `pos` (< doff[n]). */
size_t frame_map_find(const struct frame_map *fm, uint64_t pos);

struct frame_run {
	size_t first, count;     /* frames first .. first + count - 1 */
	uint64_t offset, length; /* their bytes in the file */
};

struct frame_plan {
	bool *frame;           /* fm->n: the frame is to be fetched (heap) */
	size_t frames;         /* how many */
	uint64_t bytes;        /* their compressed bytes */
	struct frame_run *run; /* runs of adjacent frames to fetch, in order (heap) */
	size_t n_runs;
};

/* The frames holding the data of every entry i (of the layout) with need[i]; an entry without
 * data needs none. The layout's length must be the seek table's (else ERR_REFUSED: the
 * archive was not written by this layout rule). */
int frame_plan_make(const struct tar_layout *l, const struct frame_map *fm, const bool *need,
                    struct frame_plan *out, struct err *err);
void frame_plan_release(struct frame_plan *p);

#endif
