/* A release tree built by worker threads, one per core (at most 4), the caller's among them.
 * A local delta install (specs/store.md "From the frames") gives them the archive's frames a
 * group at a time: a group is a frame and the frames a file's data runs on into. For the
 * entries whose data starts in its group, a worker writes the files no installed release's
 * manifest lists as they are from the group's frames, decoded up to the last byte needed
 * (framefiles.h), and links the others: compared with the bytes decoded anyway when those
 * hold them, else hashed (reuse.h). Linking and decoding thus share every core, whatever the
 * proportion of changed files. A partial delivery (pull, push:
 * specs/channel.md "Partial pull") uses the same workers twice: to link, before it knows
 * which frames to fetch, and to write the fetched frames. */
#ifndef SLIPWAY_FRAMEBUILD_H
#define SLIPWAY_FRAMEBUILD_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/store/delta.h"
#include "release/store/extract.h"
#include "release/store/framefiles.h"
#include "release/store/frameplan.h"
#include "release/store/tarlayout.h"

#include <stdbool.h>
#include <stdint.h>

struct frame_build_stats {
	uint64_t linked, linked_bytes;
	struct frame_write_stats written;
};

/* The group each frame of fm belongs to, by its first frame: *first (heap, n_groups + 1
 * entries, the last fm->n). A file's data that runs past its frame's end keeps the frames it
 * runs into in its group. */
int frame_groups(const struct frame_map *fm, const struct tar_layout *l, const struct manifest *m,
                 size_t **first, size_t *n_groups, struct err *err);

/* Builds the whole tree of m in stagingfd (an empty directory) from the archive open on fd
 * (every frame there), with one worker per core (at most 4: memory), the caller's thread
 * among them. Files may be linked by comparing them with the archive's bytes: only for a
 * caller that checks the whole archive against its file signature before the tree gets a
 * name. Waits for d's manifests (delta_probe_ready), then makes the skeleton
 * (frame_tree_skeleton) on this thread while another writes the manifest file, then the
 * groups. need has l->n entries: set for the files written. The error is the first a worker
 * met; the others stop at their next group. watch (NULL, or any member NULL: nobody) is told
 * as below. */
struct frame_build_watch {
	/* Once the skeleton is made, before the groups start: from then on the workers take every
	 * core (until then, all but one wait). Not told when the skeleton fails. */
	void (*placed)(void *ctx);
	void *placed_ctx;
	/* After each group, by the worker that placed it, one at a time. */
	extract_progress_fn progress;
	void *progress_ctx;
};

int frame_tree_build(int fd, const struct frame_map *fm, const struct tar_layout *l,
                     const struct manifest *m, struct delta *d, bool *need, int stagingfd,
                     const struct frame_build_watch *watch, struct frame_build_stats *st,
                     struct err *err);

/* For a delivery whose frames come after the tree is placed (pull, push, specs/channel.md
 * "Partial pull"): the manifest file, the skeleton and the files an installed release holds,
 * linked by the same workers taking the entries a few at a time; need[e] set for the files
 * left to write (need has m->n_files + 1 entries, need[0] the manifest's, false). */
int frame_tree_link_all(const struct manifest *m, struct delta *d, bool *need, int stagingfd,
                        uint64_t *linked, uint64_t *linked_bytes, struct err *err);

/* The files with need[] set of a tree frame_tree_link_all placed (and a patch set may have
 * completed), written from the frames of plan p, fetched into fd at their offsets, by the
 * same workers a group of frames each: each frame decoded up to the last byte needed, every
 * file checked against the manifest's SHA-256 (framefiles.h). A frame a needed file takes
 * bytes from must be in the plan. */
int frame_tree_write_all(int fd, const struct frame_map *fm, const struct frame_plan *p,
                         const struct tar_layout *l, const struct manifest *m, bool *need,
                         int stagingfd, struct frame_write_stats *st, struct err *err);

#endif
