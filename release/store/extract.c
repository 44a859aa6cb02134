/* Hardened extraction (specs/store.md "Hardened extraction"). See extract.h for the design:
 * outer reader = zstd/gzip filters + raw format; inner reader = tar format only. */
#include "release/store/extract.h"
#include "release/base/checked.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"
#include "release/manifest/manifest_digest.h"
#include "release/store/blockpipe.h"
#include "release/store/seal.h"
#include "release/store/store_crash.h"
#include "release/store/writeback.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW_BLOCK    (1u << 20)
#define STREAM_SLACK (16ull << 20) /* uncompressed bytes allowed before the ratio applies */
#define TAR_PADDING  (1ull << 20)  /* zeros allowed after the end-of-archive marker: a record */

struct extractor {
	int fd;
	struct extract_limits lim;
	extract_raw_observer observer;
	void *observer_ctx;
	struct archive *outer, *inner;
	unsigned char *raw_buf;
	/* The decompressing side: the calling thread while the manifest is read, then the
	 * decompression thread (blockpipe.h) during unpack. */
	uint64_t raw_bytes;   /* compressed bytes read from fd */
	uint64_t plain_bytes; /* decompressed bytes produced */
	bool outer_eof;
	struct err stream_err; /* why decompressing failed, reported instead of libarchive's */
	/* The tar reader's side. */
	bool threaded;          /* decompress in the thread from the next block on */
	struct blockpipe *pipe; /* that thread, once started */
	uint64_t handed;        /* decompressed bytes handed to the tar reader */
	const void *last_block; /* the last block handed to it */
	size_t last_block_len;
	struct manifest *manifest;
	char manifest_sha256[2 * MANIFEST_DIGEST_BYTES + 1];
	bool *seen;
	uint64_t entries, bytes;
	EVP_MD_CTX *sha;
	const EVP_MD *sha256;
	int parent_fd; /* cached directory fd for parent_path */
	char parent_path[MANIFEST_MAX_PATH + 1];
	struct extract_placement place;
	struct extract_progress progress;
	struct writeback *writeback;
	unsigned char *cmp_buf; /* a linked file's bytes, compared with the archive's */
};

void extract_limits_default(struct extract_limits *lim)
{
	lim->max_entries = EXTRACT_DEFAULT_MAX_ENTRIES;
	lim->max_bytes = EXTRACT_DEFAULT_MAX_BYTES;
	lim->max_ratio = EXTRACT_DEFAULT_MAX_RATIO;
}

/* ---- the two chained readers ---- */

static la_ssize_t raw_read(struct archive *a, void *ctx, const void **buf)
{
	struct extractor *x = ctx;
	ssize_t n;

	(void)a;
	do
		n = read(x->fd, x->raw_buf, RAW_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		fail_sys(&x->stream_err, "cannot read the archive");
		archive_set_error(a, e, "%s", x->stream_err.msg);
		return -1;
	}
	if (x->observer && n > 0)
		x->observer(x->observer_ctx, x->raw_buf, (size_t)n);
	x->raw_bytes += (uint64_t)n;
	*buf = x->raw_buf;
	return n;
}

/* Counts `len` more decompressed bytes, the tar trailer's included. Bounded before the data
 * reaches the tar reader: a bomb is stopped after at most max_ratio times what was read plus
 * a fixed slack, whatever the entries claim. */
static int account(struct extractor *x, size_t len)
{
	x->plain_bytes = sat_add(x->plain_bytes, len);
	if (x->plain_bytes > STREAM_SLACK && x->plain_bytes / x->lim.max_ratio > x->raw_bytes)
		return fail(
		    &x->stream_err,
		    "compression ratio above %llu:1 (a compression bomb?); limit: --max-ratio",
		    (unsigned long long)x->lim.max_ratio);
	if (x->plain_bytes >
	    sat_add(sat_add(x->lim.max_bytes, sat_mul(x->lim.max_entries, 1536)), STREAM_SLACK))
		return fail(&x->stream_err,
		            "uncompressed archive larger than the size limit (%llu bytes); limit: "
		            "--max-bytes",
		            (unsigned long long)x->lim.max_bytes);
	return 0;
}

