/* Hardened unpacking of a release archive into a private staging directory
 * (specs/store.md "Hardened extraction").
 *
 * The archive is read through two libarchive readers chained by callbacks: the outer one has
 * only the zstd and gzip filters and the "raw" format (it decompresses), the inner one has
 * only the tar format and no filter. Nothing else of libarchive is enabled. Entries are
 * written by this module with openat(2) beneath the staging directory (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), never with archive_write_disk.
 *
 * Every entry must be listed in the manifest (the first entry) with the same type, every
 * regular file must have the manifest's size and SHA-256, every listed entry must be present,
 * and nothing but zero padding may follow the tar end-of-archive marker or the compressed
 * stream. Modes are the manifest's (0644/0755/0777); owners are the installing user's. */
#ifndef SLIPWAY_EXTRACT_H
#define SLIPWAY_EXTRACT_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct extract_limits {
	uint64_t max_entries; /* archive entries, the manifest included */
	uint64_t max_bytes;   /* sum of the regular files' sizes */
	uint64_t max_ratio;   /* uncompressed bytes per compressed byte */
};

#define EXTRACT_DEFAULT_MAX_ENTRIES 500000ull
#define EXTRACT_DEFAULT_MAX_BYTES   (8ull << 30)
#define EXTRACT_DEFAULT_MAX_RATIO   200ull

void extract_limits_default(struct extract_limits *lim);

/* Called with every raw (compressed) byte read from the archive file, in order, exactly once,
 * from the first to the last byte of the file. Lets the caller hash what was really read. */
typedef void (*extract_raw_observer)(void *ctx, const void *buf, size_t len);

struct extractor;

/* Prepares reading the archive open on `fd` from offset 0. The extractor does not own fd. */
int extractor_new(int fd, const struct extract_limits *lim, extract_raw_observer observer,
                  void *observer_ctx, struct extractor **out, struct err *err);
void extractor_free(struct extractor *x);

/* Reads the first entry, which must be the regular file MANIFEST_NAME, and parses it
 * strictly. The manifest stays owned by the extractor (valid until extractor_free). Checks
 * the manifest's totals against the limits before anything is written. */
int extractor_read_manifest(struct extractor *x, const struct manifest **m, struct err *err);

/* Writes the manifest and every other entry beneath `stagingfd` (an empty directory), with
 * all the checks above, then drains and checks the rest of the archive. Does not sync: the
 * caller decides when (syncfs). On failure the staging directory holds a partial tree that
 * the caller removes. */
int extractor_unpack(struct extractor *x, int stagingfd, struct err *err);

/* Statistics after extractor_unpack: entries written, file bytes written. */
void extractor_stats(const struct extractor *x, uint64_t *entries, uint64_t *bytes);

/* The compression filter found: "zstd", "gzip" or "none". Valid after read_manifest. */
const char *extractor_filter_name(const struct extractor *x);

/* Opens `path` (relative, already checked with relpath_check) beneath dirfd without
 * following any symlink: openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a component walk
 * with O_NOFOLLOW where openat2 is unavailable. Returns the fd or -1 with errno set. */
int open_beneath(int dirfd, const char *path, int flags, mode_t mode);

#endif
