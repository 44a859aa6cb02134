/* Patch sets (specs/channel.md "Patch sets"): the files a host lacks, sent as patches against
 * files it has, or whole. One format for every delivery that moves only what changed:
 * `publish` writes one against the previous published release, `push` writes one for the files
 * the host names in the manifest exchange; `pull` and `receive` apply it through
 * store_install_frames (install.h) before fetching frames for what it did not cover.
 *
 * Format: one zstd stream (any number of frames; a reader bounds the window at
 * PATCHSET_WINDOW_LOG_MAX) whose content is
 *
 *   "slipway-patches 1 " <hex SHA-256 of the target manifest entry's data> "\n"
 *   records, each one of
 *     <i> " full " <size> "\n"                 size bytes: file i's content
 *     <i> " zpatch " <base-sha256> " " <len> "\n"
 *                                              len bytes: one zstd frame, made with the base
 *                                              file's content as a raw prefix
 *                                              (ZSTD_CCtx_refPrefix), of Frame_Content_Size
 *                                              present and equal to file i's size
 *   "end\n"
 *
 * i is the index of the file in the target manifest's files[] (decimal, no leading zero),
 * strictly increasing from one record to the next; sizes decimal. A line is at most
 * PATCHSET_LINE_MAX bytes. The base of a zpatch is any file the host has whose SHA-256 is
 * base-sha256 (the writer takes the file at the same path in the release it patches against);
 * base and target are each at most PATCHSET_FILE_MAX bytes, len at most
 * ZSTD_compressBound(PATCHSET_FILE_MAX).
 *
 * Nothing in a patch set is trusted: every file written from it is hashed as it is written
 * and compared with the signed manifest's SHA-256 before the tree can get a final name. */
#ifndef SLIPWAY_PATCHSET_H
#define SLIPWAY_PATCHSET_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PATCHSET_MAGIC          "slipway-patches 1"
#define PATCHSET_LINE_MAX       256
#define PATCHSET_FILE_MAX       (8u << 20) /* base and target of a zpatch: host RSS bound */
#define PATCHSET_WINDOW_LOG_MAX 24         /* the outer stream's and a zpatch's window */

/* ---- Reading a local release archive file by file (the writer's source) ---- */

/* An archive pack wrote with a seek table (specs/archive.md "Frames"), open for random
 * access: its manifest (frame 0) and each file's bytes, decoded from the frames holding
 * them (the last decoded frame is kept). The archive is the writer's own input (CI side):
 * every bound of the partial-pull reader still applies, and file_read checks the bytes
 * against the manifest's SHA-256. */
struct archive_files;

/* 1 when the archive has no seek table or a layout this reader does not know (the caller
 * writes no patch set); -1 with err. */
int archive_files_open(const char *path, struct archive_files **out, struct err *err);
void archive_files_close(struct archive_files *af);
const struct manifest *archive_files_manifest(const struct archive_files *af);
/* The hex SHA-256 of the manifest entry's data (65 bytes with the NUL). */
const char *archive_files_manifest_sha256(const struct archive_files *af);
/* File i's content (manifest files[i], a regular file) into a heap buffer of exactly its
 * size, checked against its SHA-256 (else ERR_REFUSED). */
int archive_files_read(struct archive_files *af, size_t i, uint8_t **out, size_t *len,
                       struct err *err);
/* File i's content handed to fn in order, in pieces of at most one frame (a file of any size
 * in bounded memory), then checked against its SHA-256 (else ERR_REFUSED, after fn saw the
 * bytes). fn returns 0 or -1 with err, which stops the walk. */
typedef int (*archive_files_fn)(void *ctx, const uint8_t *buf, size_t len, struct err *err);
int archive_files_stream(struct archive_files *af, size_t i, archive_files_fn fn, void *ctx,
                         struct err *err);

/* ---- Writing ---- */

struct patchset_want {
	bool send;     /* file i of the target goes into the patch set */
	bool has_base; /* base_sha256 names the file the host has at that path */
	uint8_t base_sha256[32];
};

struct patchset_stats {
	uint64_t files_full, files_patched;
	uint64_t bytes_full, bytes_patched; /* target bytes sent each way */
	uint64_t out_bytes;                 /* the patch set's size */
};

/* Called after each file written (NULL: none): a writer whose reader waits for the whole
 * patch set can tell it that work goes on (push's "wait" lines). */
struct patchset_progress {
	void (*tick)(void *ctx);
	void *ctx;
};

/* Writes into fd the patch set of the files of `target` with want[i].send (want has one entry
 * per target manifest file; only regular files are sent). A file whose base is found in
 * `base` (any file of that archive with want[i].base_sha256; base may be NULL) and whose base
 * and target are within PATCHSET_FILE_MAX is sent as a zpatch when that is smaller than
 * compressing it alone; else whole. Deterministic for the same inputs. */
int patchset_write(int fd, struct archive_files *target, const struct patchset_want *want,
                   struct archive_files *base, const struct patchset_progress *pr,
                   struct patchset_stats *st, struct err *err);

/* ---- Applying (the host) ---- */

/* Opens a base the host has: a read-only descriptor on a regular file whose content has
 * SHA-256 `sha256` (the callee checks it, or returns -1), of *size bytes; -1 none. */
typedef int (*patchset_base_fn)(void *ctx, const uint8_t sha256[32], uint64_t *size);

struct patchset_apply_stats {
	uint64_t files_full, files_patched, bytes_written;
	uint64_t skipped; /* records for files not needed (the host had them), read past */
	uint64_t no_base; /* zpatch records whose base the host lacks: left needed */
};

/* Reads the patch set open on fd (untrusted) for manifest m whose entry's SHA-256 is
 * manifest_sha256 (hex), and writes each record's file i with need[i + 1] set (need is
 * indexed as the tar layout's entries: 0 is the manifest) into stagingfd at m->files[i].path
 * (its directory placed already), read-only with the manifest's mode, dated with the build
 * time, hashed and compared with the manifest's SHA-256; need[i + 1] is then cleared. A
 * record whose base base_fn cannot open leaves the file needed (the frames serve it).
 * Anything malformed, out of bounds, or a file whose bytes are not the manifest's:
 * ERR_REFUSED with one line naming the file, and the files written so far stay in staging
 * (the caller removes the staging directory). With stagingfd -1, a look ahead: the records
 * are read and need[] cleared for the files the set would write, without decoding or writing
 * them (what it reads is checked when the set is applied). */
int patchset_apply(int fd, const struct manifest *m, const char *manifest_sha256, bool *need,
                   int stagingfd, patchset_base_fn base_fn, void *base_ctx,
                   struct patchset_apply_stats *st, struct err *err);

#endif
