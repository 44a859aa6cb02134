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

/* Plain decimal literals, so the commands' --help can print them (cmd/support/cli.h). */
#define EXTRACT_DEFAULT_MAX_ENTRIES 500000
#define EXTRACT_DEFAULT_MAX_BYTES   8589934592 /* 8 GiB */
#define EXTRACT_DEFAULT_MAX_RATIO   200

void extract_limits_default(struct extract_limits *lim);

/* Called with every raw (compressed) byte read from the archive file, in order, exactly once,
 * from the first to the last byte of the file. Lets the caller hash what was really read.
 * Called from the decompression thread during extractor_unpack. */
typedef void (*extract_raw_observer)(void *ctx, const void *buf, size_t len);

/* Places regular file f as `base` in directory `pfd` some other way than writing it (a hard
 * link to a verified identical file) and returns a descriptor open on it for reading, so
 * that the archive's data can be compared with it; -1 when it did not (the file is then
 * written); -2 with err set on a failure that ends the unpack. */
typedef int (*extract_link_fn)(void *ctx, const struct manifest_file *f, int pfd, const char *base,
                               struct err *err);

struct extract_progress {
	uint64_t files, files_total; /* regular files placed, of the manifest's */
	uint64_t bytes, bytes_total; /* their bytes */
	uint64_t linked;             /* files placed by the link hook */
};

/* Called after each regular file is placed, from the thread that called extractor_unpack. */
typedef void (*extract_progress_fn)(void *ctx, const struct extract_progress *p);

/* How extractor_unpack places files; all zero: as the manifest says, nothing else. */
struct extract_placement {
	bool read_only;       /* files without write bits (seal_file_mode) */
	bool writeback;       /* start writing each file to disk as it is closed (writeback.h) */
	extract_link_fn link; /* tried first for every regular file */
	void *link_ctx;
	extract_progress_fn progress;
	void *progress_ctx;
};

struct extractor;

/* Prepares reading the archive open on `fd` from offset 0. The extractor does not own fd. */
int extractor_new(int fd, const struct extract_limits *lim, extract_raw_observer observer,
                  void *observer_ctx, struct extractor **out, struct err *err);
void extractor_free(struct extractor *x);

/* Reads the first entry, which must be the regular file MANIFEST_NAME, and parses it
 * strictly. The manifest stays owned by the extractor (valid until extractor_free). Checks
 * the manifest's totals against the limits before anything is written. */
int extractor_read_manifest(struct extractor *x, const struct manifest **m, struct err *err);

/* The SHA-256 of the manifest entry's data as read (64 hex digits and a NUL), valid after
 * extractor_read_manifest. */
const char *extractor_manifest_sha256(const struct extractor *x);

/* Sets how the next extractor_unpack places files (copied; hooks and contexts borrowed). */
void extractor_set_placement(struct extractor *x, const struct extract_placement *p);

/* Writes the manifest and every other entry beneath `stagingfd` (an empty directory), with
 * all the checks above, then drains and checks the rest of the archive. Decompression runs
 * in a thread of its own (blockpipe.h). Does not sync: the caller decides when (syncfs).
 * On failure the staging directory holds a partial tree that the caller removes. */
int extractor_unpack(struct extractor *x, int stagingfd, struct err *err);

/* Writes the canonical form of m (manifest_to_json) as MANIFEST_NAME in stagingfd, mode 0644,
 * or 0444 when read_only. */
int extract_write_manifest(const struct manifest *m, int stagingfd, bool read_only,
                           struct err *err);

/* Statistics after extractor_unpack: entries written, file bytes written. */
void extractor_stats(const struct extractor *x, uint64_t *entries, uint64_t *bytes);

/* The compression filter found: "zstd", "gzip" or "none". Valid after read_manifest. */
const char *extractor_filter_name(const struct extractor *x);

#endif
