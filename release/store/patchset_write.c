/* Writing a patch set (patchset.h, specs/channel.md "Patch sets"): the outer zstd stream,
 * each wanted file as a zpatch against its base when that is smaller, else whole. */
#include "release/store/patchset.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define OUTER_LEVEL      3
#define OUTER_WINDOW_LOG 21 /* level 3's own: whole files cost what `tar | zstd -3` makes */
#define PATCH_LEVEL      3
#define PATCH_WINDOW_MIN 10 /* ZSTD_WINDOWLOG_MIN (zstd's static-only API) */

struct out {
	int fd;
	ZSTD_CCtx *cc;
	uint8_t *buf;
	size_t cap;
	uint64_t written;
};

static int out_push(struct out *o, const void *p, size_t n, ZSTD_EndDirective end, struct err *err)
{
	ZSTD_inBuffer in = {p, n, 0};

	for (;;) {
		ZSTD_outBuffer ob = {o->buf, o->cap, 0};
		size_t r = ZSTD_compressStream2(o->cc, &ob, &in, end);

		if (ZSTD_isError(r))
			return fail_kind(err, ERR_SYSTEM, "patch set: zstd: %s",
			                 ZSTD_getErrorName(r));
		if (ob.pos && write_all(o->fd, o->buf, ob.pos, err) < 0)
			return fail_prefix(err, "cannot write the patch set");
		o->written += ob.pos;
		if (end == ZSTD_e_continue ? in.pos == in.size : r == 0)
			return 0;
	}
}

static int out_put(void *ctx, const uint8_t *buf, size_t len, struct err *err)
{
	return out_push(ctx, buf, len, ZSTD_e_continue, err);
}

static int out_line(struct out *o, struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int out_line(struct out *o, struct err *err, const char *fmt, ...)
{
	char line[PATCHSET_LINE_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n > PATCHSET_LINE_MAX)
		return fail_kind(err, ERR_SYSTEM, "patch set: a record line too long");
	return out_push(o, line, (size_t)n, ZSTD_e_continue, err);
}

/* The regular files of the base, by SHA-256. */
struct base_file {
	uint8_t sha256[32];
	size_t i;
};

static int by_sha(const void *a, const void *b)
{
	const struct base_file *x = a, *y = b;
	int c = memcmp(x->sha256, y->sha256, 32);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int by_sha_only(const void *key, const void *b)
{
	return memcmp(key, ((const struct base_file *)b)->sha256, 32);
}

static int base_index(struct archive_files *base, struct base_file **out, size_t *n,
                      struct err *err)
{
	const struct manifest *m = base ? archive_files_manifest(base) : NULL;

	*out = NULL;
	*n = 0;
	if (!m || !m->n_files)
		return 0;
	if (!(*out = calloc(m->n_files, sizeof(**out))))
		return fail_oom(err);
	for (size_t i = 0; i < m->n_files; i++) {
		if (m->files[i].type != MANIFEST_FILE)
			continue;
		memcpy((*out)[*n].sha256, m->files[i].sha256, 32);
		(*out)[(*n)++].i = i;
	}
	qsort(*out, *n, sizeof(**out), by_sha);
	return 0;
}

/* The smallest window holding base and target, within the bound. */
static int patch_window_log(size_t total)
{
	int w = PATCH_WINDOW_MIN;

	while (w < PATCHSET_WINDOW_LOG_MAX && ((size_t)1 << w) < total)
		w++;
	return w;
}

/* t as one zstd frame with b as its raw prefix, content size written; NULL when it fails.
 * Long-distance matching: level 3's tables alone lose most of a multi-MiB base (7 MB of text
 * with 100 edits: 57 KB without, 2.7 KB with, faster; level 19 makes 2.0 KB in 10 s). */
static uint8_t *zpatch_make(const uint8_t *b, size_t blen, const uint8_t *t, size_t tlen,
                            size_t *len)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(tlen), r = 0;
	uint8_t *out = malloc(cap);

	if (!cc || !out ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, PATCH_LEVEL)) ||
	    ZSTD_isError(
	        ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, patch_window_log(blen + tlen))) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_enableLongDistanceMatching, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_refPrefix(cc, b, blen)) ||
	    ZSTD_isError(r = ZSTD_compress2(cc, out, cap, t, tlen))) {
		free(out);
		out = NULL;
	}
	*len = r;
	ZSTD_freeCCtx(cc);
	return out;
}