/* The next decompressed block (the decompressing side): 1 with a block, 0 at the end of
 * the stream, -1 with x->stream_err set. */
static int outer_block(void *ctx, const void **block, size_t *len)
{
	struct extractor *x = ctx;
	la_int64_t off;
	int r;

	if (x->outer_eof)
		return 0;
	r = archive_read_data_block(x->outer, block, len, &off);
	if (r == ARCHIVE_EOF) {
		x->outer_eof = true;
		return 0;
	}
	if (r != ARCHIVE_OK) {
		if (!x->stream_err.msg[0])
			fail(&x->stream_err, "cannot decompress the archive: %s",
			     archive_error_string(x->outer) ? archive_error_string(x->outer)
			                                    : "unknown error");
		return -1;
	}
	return account(x, *len) < 0 ? -1 : 1;
}

/* The next block for the tar reader (its side): 1, 0 at the end, -1 with x->stream_err. */
static int next_plain(struct extractor *x, const void **block, size_t *len)
{
	int r;

	/* Started at a block boundary: the tar reader is done with the block before. */
	if (x->threaded && !x->pipe && !x->outer_eof &&
	    blockpipe_start(outer_block, x, &x->pipe, &x->stream_err) < 0)
		return -1;
	r = x->pipe ? blockpipe_read(x->pipe, block, len) : outer_block(x, block, len);
	if (r == 1) {
		x->handed += *len;
		x->last_block = *block;
		x->last_block_len = *len;
	} else {
		x->last_block_len = 0;
	}
	return r;
}

static la_ssize_t plain_read(struct archive *a, void *ctx, const void **buf)
{
	struct extractor *x = ctx;
	size_t len = 0;
	int r = next_plain(x, buf, &len);

	if (r < 0) {
		archive_set_error(a, EINVAL, "%s", x->stream_err.msg);
		return -1;
	}
	return r ? (la_ssize_t)len : 0;
}

static int reader_error(struct extractor *x, struct archive *a, const char *what, struct err *err)
{
	if (x->stream_err.msg[0]) {
		if (err)
			*err = x->stream_err;
		return -1;
	}
	return fail(err, "%s: %s", what,
	            archive_error_string(a) ? archive_error_string(a) : "unknown libarchive error");
}

int extractor_new(int fd, const struct extract_limits *lim, extract_raw_observer observer,
                  void *observer_ctx, struct extractor **out, struct err *err)
{
	struct extractor *x = calloc(1, sizeof(*x));
	struct archive_entry *e;

	*out = NULL;
	if (!x)
		return fail_oom(err);
	x->fd = fd;
	x->lim = *lim;
	if (x->lim.max_ratio == 0)
		x->lim.max_ratio = 1;
	x->observer = observer;
	x->observer_ctx = observer_ctx;
	x->parent_fd = -1;
	x->raw_buf = malloc(RAW_BLOCK);
	x->outer = archive_read_new();
	x->inner = archive_read_new();
	x->sha = EVP_MD_CTX_new();
	x->sha256 = EVP_sha256();
	if (!x->raw_buf || !x->outer || !x->inner || !x->sha) {
		extractor_free(x);
		return fail_oom(err);
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		extractor_free(x);
		return fail_sys(err, "cannot seek the archive");
	}
	/* Only these: never *_all (NOTES.md, libarchive). */
	if (archive_read_support_filter_zstd(x->outer) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(x->outer) != ARCHIVE_OK ||
	    archive_read_support_format_raw(x->outer) != ARCHIVE_OK ||
	    archive_read_support_format_tar(x->inner) != ARCHIVE_OK) {
		fail_kind(err, ERR_SYSTEM, "libarchive lacks zstd, gzip or tar support: %s",
		          archive_error_string(x->outer));
		extractor_free(x);
		return -1;
	}
	if (archive_read_open(x->outer, x, NULL, raw_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(x->outer, &e) != ARCHIVE_OK) {
		reader_error(x, x->outer, "cannot read the archive", err);
		extractor_free(x);
		return -1;
	}
	/* libarchive stacks filters as long as one bids: a compressed stream inside the
	 * compressed stream would be unpacked too. The client reader counts as one filter. */
	if (archive_filter_count(x->outer) > 2) {
		fail(err, "not a tar archive (slipway reads tar, tar.zst, tar.gz): compressed "
		          "more than once");
		extractor_free(x);
		return -1;
	}
	if (archive_read_open(x->inner, x, NULL, plain_read, NULL) != ARCHIVE_OK) {
		reader_error(x, x->inner, "not a tar archive (slipway reads tar, tar.zst, tar.gz)",
		             err);
		extractor_free(x);
		return -1;
	}
	*out = x;
	return 0;
}

void extractor_free(struct extractor *x)
{
	if (!x)
		return;
	blockpipe_stop(x->pipe); /* it uses the outer reader */
	writeback_finish(x->writeback, NULL);
	if (x->inner)
		archive_read_free(x->inner);
	if (x->outer)
		archive_read_free(x->outer);
	if (x->parent_fd >= 0)
		close(x->parent_fd);
	EVP_MD_CTX_free(x->sha);
	manifest_free(x->manifest);
	free(x->seen);
	free(x->raw_buf);
	free(x->cmp_buf);
	free(x);
}

const char *extractor_filter_name(const struct extractor *x)
{
	switch (archive_filter_code(x->outer, 0)) {
	case ARCHIVE_FILTER_ZSTD:
		return "zstd";
	case ARCHIVE_FILTER_GZIP:
		return "gzip";
	default:
		return "none";
	}
}

void extractor_stats(const struct extractor *x, uint64_t *entries, uint64_t *bytes)
{
	*entries = x->entries;
	*bytes = x->bytes;
}

/* ---- entries ---- */

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFREG:
		return "regular file";
	case AE_IFDIR:
		return "directory";
	case AE_IFLNK:
		return "symlink";
	case AE_IFCHR:
		return "character device";
	case AE_IFBLK:
		return "block device";
	case AE_IFIFO:
		return "FIFO";
	case AE_IFSOCK:
		return "socket";
	default:
		return "unknown type";
	}
}

