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
#include "release/store/reuse.h"
#include "release/store/tarlayout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The manifest entry at the start of a decoded frame 0 (buf, len bytes): the first tar entry
 * must be the regular file MANIFEST_NAME of at most MANIFEST_MAX_BYTES. Its data is moved to
 * the start of buf and NUL-terminated (the header before it leaves room): buf then holds the
 * manifest, *json_len bytes; on failure buf's content is unspecified. */
int frame_manifest(uint8_t *buf, size_t len, size_t *json_len, struct err *err);

/* Frame 0 of the file open on fd decoded whole (frame_stream_decode_whole, with the caller's
 * stream s) and its manifest taken out (frame_manifest): *json (NUL-terminated, the caller
 * frees it with bigmem_free) of *json_len bytes. */
int frame_read_manifest(struct frame_stream *s, int fd, const struct frame_map *fm, char **json,
                        size_t *json_len, struct err *err);

/* Places the directories and the symlinks of m in stagingfd (an empty directory, or one
 * holding only the manifest), with umask 022: directories in the manifest's order (parents
 * first), then symlinks. */
int frame_tree_skeleton(int stagingfd, const struct manifest *m, struct err *err);

/* What is done with each entry of the layout (entry e is m->files[e - 1]; e = 0 is the
 * manifest): one byte each in a state array. */
enum frame_entry {
	FRAME_ENTRY_SKIP,    /* nothing: not a regular file, or placed already */
	FRAME_ENTRY_WRITE,   /* to write from the frames */
	FRAME_ENTRY_COMPARE, /* an installed release may hold it: to link, once verified */
	FRAME_ENTRY_WRITTEN, /* written from the frames */
	FRAME_ENTRY_LINKED,  /* linked from an installed release */
};

/* For every entry in state FRAME_ENTRY_COMPARE among layout entries [from, to), from >= 1
 * (their directories placed by frame_tree_skeleton): links it when delta_link_using finds it
 * in an installed release, its content hashed (FRAME_ENTRY_LINKED), or leaves it to be
 * written (FRAME_ENTRY_WRITE). r is the caller's hashing context (reuse.h), one per thread. */
int frame_tree_link(int stagingfd, const struct manifest *m, struct delta *d, struct reuse *r,
                    size_t from, size_t to, uint8_t *state, struct err *err);

struct frame_write_stats {
	uint64_t written_bytes;  /* file bytes written */
	uint64_t frames_decoded; /* frames decoded, whole or up to the last byte needed */
};

/* Writes the entries in state FRAME_ENTRY_WRITE from the frames in fd, read-only, dated with
 * the manifest's build time, each checked against its SHA-256 (stagefile.h), and marks them
 * FRAME_ENTRY_WRITTEN. One writer per thread.
 *
 * With d (NULL: none), an entry in state FRAME_ENTRY_COMPARE that the bytes decoded for the
 * files written hold whole is compared with an installed file (delta_candidate,
 * reuse_same_bytes) instead of hashed: linked when every byte is the frames' (LINKED), else
 * written (WRITTEN: the bytes that matched copied from the installed file, the rest from the
 * frames, the whole checked against the manifest). The frames' bytes are not checked before:
 * only for a caller that checks the whole archive against its file signature before the tree
 * gets a name (reuse.h). The others are left in state COMPARE. */
struct frame_writer;

int frame_writer_new(struct frame_writer **out, int fd, const struct frame_map *fm,
                     const struct tar_layout *l, const struct manifest *m, uint8_t *state,
                     struct delta *d, int stagingfd, struct err *err);
void frame_writer_free(struct frame_writer *w);

/* Writes the files to write whose data starts in frames [first, end), decoding each frame
 * only up to the last byte they take from it (and compares the entries to compare in those
 * bytes); none may go on past frame end - 1. p (NULL: every frame is in fd) names the frames
 * fetched: one a file to write takes bytes from must be. */
int frame_writer_frames(struct frame_writer *w, const struct frame_plan *p, size_t first,
                        size_t end, struct err *err);

/* Creates the empty files to write among layout entries [from, to), from >= 1: they need no
 * frame. */
int frame_writer_empty(struct frame_writer *w, size_t from, size_t to, struct err *err);

/* Adds what w has written and decoded to *st. */
void frame_writer_add_stats(const struct frame_writer *w, struct frame_write_stats *st);

#endif