/* The size of t compressed alone (about what it costs whole in the outer stream). */
static size_t alone_size(const uint8_t *t, size_t tlen)
{
	size_t cap = ZSTD_compressBound(tlen), r;
	void *buf = malloc(cap);

	if (!buf)
		return SIZE_MAX;
	r = ZSTD_compress(buf, cap, t, tlen, OUTER_LEVEL);
	free(buf);
	return ZSTD_isError(r) ? SIZE_MAX : r;
}

struct writer {
	struct out o;
	struct archive_files *target, *base;
	struct base_file *bases;
	size_t n_bases;
	struct patchset_stats *st;
};

/* File i as a zpatch against its base: 1 when not smaller than whole (*t then holds the
 * file's bytes when it was read), 0 written. */
static int try_zpatch(struct writer *w, size_t i, const struct patchset_want *want, uint8_t **t,
                      size_t *tlen, struct err *err)
{
	const struct manifest_file *f = &archive_files_manifest(w->target)->files[i];
	const struct base_file *bf;
	uint8_t *b = NULL, *z = NULL;
	size_t blen, zlen;
	char sha[65];
	int r = 1;

	if (!want->has_base || !w->n_bases || f->size == 0 || f->size > PATCHSET_FILE_MAX ||
	    !(bf = bsearch(want->base_sha256, w->bases, w->n_bases, sizeof(*bf), by_sha_only)) ||
	    archive_files_manifest(w->base)->files[bf->i].size > PATCHSET_FILE_MAX)
		return 1;
	if (archive_files_read(w->target, i, t, tlen, err) < 0 ||
	    archive_files_read(w->base, bf->i, &b, &blen, err) < 0) {
		r = -1;
		goto out;
	}
	z = zpatch_make(b, blen, *t, *tlen, &zlen);
	if (!z || zlen >= alone_size(*t, *tlen))
		goto out;
	hex_encode(want->base_sha256, 32, sha);
	if (out_line(&w->o, err, "%zu zpatch %s %zu\n", i, sha, zlen) < 0 ||
	    out_push(&w->o, z, zlen, ZSTD_e_continue, err) < 0) {
		r = -1;
		goto out;
	}
	w->st->files_patched++;
	w->st->bytes_patched += f->size;
	r = 0;
out:
	free(b);
	free(z);
	return r;
}

static int write_file(struct writer *w, size_t i, const struct patchset_want *want, struct err *err)
{
	const struct manifest_file *f = &archive_files_manifest(w->target)->files[i];
	uint8_t *t = NULL;
	size_t tlen = 0;
	int r = try_zpatch(w, i, want, &t, &tlen, err);

	if (r <= 0)
		goto out;
	r = -1;
	if (out_line(&w->o, err, "%zu full %llu\n", i, (unsigned long long)f->size) < 0)
		goto out;
	if (t ? out_push(&w->o, t, tlen, ZSTD_e_continue, err) < 0
	      : archive_files_stream(w->target, i, out_put, &w->o, err) < 0)
		goto out;
	w->st->files_full++;
	w->st->bytes_full += f->size;
	r = 0;
out:
	free(t);
	return r;
}

int patchset_write(int fd, struct archive_files *target, const struct patchset_want *want,
                   struct archive_files *base, const struct patchset_progress *pr,
                   struct patchset_stats *st, struct err *err)
{
	const struct manifest *m = archive_files_manifest(target);
	struct writer w = {.o = {.fd = fd}, .target = target, .base = base, .st = st};
	int rc = -1;

	memset(st, 0, sizeof(*st));
	w.o.cap = ZSTD_CStreamOutSize();
	if (!(w.o.cc = ZSTD_createCCtx()) || !(w.o.buf = malloc(w.o.cap))) {
		fail_oom(err);
		goto out;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w.o.cc, ZSTD_c_compressionLevel, OUTER_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w.o.cc, ZSTD_c_windowLog, OUTER_WINDOW_LOG))) {
		fail_kind(err, ERR_SYSTEM, "patch set: zstd refuses its parameters");
		goto out;
	}
	if (base_index(base, &w.bases, &w.n_bases, err) < 0 ||
	    out_line(&w.o, err, PATCHSET_MAGIC " %s\n", archive_files_manifest_sha256(target)) < 0)
		goto out;
	for (size_t i = 0; i < m->n_files; i++) {
		if (!want[i].send || m->files[i].type != MANIFEST_FILE)
			continue;
		if (write_file(&w, i, &want[i], err) < 0)
			goto out;
		if (pr && pr->tick)
			pr->tick(pr->ctx);
	}
	if (out_push(&w.o, "end\n", 4, ZSTD_e_end, err) < 0)
		goto out;
	st->out_bytes = w.o.written;
	rc = 0;
out:
	ZSTD_freeCCtx(w.o.cc);
	free(w.o.buf);
	free(w.bases);
	return rc;
}
