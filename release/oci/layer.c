/* The release layer (specs/oci.md "The release layer"); see layer.h. */
#include "release/oci/layer.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define GZIP_LEVEL 6
#define OUT_BLOCK  (256u << 10)
#define READ_BLOCK (1u << 20)

struct layer_ctx {
	const struct oci_layout *l;
	const struct oci_layer_in *in;
	struct archive *a;
	struct archive_entry *e;
	int fd; /* the blob being written */
	char tmp[64];
	z_stream z;
	bool z_ready;
	EVP_MD_CTX *tar_hash, *gz_hash, *file_hash;
	unsigned char *out, *buf;
	uint64_t gz_bytes;
	struct err stream_err; /* why the write callback failed (msg "" until then) */
};

/* Compressed bytes in z's output buffer to the blob and its hash. */
static int drain(struct layer_ctx *c, struct err *err)
{
	size_t n = OUT_BLOCK - c->z.avail_out;

	if (n) {
		EVP_DigestUpdate(c->gz_hash, c->out, n);
		if (write_all(c->fd, c->out, n, err) < 0)
			return -1;
		c->gz_bytes += n;
	}
	c->z.next_out = c->out;
	c->z.avail_out = OUT_BLOCK;
	return 0;
}

static int deflate_all(struct layer_ctx *c, const void *buf, size_t len, int flush, struct err *err)
{
	int r;

	c->z.next_in = (Bytef *)buf;
	c->z.avail_in = (uInt)len;
	do {
		r = deflate(&c->z, flush);
		if (r == Z_STREAM_ERROR)
			return fail_kind(err, ERR_SYSTEM, "gzip failed");
		if (c->z.avail_out == 0 || flush == Z_FINISH)
			if (drain(c, err) < 0)
				return -1;
	} while (c->z.avail_in > 0 || (flush == Z_FINISH && r != Z_STREAM_END));
	return 0;
}

static la_ssize_t tar_out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct layer_ctx *c = ctx;

	EVP_DigestUpdate(c->tar_hash, buf, len);
	for (size_t done = 0; done < len;) {
		size_t n = len - done > (1u << 30) ? 1u << 30 : len - done;

		if (deflate_all(c, (const char *)buf + done, n, Z_NO_FLUSH, &c->stream_err) < 0) {
			archive_set_error(a, EIO, "%s", c->stream_err.msg);
			return -1;
		}
		done += n;
	}
	return (la_ssize_t)len;
}

static int tar_fail(struct layer_ctx *c, const char *what, struct err *err)
{
	const char *msg = c->stream_err.msg[0] ? c->stream_err.msg : archive_error_string(c->a);

	return fail_kind(err, ERR_SYSTEM, "cannot write the layer (%s): %s", what,
	                 msg ? msg : "libarchive error");
}

static void entry_start(struct layer_ctx *c, const char *path, mode_t type, unsigned mode)
{
	archive_entry_clear(c->e);
	archive_entry_set_pathname(c->e, path);
	archive_entry_set_filetype(c->e, type);
	archive_entry_set_perm(c->e, mode);
	archive_entry_set_uid(c->e, 0);
	archive_entry_set_gid(c->e, 0);
	archive_entry_set_mtime(c->e, (time_t)c->in->mtime, 0);
	archive_entry_set_size(c->e, 0);
}

static int put_header(struct layer_ctx *c, const char *path, struct err *err)
{
	if (archive_write_header(c->a, c->e) != ARCHIVE_OK)
		return tar_fail(c, path, err);
	return 0;
}

static int put_dir(struct layer_ctx *c, const char *path, struct err *err)
{
	entry_start(c, path, AE_IFDIR, 0755);
	return put_header(c, path, err);
}

static int put_symlink(struct layer_ctx *c, const char *path, const char *target, struct err *err)
{
	entry_start(c, path, AE_IFLNK, 0777);
	archive_entry_set_symlink(c->e, target);
	return put_header(c, path, err);
}

/* A regular file of the verified tree (`rel`, relative to treefd) at `path` in the layer.
 * `want` is its manifest entry, or NULL for the manifest file itself. */
