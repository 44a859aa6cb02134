/* A local release archive read file by file through its seek table (see patchset.h). */
#include "release/store/patchset.h"
#include "release/base/fileio.h"
#include "release/base/seektable.h"
#include "release/manifest/manifest_digest.h"
#include "release/store/framefiles.h"
#include "release/store/frameplan.h"
#include "release/store/tarlayout.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct archive_files {
	int fd;
	struct frame_stream *fs; /* decodes every frame read */
	struct frame_map fm;
	struct tar_layout l;
	struct manifest *m;
	char sha256[2 * MANIFEST_DIGEST_BYTES + 1];
	size_t frame; /* the frame in buf; fm.n: none */
	uint8_t *buf;
	size_t len;
};

static int pread_all(int fd, void *buf, size_t n, uint64_t off, struct err *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_sys(err, "cannot read the archive");
		if (r == 0)
			return fail(err, "the archive is truncated");
		got += (size_t)r;
	}
	return 0;
}

/* The seek table from the tail. 1: the archive has none. */
static int read_table(struct archive_files *af, uint64_t size, struct err *err)
{
	uint8_t footer[SEEKTABLE_FOOTER_BYTES], *tail = NULL;
	struct seek_frame *v = NULL;
	size_t n, tsize;
	int r = -1;

	if (size < SEEKTABLE_FOOTER_BYTES)
		return 1;
	if (pread_all(af->fd, footer, sizeof(footer), size - sizeof(footer), err) < 0)
		return -1;
	if (footer[5] != (SEEKTABLE_FOOTER_MAGIC & 0xff) ||
	    footer[6] != (SEEKTABLE_FOOTER_MAGIC >> 8 & 0xff) ||
	    footer[7] != (SEEKTABLE_FOOTER_MAGIC >> 16 & 0xff) ||
	    footer[8] != (SEEKTABLE_FOOTER_MAGIC >> 24))
		return 1; /* gzip, or one zstd stream */
	if (seektable_footer(footer, &n, err) < 0)
		return -1;
	tsize = seektable_size(n);
	if (n == 0 || tsize >= size)
		return fail(err, "the seek table names %zu frames in %llu bytes", n,
		            (unsigned long long)size);
	if (!(tail = malloc(tsize)) || !(v = calloc(n, sizeof(*v)))) {
		fail_oom(err);
		goto out;
	}
	if (pread_all(af->fd, tail, tsize, size - tsize, err) < 0 ||
	    seektable_parse(tail, tsize, n, v, err) < 0 ||
	    frame_map_build(v, n, size, tsize, &af->fm, err) < 0)
		goto out;
	r = 0;
out:
	free(tail);
	free(v);
	return r;
}

/* Frame 0's manifest, and the layout it gives. 1: not this reader's layout. */
static int read_manifest(struct archive_files *af, struct err *err)
{
	char *json = NULL;
	size_t json_len;
	int r = -1;

	if (frame_read_manifest(af->fs, af->fd, &af->fm, &json, &json_len, err) < 0)
		goto out;
	manifest_digest_hex(json, json_len, af->sha256);
	if (manifest_parse(json, json_len, &af->m, err) < 0) {
		fail_prefix(err, "manifest");
		fail_recast(err, ERR_REFUSED);
		goto out;
	}
	if (tar_layout_compute(af->m, json_len, &af->l, err) < 0)
		goto out;
	r = af->l.total == af->fm.doff[af->fm.n] ? 0 : 1;
out:
	bigmem_free(json);
	return r;
}

int archive_files_open(const char *path, struct archive_files **out, struct err *err)
{
	struct archive_files *af = calloc(1, sizeof(*af));
	struct stat st;
	int r = -1;

	*out = NULL;
	if (!af)
		return fail_oom(err);
	if ((af->fd = open_regular_at(AT_FDCWD, path, 0, &st, err)) < 0 ||
	    frame_stream_new(&af->fs, err) < 0)
		goto out;
	if ((r = read_table(af, (uint64_t)st.st_size, err)) != 0 ||
	    (r = read_manifest(af, err)) != 0)
		goto out;
	af->frame = af->fm.n;
	*out = af;
	af = NULL;
out:
	if (r < 0)
		fail_prefix(err, "%.200s", path);
	archive_files_close(af);
	return r;
}

