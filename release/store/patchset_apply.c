/* Applying an untrusted patch set (patchset.h, specs/channel.md "Patch sets"): the outer
 * stream is decompressed in small pieces, every line and size is bounded before it is used,
 * and every file is written through stagefile.h, which checks it against the manifest. */
#include "release/store/patchset.h"
#include "release/base/fileio.h"
#include "release/store/stagefile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define FROM_PATCHES "the patch set's bytes"

/* The outer stream, decompressed: out[pos..len) not yet consumed. */
struct rd {
	int fd;
	ZSTD_DCtx *dc;
	uint8_t *in, *out;
	size_t in_cap, out_cap, pos, len;
	ZSTD_inBuffer ib;
	bool eof;
	size_t last; /* ZSTD_decompressStream's last hint: 0 at the end of a frame */
};

/* More decompressed bytes: 1, or 0 when the stream has no more. */
static int rd_fill(struct rd *r, struct err *err)
{
	r->pos = r->len = 0;
	for (;;) {
		ZSTD_outBuffer ob = {r->out, r->out_cap, 0};
		size_t ret, before;

		if (r->ib.pos == r->ib.size && !r->eof) {
			ssize_t n = read(r->fd, r->in, r->in_cap);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return fail_sys(err, "cannot read the patch set");
			r->eof = n == 0;
			r->ib = (ZSTD_inBuffer){r->in, (size_t)n, 0};
		}
		before = r->ib.pos;
		ret = ZSTD_decompressStream(r->dc, &ob, &r->ib);
		if (ZSTD_isError(ret))
			return fail(err,
			            "patch set: not a zstd stream of at most a %u-bit window: %s",
			            PATCHSET_WINDOW_LOG_MAX, ZSTD_getErrorName(ret));
		/* A call that moved nothing says nothing about the frame: keep the last hint. */
		if (r->ib.pos != before || ob.pos)
			r->last = ret;
		if (ob.pos) {
			r->len = ob.pos;
			return 1;
		}
		if (r->ib.pos == r->ib.size && r->eof)
			return 0;
	}
}

typedef int (*take_fn)(void *ctx, const uint8_t *buf, size_t n, struct err *err);

/* Hands the next n bytes to fn in pieces (fn NULL: skips them). */
static int rd_take(struct rd *r, uint64_t n, take_fn fn, void *ctx, const char *path,
                   struct err *err)
{
	while (n) {
		size_t k;
		int f;

		if (r->pos == r->len && (f = rd_fill(r, err)) <= 0)
			return f < 0 ? -1
			             : fail(err, "patch set: %.200s: the stream ends inside it",
			                    path);
		k = r->len - r->pos < n ? r->len - r->pos : (size_t)n;
		if (fn && fn(ctx, r->out + r->pos, k, err) < 0)
			return -1;
		r->pos += k;
		n -= k;
	}
	return 0;
}

/* The next line without its '\n', at most PATCHSET_LINE_MAX bytes with it. */
static int rd_line(struct rd *r, char line[PATCHSET_LINE_MAX], struct err *err)
{
	for (size_t n = 0; n < PATCHSET_LINE_MAX; n++) {
		int f;

		if (r->pos == r->len && (f = rd_fill(r, err)) <= 0)
			return f < 0 ? -1 : fail(err, "patch set: truncated (no \"end\" line)");
		line[n] = (char)r->out[r->pos++];
		if (line[n] == '\n') {
			line[n] = '\0';
			return 0;
		}
		if (line[n] == '\0')
			return fail(err, "patch set: a NUL byte in a record line");
	}
	return fail(err, "patch set: a line longer than %u bytes", PATCHSET_LINE_MAX);
}

/* The whole stream must end with the frame holding "end\n". */
static int rd_end(struct rd *r, struct err *err)
{
	int f;

	if (r->pos < r->len || (f = rd_fill(r, err)) > 0)
		return fail(err, "patch set: bytes after the \"end\" line");
	if (f < 0)
		return -1;
	if (r->last != 0)
		return fail(err, "patch set: truncated (the zstd frame does not end)");
	return 0;
}

/* A decimal number without a leading zero, at most max; *s moves past it. */
static int num(const char **s, uint64_t max, uint64_t *v)
{
	const char *p = *s;

	*v = 0;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*v > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	return 0;
}

static int hexbyte(const char *p)
{
	int v = 0;

	for (int k = 0; k < 2; k++) {
		char c = p[k];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else
			return -1;
	}
	return v;
}

struct record {
	uint64_t i;
	bool zpatch;
	uint8_t base[32];
	uint64_t len; /* full: the file's size; zpatch: the frame's */
};

static int parse_record(const char *s, struct record *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (num(&s, MANIFEST_MAX_FILES, &rec->i) < 0)
		return -1;
	if (!strncmp(s, " full ", 6)) {
		s += 6;
	} else if (!strncmp(s, " zpatch ", 8)) {
		s += 8;
		rec->zpatch = true;
		for (int k = 0; k < 32; k++) {
			int b = hexbyte(s + 2 * k);

			if (b < 0)
				return -1;
			rec->base[k] = (uint8_t)b;
		}
		s += 64;
		if (*s++ != ' ')
			return -1;
	} else {
		return -1;
	}
	return num(&s, MANIFEST_MAX_FILE_SIZE, &rec->len) < 0 || *s ? -1 : 0;
}