static int put_file(struct layer_ctx *c, const char *rel, const char *path,
                    const struct manifest_file *want, struct err *err)
{
	unsigned char digest[32];
	struct stat st;
	uint64_t done = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = open_regular_at(c->in->treefd, rel, 1, &st, err);
	if (fd < 0)
		return fail_prefix(err, "the verified tree");
	if (want && (uint64_t)st.st_size != want->size) {
		fail(err, "%.200s in the verified tree is not the manifest's file", rel);
		goto out;
	}
	entry_start(c, path, AE_IFREG, want ? want->mode : 0644);
	archive_entry_set_size(c->e, st.st_size);
	if (put_header(c, path, err) < 0 || !EVP_DigestInit_ex(c->file_hash, EVP_sha256(), NULL))
		goto out;
	while ((n = read(fd, c->buf, READ_BLOCK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_sys(err, "cannot read %.200s", rel);
			goto out;
		}
		if (done + (uint64_t)n > (uint64_t)st.st_size) {
			fail(err, "%.200s grew while it was being written", rel);
			goto out;
		}
		EVP_DigestUpdate(c->file_hash, c->buf, (size_t)n);
		if (archive_write_data(c->a, c->buf, (size_t)n) != n) {
			tar_fail(c, rel, err);
			goto out;
		}
		done += (uint64_t)n;
	}
	EVP_DigestFinal_ex(c->file_hash, digest, NULL);
	if (done != (uint64_t)st.st_size || (want && memcmp(digest, want->sha256, 32))) {
		fail(err, "%.200s in the verified tree does not match the manifest", rel);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int put_tree(struct layer_ctx *c, struct err *err)
{
	const struct manifest *m = c->in->m;
	size_t plen = strlen(c->in->prefix), rlen;
	char *path = NULL, *rel = NULL, target[16 + MANIFEST_MAX_NAME];
	int rc = -1;

	/* prefix + "/releases/" + version + "/" + the longest manifest path */
	path = malloc(plen + 10 + strlen(m->version) + 1 + MANIFEST_MAX_PATH + 1);
	if (!path)
		return fail_oom(err);
	for (size_t i = 0; i <= plen; i++)
		if (c->in->prefix[i] == '/' || i == plen) {
			memcpy(path, c->in->prefix, i);
			path[i] = '\0';
			if (put_dir(c, path, err) < 0)
				goto out;
		}
	rlen = (size_t)sprintf(path, "%s/releases", c->in->prefix);
	if (put_dir(c, path, err) < 0)
		goto out;
	rlen += (size_t)sprintf(path + rlen, "/%s", m->version);
	if (put_dir(c, path, err) < 0)
		goto out;
	rel = path + rlen + 1;
	path[rlen] = '/';
	strcpy(rel, MANIFEST_NAME);
	if (put_file(c, MANIFEST_NAME, path, NULL, err) < 0)
		goto out;
	for (size_t i = 0; i < m->n_files; i++) {
		const struct manifest_file *f = &m->files[i];

		strcpy(rel, f->path);
		switch (f->type) {
		case MANIFEST_DIR:
			rc = put_dir(c, path, err);
			break;
		case MANIFEST_SYMLINK:
			rc = put_symlink(c, path, f->target, err);
			break;
		case MANIFEST_FILE:
			rc = put_file(c, f->path, path, f, err);
			break;
		}
		if (rc < 0)
			goto out;
		rc = -1;
	}
	sprintf(path, "%s/" STORE_CURRENT, c->in->prefix);
	snprintf(target, sizeof(target), STORE_RELEASES "/%s", m->version);
	if (put_symlink(c, path, target, err) < 0)
		goto out;
	rc = 0;
out:
	free(path);
	return rc;
}

static int setup(struct layer_ctx *c, struct err *err)
{
	c->a = archive_write_new();
	c->e = archive_entry_new();
	c->tar_hash = EVP_MD_CTX_new();
	c->gz_hash = EVP_MD_CTX_new();
	c->file_hash = EVP_MD_CTX_new();
	c->out = malloc(OUT_BLOCK);
	c->buf = malloc(READ_BLOCK);
	if (!c->a || !c->e || !c->tar_hash || !c->gz_hash || !c->file_hash || !c->out || !c->buf ||
	    !EVP_DigestInit_ex(c->tar_hash, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(c->gz_hash, EVP_sha256(), NULL))
		return fail_oom(err);
	/* gzip wrapper (windowBits 15 + 16) with zlib's fixed header: no name, mtime 0. */
	if (deflateInit2(&c->z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return fail_kind(err, ERR_SYSTEM, "cannot start gzip");
	c->z_ready = true;
	c->z.next_out = c->out;
	c->z.avail_out = OUT_BLOCK;
	if (archive_write_set_format_pax_restricted(c->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(c->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(c->a, 1) != ARCHIVE_OK ||
	    archive_write_open(c->a, c, NULL, tar_out, NULL) != ARCHIVE_OK)
		return tar_fail(c, "setup", err);
	return 0;
}

int oci_layer_write(const struct oci_layout *l, const struct oci_layer_in *in, struct oci_desc *d,
                    char diff_id[OCI_DIGEST_LEN + 1], struct err *err)
{
	struct layer_ctx c = {.l = l, .in = in, .fd = -1};
	unsigned char raw[32];
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (oci_blob_tmp(l, &c.fd, c.tmp, err) < 0)
		return -1;
	if (setup(&c, err) < 0 || put_tree(&c, err) < 0)
		goto out;
	if (archive_write_close(c.a) != ARCHIVE_OK) {
		tar_fail(&c, "end", err);
		goto out;
	}
	if (deflate_all(&c, NULL, 0, Z_FINISH, err) < 0)
		goto out;
	EVP_DigestFinal_ex(c.tar_hash, raw, NULL);
	oci_digest_format(raw, diff_id);
	EVP_DigestFinal_ex(c.gz_hash, raw, NULL);
	oci_digest_format(raw, d->digest);
	d->size = c.gz_bytes;
	strcpy(d->media_type, OCI_MEDIA_LAYER_GZ);
	rc = oci_blob_commit(l, c.fd, c.tmp, d->digest, err);
	c.fd = -1;
out:
	if (rc < 0 && c.fd >= 0)
		oci_blob_discard(l, c.fd, c.tmp);
	if (c.z_ready)
		deflateEnd(&c.z);
	archive_entry_free(c.e);
	if (c.a)
		archive_write_free(c.a);
	EVP_MD_CTX_free(c.tar_hash);
	EVP_MD_CTX_free(c.gz_hash);
	EVP_MD_CTX_free(c.file_hash);
	free(c.out);
	free(c.buf);
	return rc;
}