void archive_files_close(struct archive_files *af)
{
	if (!af)
		return;
	if (af->fd >= 0)
		close(af->fd);
	frame_stream_free(af->fs);
	frame_map_release(&af->fm);
	tar_layout_release(&af->l);
	manifest_free(af->m);
	bigmem_free(af->buf);
	free(af);
}

const struct manifest *archive_files_manifest(const struct archive_files *af)
{
	return af->m;
}

const char *archive_files_manifest_sha256(const struct archive_files *af)
{
	return af->sha256;
}

/* Frame f decoded into af->buf (kept: the next file is most often in the same frame). */
static int load_frame(struct archive_files *af, size_t f, struct err *err)
{
	if (af->frame == f)
		return 0;
	bigmem_free(af->buf);
	af->buf = NULL;
	af->frame = af->fm.n;
	if (frame_stream_decode_whole(af->fs, af->fd, &af->fm, f, &af->buf, &af->len, err) < 0)
		return -1;
	af->frame = f;
	return 0;
}

int archive_files_stream(struct archive_files *af, size_t i, archive_files_fn fn, void *ctx,
                         struct err *err)
{
	const struct manifest_file *mf = i < af->m->n_files ? &af->m->files[i] : NULL;
	uint64_t pos, end;
	EVP_MD_CTX *sha;
	uint8_t digest[32];
	int rc = -1;

	if (!mf || mf->type != MANIFEST_FILE)
		return fail(err, "entry %zu is not a regular file", i);
	pos = af->l.data[i + 1];
	end = pos + mf->size;
	if (end > af->fm.doff[af->fm.n] || end < pos)
		return fail(err, "%.200s lies past the archive's frames", mf->path);
	if (!(sha = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(sha);
		return fail_kind(err, ERR_SYSTEM, "SHA-256 unavailable");
	}
	while (pos < end) {
		size_t f = frame_map_find(&af->fm, pos);
		uint64_t lo = af->fm.doff[f], hi = af->fm.doff[f + 1];
		size_t n = (size_t)((end < hi ? end : hi) - pos);

		if (load_frame(af, f, err) < 0)
			goto out;
		EVP_DigestUpdate(sha, af->buf + (pos - lo), n);
		if (fn(ctx, af->buf + (pos - lo), n, err) < 0)
			goto out;
		pos += n;
	}
	EVP_DigestFinal_ex(sha, digest, NULL);
	if (memcmp(digest, mf->sha256, 32)) {
		fail(err, "%.200s: the archive's bytes do not hold the manifest's SHA-256",
		     mf->path);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(sha);
	return rc;
}

struct into_buf {
	uint8_t *p;
	size_t len;
};

static int append(void *ctx, const uint8_t *buf, size_t len, struct err *err)
{
	struct into_buf *b = ctx;

	(void)err;
	memcpy(b->p + b->len, buf, len);
	b->len += len;
	return 0;
}

int archive_files_read(struct archive_files *af, size_t i, uint8_t **out, size_t *len,
                       struct err *err)
{
	struct into_buf b = {0};

	*out = NULL;
	*len = 0;
	if (i >= af->m->n_files || af->m->files[i].type != MANIFEST_FILE)
		return fail(err, "entry %zu is not a regular file", i);
	if (af->m->files[i].size > SIZE_MAX - 1 ||
	    !(b.p = malloc(af->m->files[i].size ? (size_t)af->m->files[i].size : 1)))
		return fail_oom(err);
	if (archive_files_stream(af, i, append, &b, err) < 0) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