struct apply {
	struct rd r;
	const struct manifest *m;
	bool *need;
	int stagingfd;
	patchset_base_fn base_fn;
	void *base_ctx;
	struct patchset_apply_stats *st;
	struct stage_dir dir;
	struct stage_file file;
	ZSTD_DCtx *patch;
	int64_t when;
};

static int to_file(void *ctx, const uint8_t *buf, size_t n, struct err *err)
{
	return stage_file_write(ctx, buf, n, err);
}

static int to_buf(void *ctx, const uint8_t *buf, size_t n, struct err *err)
{
	uint8_t **p = ctx;

	(void)err;
	memcpy(*p, buf, n);
	*p += n;
	return 0;
}

static int apply_full(struct apply *a, const struct manifest_file *f, uint64_t size,
                      struct err *err)
{
	if (stage_file_open(&a->file, &a->dir, a->stagingfd, f, err) < 0 ||
	    rd_take(&a->r, size, to_file, &a->file, f->path, err) < 0 ||
	    stage_file_close(&a->file, a->when, FROM_PATCHES, err) < 0)
		return -1;
	a->st->files_full++;
	return 0;
}

/* The zpatch's frame z decoded against the base base_fn opens into out (f->size bytes).
 * 1: the host has no such base. */
static int zpatch_decode(struct apply *a, const struct manifest_file *f, const uint8_t sha[32],
                         const uint8_t *z, size_t zlen, uint8_t *out, struct err *err)
{
	uint64_t bsize = 0;
	char *base = NULL;
	size_t blen = 0, r;
	int fd = a->base_fn(a->base_ctx, sha, &bsize), rc = -1;

	if (fd < 0)
		return 1;
	if (bsize > PATCHSET_FILE_MAX) {
		fail(err, "patch set: %.200s: its base is larger than %u bytes", f->path,
		     PATCHSET_FILE_MAX);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		fail_sys(err, "patch set: %.200s: cannot read its base", f->path);
		goto out;
	}
	if (read_fd_all(fd, PATCHSET_FILE_MAX, &base, &blen, err) < 0) {
		fail_prefix(err, "patch set: %.200s: its base", f->path);
		goto out;
	}
	if (blen != bsize) {
		fail_kind(err, ERR_SYSTEM, "patch set: %.200s: its base changed size", f->path);
		goto out;
	}
	ZSTD_DCtx_reset(a->patch, ZSTD_reset_session_and_parameters);
	if (ZSTD_isError(
	        ZSTD_DCtx_setParameter(a->patch, ZSTD_d_windowLogMax, PATCHSET_WINDOW_LOG_MAX)) ||
	    ZSTD_isError(ZSTD_DCtx_refPrefix(a->patch, base, blen))) {
		fail_kind(err, ERR_SYSTEM, "patch set: zstd refuses its parameters");
		goto out;
	}
	r = ZSTD_decompressDCtx(a->patch, out, (size_t)f->size, z, zlen);
	if (ZSTD_isError(r) || r != f->size) {
		fail(err, "patch set: %.200s: the zpatch does not decode against its base: %s",
		     f->path, ZSTD_isError(r) ? ZSTD_getErrorName(r) : "wrong size");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	free(base);
	return rc;
}

static int apply_zpatch(struct apply *a, const struct manifest_file *f, const struct record *rec,
                        struct err *err)
{
	uint8_t *z = NULL, *out = NULL, *p;
	int r = -1;

	if (!(p = z = malloc((size_t)rec->len)))
		return fail_oom(err);
	if (rd_take(&a->r, rec->len, to_buf, &p, f->path, err) < 0)
		goto out;
	if (ZSTD_findFrameCompressedSize(z, (size_t)rec->len) != rec->len ||
	    ZSTD_getFrameContentSize(z, (size_t)rec->len) != f->size) {
		fail(err, "patch set: %.200s: the zpatch is not one zstd frame of the file's size",
		     f->path);
		goto out;
	}
	if (!(out = malloc(f->size ? (size_t)f->size : 1))) {
		fail_oom(err);
		goto out;
	}
	if ((r = zpatch_decode(a, f, rec->base, z, (size_t)rec->len, out, err)) != 0) {
		a->st->no_base += r > 0;
		goto out;
	}
	r = -1;
	if (stage_file_open(&a->file, &a->dir, a->stagingfd, f, err) < 0 ||
	    stage_file_write(&a->file, out, (size_t)f->size, err) < 0 ||
	    stage_file_close(&a->file, a->when, FROM_PATCHES, err) < 0)
		goto out;
	a->st->files_patched++;
	r = 0;
out:
	free(z);
	free(out);
	return r;
}

/* Without a staging directory: whether the record would write its file (a zpatch needs its
 * base), nothing decoded or written. */
static int look_ahead(struct apply *a, const struct manifest_file *f, const struct record *rec,
                      struct err *err)
{
	uint64_t bsize;
	int fd = rec->zpatch ? a->base_fn(a->base_ctx, rec->base, &bsize) : -1;

	if (fd >= 0)
		close(fd);
	if (rd_take(&a->r, rec->len, NULL, NULL, f->path, err) < 0)
		return -1;
	if (rec->zpatch && fd < 0) {
		a->st->no_base++;
		return 0;
	}
	a->need[rec->i + 1] = false;
	if (rec->zpatch)
		a->st->files_patched++;
	else
		a->st->files_full++;
	return 0;
}

static int apply_record(struct apply *a, const struct record *rec, struct err *err)
{
	const struct manifest_file *f = &a->m->files[rec->i];
	int r;

	if (f->type != MANIFEST_FILE)
		return fail(err, "patch set: %.200s is not a regular file", f->path);
	if (!rec->zpatch && rec->len != f->size)
		return fail(err, "patch set: %.200s: %llu bytes, the manifest's size is %llu",
		            f->path, (unsigned long long)rec->len, (unsigned long long)f->size);
	if (rec->zpatch && (rec->len == 0 || rec->len > ZSTD_compressBound(PATCHSET_FILE_MAX) ||
	                    f->size > PATCHSET_FILE_MAX))
		return fail(err, "patch set: %.200s: a zpatch out of bounds", f->path);
	if (!a->need[rec->i + 1]) {
		a->st->skipped++;
		return rd_take(&a->r, rec->len, NULL, NULL, f->path, err);
	}
	if (a->stagingfd < 0)
		return look_ahead(a, f, rec, err);
	r = rec->zpatch ? apply_zpatch(a, f, rec, err) : apply_full(a, f, rec->len, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	a->need[rec->i + 1] = false;
	a->st->bytes_written += f->size;
	return 0;
}

static int apply_records(struct apply *a, const char *manifest_sha256, struct err *err)
{
	char line[PATCHSET_LINE_MAX];
	uint64_t next = 0; /* the least index the next record may have */
	struct record rec;

	if (rd_line(&a->r, line, err) < 0)
		return -1;
	if (strncmp(line, PATCHSET_MAGIC " ", strlen(PATCHSET_MAGIC) + 1))
		return fail(err, "patch set: not a patch set (no \"" PATCHSET_MAGIC "\" line)");
	if (strcmp(line + strlen(PATCHSET_MAGIC) + 1, manifest_sha256))
		return fail(err, "patch set: made for another release's manifest");
	for (;;) {
		if (rd_line(&a->r, line, err) < 0)
			return -1;
		if (!strcmp(line, "end"))
			return rd_end(&a->r, err);
		if (parse_record(line, &rec) < 0)
			return fail(err, "patch set: a malformed record line after file %llu",
			            (unsigned long long)next);
		if (rec.i < next || rec.i >= a->m->n_files)
			return fail(err, "patch set: record for file %llu out of order or range",
			            (unsigned long long)rec.i);
		next = rec.i + 1;
		if (apply_record(a, &rec, err) < 0)
			return -1;
	}
}

int patchset_apply(int fd, const struct manifest *m, const char *manifest_sha256, bool *need,
                   int stagingfd, patchset_base_fn base_fn, void *base_ctx,
                   struct patchset_apply_stats *st, struct err *err)
{
	struct apply a = {.r = {.fd = fd},
	                  .m = m,
	                  .need = need,
	                  .stagingfd = stagingfd,
	                  .base_fn = base_fn,
	                  .base_ctx = base_ctx,
	                  .st = st,
	                  .dir = {.fd = -1},
	                  .when = manifest_build_epoch(m)};
	int rc = -1;

	memset(st, 0, sizeof(*st));
	a.r.in_cap = ZSTD_DStreamInSize();
	a.r.out_cap = ZSTD_DStreamOutSize();
	if (stage_file_init(&a.file, err) < 0)
		return -1;
	if (!(a.r.dc = ZSTD_createDCtx()) || !(a.patch = ZSTD_createDCtx()) ||
	    !(a.r.in = malloc(a.r.in_cap)) || !(a.r.out = malloc(a.r.out_cap))) {
		fail_oom(err);
		goto out;
	}
	if (ZSTD_isError(
	        ZSTD_DCtx_setParameter(a.r.dc, ZSTD_d_windowLogMax, PATCHSET_WINDOW_LOG_MAX))) {
		fail_kind(err, ERR_SYSTEM, "patch set: zstd refuses its parameters");
		goto out;
	}
	rc = apply_records(&a, manifest_sha256, err);
out:
	stage_file_release(&a.file);
	stage_dir_release(&a.dir);
	ZSTD_freeDCtx(a.r.dc);
	ZSTD_freeDCtx(a.patch);
	free(a.r.in);
	free(a.r.out);
	return rc;
}
