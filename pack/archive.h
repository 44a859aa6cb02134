/* Pass two: the release archive itself (layout: specs/archive.md).
 *
 * A pax_restricted tar stream written with libarchive: the manifest first, at
 * MANIFEST_NAME, then every tree entry in the tree's (sorted) order. Every entry has
 * uid/gid 0 without names, the tree's normalised mode, and mtime = opts->mtime; no
 * atime/ctime. Compression: zstd level 3 with opts->threads worker threads (zstd's output
 * does not depend on the number of workers once there is at least one), or gzip level 6
 * without a timestamp. The same inputs give the same bytes. */
#ifndef SLIPWAY_PACK_ARCHIVE_H
#define SLIPWAY_PACK_ARCHIVE_H

#include "release/base/error.h"
#include "pack/collect.h"
#include "pack/hash.h"

#include <stddef.h>
#include <stdint.h>

enum pack_compress { COMPRESS_ZSTD, COMPRESS_GZIP };

struct archive_opts {
	enum pack_compress compress;
	unsigned threads; /* zstd workers, >= 1 */
	int64_t mtime;    /* every entry's mtime (SOURCE_DATE_EPOCH) */
	progress_fn progress;
	void *ctx;
};

/* Writes the archive to fd (an open, empty file; not closed). Each file is re-opened with
 * entry_open_checked, so one that changed since hashing fails the write. */
int archive_write_release(int fd, const struct archive_opts *opts, const char *manifest,
                          size_t manifest_len, const struct pack_tree *tree, struct err *err);

/* ".tar.zst" or ".tar.gz". */
const char *archive_suffix(enum pack_compress c);

#endif
