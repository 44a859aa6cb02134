/* Pass two: the release archive itself (layout: specs/archive.md).
 *
 * A pax_restricted tar stream written with libarchive: the manifest first, at
 * MANIFEST_NAME, then every tree entry in the tree's (sorted) order. Every entry has
 * uid/gid 0 without names, the tree's normalised mode, and mtime = TARBALL_ENTRY_MTIME; no
 * atime/ctime. Compression: zstd level 3 in file-aligned frames compressed by opts->threads
 * threads and a seek table (pack/frames.h; the bytes do not depend on the number of
 * threads), or gzip level 6 without a timestamp. The same inputs give the same bytes. */
#ifndef SLIPWAY_PACK_TARBALL_H
#define SLIPWAY_PACK_TARBALL_H

#include "release/base/error.h"
#include "pack/collect.h"
#include "pack/hash.h"
#include "release/store/tarlayout.h"

#include <stddef.h>
#include <stdint.h>

enum pack_compress { COMPRESS_ZSTD, COMPRESS_GZIP };

struct tarball_opts {
	enum pack_compress compress;
	unsigned threads;      /* zstd workers, >= 1 */
	uint32_t frame_target; /* FRAME_TARGET_MIN..FRAME_TARGET_MAX; 0: FRAME_TARGET */
	progress_fn progress;
	void *ctx;
};

#define TARBALL_HASH_BYTES 64 /* = SINK_HASH_BYTES */

/* Every entry's mtime (release/store/tarlayout.h, the one rule for an entry's header). */
#define TARBALL_ENTRY_MTIME TAR_ENTRY_MTIME

/* Writes the archive to fd (an open, empty file at offset 0; not closed) and gives the
 * BLAKE2b-512 of the bytes written (what a minisign signature signs), computed on the way.
 * Writeback of the file is started as it grows; the caller's fsync is the barrier. An entry
 * with `data` is written from memory; every other file is re-opened with
 * pack_entry_open_checked, so one that changed since hashing fails the write. */
int tarball_write(int fd, const struct tarball_opts *opts, const char *manifest,
                  size_t manifest_len, const struct pack_tree *tree,
                  uint8_t blake2b[TARBALL_HASH_BYTES], struct err *err);

/* ".tar.zst" or ".tar.gz". */
const char *tarball_suffix(enum pack_compress c);

#endif