static const char *manifest_type_name(enum manifest_file_type t)
{
	return t == MANIFEST_FILE ? "regular file" : t == MANIFEST_DIR ? "directory" : "symlink";
}

/* Whether the header made the entry sparse (GNU sparse formats 0.0, 0.1, 1.0 and old GNU).
 * archive_entry_sparse_count() reports 0, and forgets the map, when its one block covers the
 * whole file: asked about the size plus one, it counts that block too. Plain entries have no
 * map at all: the tar reader records one only for sparse headers. */
static bool entry_is_sparse(struct archive_entry *e)
{
	la_int64_t size = archive_entry_size(e);
	bool size_set = archive_entry_size_is_set(e), sparse;

	if (size < 0 || size == INT64_MAX)
		return archive_entry_sparse_count(e) > 0;
	archive_entry_set_size(e, size + 1);
	sparse = archive_entry_sparse_count(e) > 0;
	if (size_set)
		archive_entry_set_size(e, size);
	else
		archive_entry_unset_size(e);
	return sparse;
}

/* Next header of the tar stream: 1 for an entry, 0 at the end, -1 on error. Refuses what
 * the store never accepts, whatever the manifest says. */
static int next_entry(struct extractor *x, struct archive_entry **e, char *name, struct err *err)
{
	const char *p;
	mode_t type;
	size_t len;
	int r = archive_read_next_header(x->inner, e);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK)
		return reader_error(x, x->inner,
		                    x->entries
		                        ? "damaged or truncated archive"
		                        : "not a tar archive (slipway reads tar, tar.zst, tar.gz)",
		                    err);
	if (++x->entries > x->lim.max_entries)
		return fail(err, "more than %llu entries; limit: --max-entries",
		            (unsigned long long)x->lim.max_entries);
	p = archive_entry_pathname(*e);
	if (!p)
		return fail(err, "entry %llu has no usable name", (unsigned long long)x->entries);
	len = strlen(p);
	if (len > MANIFEST_MAX_PATH + 1)
		return fail(err, "entry name longer than %d bytes: %.64s...", MANIFEST_MAX_PATH, p);
	memcpy(name, p, len + 1);
	type = archive_entry_filetype(*e);
	if (archive_entry_hardlink(*e))
		return fail(err, "%.200s: hardlinks are not allowed", name);
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return fail(err, "%.200s: %s entries are not allowed", name, type_name(type));
	if (archive_entry_mode(*e) & (S_ISUID | S_ISGID | S_ISVTX))
		return fail(err, "%.200s: setuid, setgid and sticky bits are not allowed", name);
	if (entry_is_sparse(*e))
		return fail(err, "%.200s: sparse entries are not allowed", name);
	if (type == AE_IFDIR && len > 1 && name[len - 1] == '/')
		name[len - 1] = '\0';
	if (relpath_check(name, err) < 0)
		return fail_prefix(err, "unsafe entry name");
	return 1;
}

