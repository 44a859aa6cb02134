/* Building a release tree from the signed manifest and a partial set of frames
 * (specs/channel.md "Partial pull"): shared by every delivery that does not move the whole
 * archive (pull, push).
 *
 * The frames sit in a file at their offsets in the archive (a sparse file: only the fetched
 * ranges are there). Nothing in them is trusted: a frame must be one zstd frame of exactly its
 * seek-table sizes, and every file taken from the frames is hashed while it is written and
 * compared with the manifest's SHA-256 before the tree can get a final name. Directories and
 * symlinks come from the manifest itself (authenticated through the signed trusted comment's
 * manifest: digest), files the host already has are linked through the one reuse rule
 * (reuse.h, through delta.h). Errors follow release/base/error.h: anything the frames get wrong
 * is ERR_REFUSED. */
#ifndef SLIPWAY_FRAMEFILES_H
#define SLIPWAY_FRAMEFILES_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/store/delta.h"
#include "release/store/frameplan.h"
#include "release/store/framestream.h"
#include "release/store/tarlayout.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes frame f of the file open on fd (its bytes at fm->coff[f]) into a heap buffer of
 * exactly its seek-table size (the caller frees it), with the caller's stream s (reused
 * frame after frame: framestream.h). */
int frame_decode(struct frame_stream *s, int fd, const struct frame_map *fm, size_t f,
                 uint8_t **out, size_t *len, struct err *err);

/* The manifest entry at the start of a decoded frame 0: the first tar entry must be the
 * regular file MANIFEST_NAME of at most MANIFEST_MAX_BYTES; its data (heap, the caller's). */
int frame_manifest(const uint8_t *buf, size_t len, char **json, size_t *json_len, struct err *err);

/* How far frame_tree_place has got, for a frame_files_write running beside it on another
 * thread (a local delta install: one core hashes the files it links while the other decodes
 * the frames): need[e] is final for every layout entry e < placed. */
struct place_progress {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t placed;
	bool failed; /* either side failed: the other stops (its error says so) */
};

void place_progress_init(struct place_progress *pp);
void place_progress_destroy(struct place_progress *pp);
/* Marks a failure and wakes the other side. */
void place_progress_fail(struct place_progress *pp);

/* Places every entry of m in stagingfd (an empty directory): the manifest (canonical form),
 * directories, symlinks, and the regular files delta_link finds in an installed release.
 * need[i + 1] (entry i + 1 of the layout is m->files[i]) is set for the files left to write;
 * need[0] (the manifest) false. Counts files and bytes linked. pp (NULL: none) is told as
 * entries are placed. */
int frame_tree_place(int stagingfd, const struct manifest *m, struct delta *d, bool *need,
                     uint64_t *linked, uint64_t *linked_bytes, struct place_progress *pp,
                     struct err *err);

struct frame_write_stats {
	uint64_t written_bytes;  /* file bytes written */
	uint64_t frames_decoded; /* frames decoded, whole or up to the last byte needed */
};

/* Writes every file with need[] set from the frames of plan p in fd, read-only, dated with
 * the manifest's build time, each checked against its SHA-256. With pp (NULL: need[] is
 * complete) it waits for each frame's entries to be placed. */
int frame_files_write(int fd, const struct frame_map *fm, const struct frame_plan *p,
                      const struct tar_layout *l, const struct manifest *m, const bool *need,
                      struct place_progress *pp, int stagingfd, struct frame_write_stats *st,
                      struct err *err);

#endif