/* What is done with each block of an entry's data: 0, or -1 with err set. */
typedef int (*block_fn)(struct extractor *x, const char *name, int fd, const void *buf, size_t len,
                        uint64_t off, struct err *err);

/* Reads the entry's data block by block, checking offsets and the manifest's size `want`,
 * and hands each block to `each` (fd is passed through). */
static int each_block(struct extractor *x, const char *name, int fd, uint64_t want, block_fn each,
                      struct err *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	uint64_t done = 0;
	int r;

	while ((r = archive_read_data_block(x->inner, &buf, &len, &off)) == ARCHIVE_OK) {
		if ((uint64_t)off != done)
			return fail(err, "%.200s: sparse or out-of-order data", name);
		if (done + len > want)
			return fail(err, "%.200s: more data than the manifest's %llu bytes", name,
			            (unsigned long long)want);
		if (each(x, name, fd, buf, len, done, err) < 0)
			return -1;
		done += len;
	}
	if (r != ARCHIVE_EOF)
		return reader_error(x, x->inner, "damaged or truncated archive", err);
	if (done != want)
		return fail(err, "%.200s: %llu bytes of data, the manifest says %llu", name,
		            (unsigned long long)done, (unsigned long long)want);
	return 0;
}

static int write_block(struct extractor *x, const char *name, int fd, const void *buf, size_t len,
                       uint64_t off, struct err *err)
{
	(void)off;
	if (write_all(fd, buf, len, err) < 0)
		return fail_prefix(err, "cannot write %.200s", name);
	EVP_DigestUpdate(x->sha, buf, len);
	return 0;
}

/* A linked file's bytes (verified against the manifest by the link hook) against the
 * archive's: an archive whose data differs from its own manifest is refused whether or not
 * its files were written. */
static int compare_block(struct extractor *x, const char *name, int fd, const void *buf, size_t len,
                         uint64_t off, struct err *err)
{
	for (size_t at = 0; at < len;) {
		size_t n = len - at < RAW_BLOCK ? len - at : RAW_BLOCK;
		ssize_t got = pread(fd, x->cmp_buf, n, (off_t)(off + at));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return fail_sys(err, "cannot read %.200s", name);
		if ((size_t)got != n || memcmp(x->cmp_buf, (const char *)buf + at, n))
			return fail(err, "%.200s: content does not match the manifest's SHA-256",
			            name);
		at += n;
	}
	return 0;
}

/* Streams the entry's data into fd and the digest. */
static int copy_data(struct extractor *x, const char *name, int fd, uint64_t want,
                     uint8_t digest[32], struct err *err)
{
	if (!EVP_DigestInit_ex(x->sha, x->sha256, NULL))
		return fail_kind(err, ERR_SYSTEM, "SHA-256 unavailable");
	if (each_block(x, name, fd, want, write_block, err) < 0)
		return -1;
	EVP_DigestFinal_ex(x->sha, digest, NULL);
	return 0;
}

static int compare_data(struct extractor *x, const char *name, int fd, uint64_t want,
                        struct err *err)
{
	if (!x->cmp_buf && !(x->cmp_buf = malloc(RAW_BLOCK)))
		return fail_oom(err);
	return each_block(x, name, fd, want, compare_block, err);
}

int extractor_read_manifest(struct extractor *x, const struct manifest **m, struct err *err)
{
	struct archive_entry *e;
	char name[MANIFEST_MAX_PATH + 2], *json = NULL;
	la_int64_t size;
	uint64_t total = 0;
	ssize_t n;
	int r;

	*m = NULL;
	r = next_entry(x, &e, name, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return fail(err, "empty archive: no " MANIFEST_NAME);
	if (strcmp(name, MANIFEST_NAME) || archive_entry_filetype(e) != AE_IFREG)
		return fail(err,
		            "first entry is %.200s, not the regular file " MANIFEST_NAME
		            " (missing or misplaced manifest)",
		            name);
	size = archive_entry_size(e);
	if (!archive_entry_size_is_set(e) || size < 0 || (uint64_t)size > MANIFEST_MAX_BYTES)
		return fail(err, MANIFEST_NAME ": size missing or above %u bytes",
		            MANIFEST_MAX_BYTES);
	json = malloc((size_t)size + 1);
	if (!json)
		return fail_oom(err);
	for (la_int64_t got = 0; got < size; got += n) {
		n = archive_read_data(x->inner, json + got, (size_t)(size - got));
		if (n <= 0) {
			free(json);
			return n < 0 ? reader_error(x, x->inner, "damaged archive", err)
			             : fail(err, MANIFEST_NAME ": truncated");
		}
		/* The manifest is read whole into memory and parsed: the ratio applies from its
		 * first byte, without the stream's slack. */
		if ((uint64_t)(got + n) > sat_mul(x->lim.max_ratio, x->raw_bytes)) {
			free(json);
			return fail(err,
			            MANIFEST_NAME ": compression ratio above %llu:1 (a compression "
			                          "bomb?); limit: --max-ratio",
			            (unsigned long long)x->lim.max_ratio);
		}
	}
	manifest_digest_hex(json, (size_t)size, x->manifest_sha256);
	r = manifest_parse(json, (size_t)size, &x->manifest, err);
	free(json);
	if (r < 0)
		return -1;
	if (x->manifest->n_files + 1 > x->lim.max_entries)
		return fail(err,
		            "the manifest lists %zu entries, more than the limit %llu; limit: "
		            "--max-entries",
		            x->manifest->n_files, (unsigned long long)x->lim.max_entries);
	for (size_t i = 0; i < x->manifest->n_files; i++)
		total = sat_add(total, x->manifest->files[i].size);
	if (total > x->lim.max_bytes)
		return fail(err,
		            "the manifest lists %llu bytes of files, more than the limit "
		            "%llu; limit: --max-bytes",
		            (unsigned long long)total, (unsigned long long)x->lim.max_bytes);
	x->seen = calloc(x->manifest->n_files + 1, sizeof(bool));
	if (!x->seen)
		return fail_oom(err);
	*m = x->manifest;
	return 0;
}

const char *extractor_manifest_sha256(const struct extractor *x)
{
	return x->manifest_sha256;
}

/* A descriptor for the directory holding `path` (cached: archives list siblings together). */
static int parent_dir(struct extractor *x, int stagingfd, const char *path, const char **base,
                      struct err *err)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	*base = slash ? slash + 1 : path;
	if (x->parent_fd >= 0 && strlen(x->parent_path) == n && !memcmp(x->parent_path, path, n))
		return x->parent_fd;
	if (x->parent_fd >= 0)
		close(x->parent_fd);
	memcpy(x->parent_path, path, n);
	x->parent_path[n] = '\0';
	x->parent_fd =
	    n ? open_beneath(stagingfd, x->parent_path, O_RDONLY | O_DIRECTORY, 0) : dup(stagingfd);
	if (x->parent_fd < 0) {
		return fail_sys(err, "cannot open directory %.200s in staging", x->parent_path);
	}
	return x->parent_fd;
}

int extract_write_manifest(const struct manifest *m, int stagingfd, bool read_only, struct err *err)
{
	int fd, rc;

	fd = openat(stagingfd, MANIFEST_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	            read_only ? seal_file_mode(0644) : 0644);
	if (fd < 0)
		return fail_sys(err, "cannot create " MANIFEST_NAME " in staging");
	/* The canonical form of what was read: the manifest parsed, not the raw bytes. */
	rc = manifest_write_json(m, fd, err);
	if (rc < 0)
		fail_prefix(err, "cannot write " MANIFEST_NAME);
	if (close(fd) < 0 && rc == 0)
		rc = fail_sys(err, "cannot write " MANIFEST_NAME);
	return rc;
}

static int placed(struct extractor *x, const struct manifest_file *f)
{
	x->bytes += f->size;
	x->progress.files++;
	x->progress.bytes += f->size;
	if (x->place.progress)
		x->place.progress(x->place.progress_ctx, &x->progress);
	return 0;
}

static int write_entry(struct extractor *x, int stagingfd, struct archive_entry *e,
                       const char *name, struct err *err)
{
	const struct manifest_file *f = manifest_find_file(x->manifest, name);
	mode_t type = archive_entry_filetype(e);
	const char *base, *parent_slash = strrchr(name, '/');
	uint8_t digest[32];
	size_t idx;
	int pfd, fd;

	if (!f)
		return fail(err, "%.200s is not listed in the manifest", name);
	idx = (size_t)(f - x->manifest->files);
	if (x->seen[idx])
		return fail(err, "duplicate entry %.200s", name);
	x->seen[idx] = true;
	if ((f->type == MANIFEST_FILE && type != AE_IFREG) ||
	    (f->type == MANIFEST_DIR && type != AE_IFDIR) ||
	    (f->type == MANIFEST_SYMLINK && type != AE_IFLNK))
		return fail(err, "%.200s is a %s in the archive but a %s in the manifest", name,
		            type_name(type), manifest_type_name(f->type));
	if (parent_slash) {
		char parent[MANIFEST_MAX_PATH + 1];
		const struct manifest_file *p;

		memcpy(parent, name, (size_t)(parent_slash - name));
		parent[parent_slash - name] = '\0';
		p = manifest_find_file(x->manifest, parent);
		if (!p || !x->seen[p - x->manifest->files])
			return fail(err, "%.200s comes before its directory in the archive", name);
	}
	pfd = parent_dir(x, stagingfd, name, &base, err);
	if (pfd < 0)
		return -1;
	switch (f->type) {
	case MANIFEST_DIR:
		if (mkdirat(pfd, base, 0755) < 0)
			return fail_sys(err, "cannot create directory %.200s", name);
		return 0;
	case MANIFEST_SYMLINK: {
		const char *target = archive_entry_symlink(e);

		if (!target || strcmp(target, f->target))
			return fail(err,
			            "%.200s: symlink target %.200s differs from the manifest's",
			            name, target ? target : "(none)");
		if (symlinkat(target, pfd, base) < 0)
			return fail_sys(err, "cannot create symlink %.200s", name);
		return 0;
	}
	case MANIFEST_FILE:
		break;
	}
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 ||
	    (uint64_t)archive_entry_size(e) != f->size)
		return fail(err, "%.200s: size %lld in the archive, %llu in the manifest", name,
		            (long long)archive_entry_size(e), (unsigned long long)f->size);
	if (x->place.link) {
		fd = x->place.link(x->place.link_ctx, f, pfd, base, err);
		if (fd == -2)
			return -1;
		if (fd >= 0) {
			int r = compare_data(x, name, fd, f->size, err);

			close(fd);
			if (r < 0)
				return -1;
			x->progress.linked++;
			return placed(x, f);
		}
	}
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	            x->place.read_only ? seal_file_mode(f->mode) : f->mode);
	if (fd < 0)
		return fail_sys(err, "cannot create %.200s", name);
	if (copy_data(x, name, fd, f->size, digest, err) < 0) {
		close(fd);
		return -1;
	}
	/* The release's build time, not the archive's constant entry mtime: servers derive
	 * ETags and Last-Modified from size and mtime, so a changed file of the same size must
	 * not keep the time stamp of the one it replaces. */
	int64_t when = manifest_build_epoch(x->manifest);

	if (when <= 1 && archive_entry_mtime_is_set(e))
		when = archive_entry_mtime(e);
	if (when > 1) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT},
		                         {.tv_sec = (time_t)when, .tv_nsec = 0}};

		futimens(fd, ts);
	}
	if (memcmp(digest, f->sha256, 32)) {
		close(fd);
		return fail(err, "%.200s: content does not match the manifest's SHA-256", name);
	}
	if (x->place.writeback) {
		if (writeback_add(x->writeback, fd, name, err) < 0)
			return -1;
	} else if (close(fd) < 0) {
		return fail_sys(err, "cannot write %.200s", name);
	}
	return placed(x, f);
}

static bool all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* After the tar end-of-archive marker: only zero padding, then the end of the compressed
 * stream, then the end of the file. */
static int check_trailer(struct extractor *x, struct err *err)
{
	uint64_t consumed = (uint64_t)archive_filter_bytes(x->inner, 0);
	uint64_t unread = x->handed - consumed;
	const void *block;
	size_t len;
	ssize_t n;
	int r;

	if (consumed > x->handed || unread > x->last_block_len)
		return fail(err, "cannot check the end of the archive");
	if (!all_zero((const char *)x->last_block + x->last_block_len - unread, unread))
		return fail(err, "trailing data after the tar end-of-archive marker");
	while ((r = next_plain(x, &block, &len)) == 1) {
		if (!all_zero(block, len))
			return fail(err, "trailing data after the tar end-of-archive marker");
		/* Padding fills the last record of a tar: more is a decompression bomb. */
		if ((unread = sat_add(unread, len)) > TAR_PADDING)
			return fail(err,
			            "trailing data after the tar end-of-archive marker: more than "
			            "%llu bytes of zero padding",
			            (unsigned long long)TAR_PADDING);
	}
	if (r < 0)
		return reader_error(x, x->outer, "damaged compressed stream", err);
	/* The decompressing side is done: its counters are the caller's again. */
	blockpipe_stop(x->pipe);
	x->pipe = NULL;
	/* Bytes read but not consumed by the decompressor (gzip stops quietly at anything that
	 * is not another member), or never read at all, are data after the compressed stream. */
	if ((uint64_t)archive_filter_bytes(x->outer, -1) != x->raw_bytes)
		return fail(err, "trailing data after the compressed stream");
	while ((n = read(x->fd, x->raw_buf, RAW_BLOCK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_sys(err, "cannot read the archive");
		if (x->observer)
			x->observer(x->observer_ctx, x->raw_buf, (size_t)n);
		x->raw_bytes += (uint64_t)n;
		return fail(err, "trailing data after the compressed stream");
	}
	return 0;
}

void extractor_set_placement(struct extractor *x, const struct extract_placement *p)
{
	x->place = *p;
}

int extractor_unpack(struct extractor *x, int stagingfd, struct err *err)
{
	char name[MANIFEST_MAX_PATH + 2];
	struct archive_entry *e;
	mode_t old_umask;
	int r, rc = -1;

	if (!x->manifest)
		return fail(err, "internal error: unpack before the manifest");
	/* Modes are exactly the manifest's; no umask may weaken or change them. */
	old_umask = umask(022);
	if (extract_write_manifest(x->manifest, stagingfd, x->place.read_only, err) < 0)
		goto out;
	memset(&x->progress, 0, sizeof(x->progress));
	for (size_t i = 0; i < x->manifest->n_files; i++)
		if (x->manifest->files[i].type == MANIFEST_FILE) {
			x->progress.files_total++;
			x->progress.bytes_total =
			    sat_add(x->progress.bytes_total, x->manifest->files[i].size);
		}
	/* Writeback in its own thread when it can start; else each file's is started here. */
	if (x->place.writeback && !x->writeback) {
		struct err ignored;

		writeback_start(&x->writeback, &ignored);
	}
	x->threaded = true;
	while ((r = next_entry(x, &e, name, err)) == 1) {
		if (write_entry(x, stagingfd, e, name, err) < 0)
			goto out;
		if (x->entries == 8)
			crashpoint("install-mid-unpack");
	}
	if (r < 0)
		goto out;
	for (size_t i = 0; i < x->manifest->n_files; i++)
		if (!x->seen[i]) {
			fail(err, "%.200s is listed in the manifest but missing from the archive",
			     x->manifest->files[i].path);
			goto out;
		}
	if (check_trailer(x, err) < 0)
		goto out;
	rc = 0;
out:
	if (x->writeback) {
		if (writeback_finish(x->writeback, rc == 0 ? err : NULL) < 0)
			rc = -1;
		x->writeback = NULL;
	}
	umask(old_umask);
	return rc;
}
