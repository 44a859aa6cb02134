/* Verifying an archive as install does (specs/store.md "Install"); see verified.h. */
#include "release/store/verified.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/manifest/manifest_check.h"
#include "release/store/archive_digest.h"
#include "release/store/signed_release.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COPY_CHUNK (1u << 20)

int verified_hash_file(struct verified_archive *v, struct err *err)
{
	uint8_t digest[VERIFIED_HASH_BYTES];

	if (v->sealed)
		return 0; /* known since verified_open, and the copy cannot change */
	if (archive_digest_fd(v->fd, v->path, NULL, digest, err) < 0)
		return -1;
	hex_encode(digest, VERIFIED_HASH_BYTES, v->hash_hex);
	return 0;
}

int sha256_fd(int fd, const char *path, char hex[65], struct err *err)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], md[32];
	off_t off = 0;
	ssize_t n;

	if (!h || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h);
		return fail_kind(err, ERR_SYSTEM, "SHA-256 unavailable");
	}
	while ((n = pread(fd, buf, sizeof(buf), off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			EVP_MD_CTX_free(h);
			return fail_sys(err, "cannot read %s", path);
		}
		EVP_DigestUpdate(h, buf, (size_t)n);
		off += n;
	}
	EVP_DigestFinal_ex(h, md, NULL);
	EVP_MD_CTX_free(h);
	hex_encode(md, sizeof(md), hex);
	return 0;
}

int verified_signed_manifest(const struct verified_archive *v, char hex[65], struct err *err)
{
	uint8_t d[MANIFEST_DIGEST_BYTES];
	int r = v->tc ? signed_comment_manifest(v->tc, d, err) : 1;

	if (r == 0)
		hex_encode(d, sizeof(d), hex);
	return r;
}

int verified_signed_release(const struct verified_archive *v, struct signed_release *out,
                            struct err *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (!v->tc)
		return 1;
	if ((r = signed_comment_manifest(v->tc, out->manifest_sha256, err)) != 0)
		return r;
	out->app = strdup(v->app);
	out->version = strdup(v->version);
	out->tc = strdup(v->tc);
	out->serial = v->serial;
	out->file_checked = true;
	if (!out->app || !out->version || !out->tc) {
		signed_release_release(out);
		return fail_oom(err);
	}
	return 0;
}

int verified_sha256(struct verified_archive *v, char hex[65], struct err *err)
{
	return sha256_fd(v->fd, v->path, hex, err);
}

int archive_head_read(int fd, const char *path, struct archive_head *out, struct err *err)
{
	struct extract_limits lim;
	struct extractor *x = NULL;
	const struct manifest *m;
	int rc = -1;

	extract_limits_default(&lim);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return fail_sys(err, "cannot read %s", path);
	if (extractor_new(fd, &lim, NULL, NULL, &x, err) < 0 ||
	    extractor_read_manifest(x, &m, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->manifest_sha256, extractor_manifest_sha256(x), 65);
	out->serial = m->serial;
	if (!(out->app = strdup(m->app)) || !(out->version = strdup(m->version))) {
		archive_head_release(out);
		fail_oom(err);
		goto out;
	}
	rc = 0;
out:
	extractor_free(x);
	return rc;
}

void archive_head_release(struct archive_head *h)
{
	free(h->app);
	free(h->version);
	h->app = h->version = NULL;
}

/* The archive copied into a sealed memfd while it is hashed: every later read (libarchive's
 * included) then sees exactly the bytes whose digest was verified, whatever happens to the
 * file, and the archive is hashed once instead of twice. 1 when done, 0 when the archive is
 * too large for it (then the file itself is read, and checked again after the unpack). */
static int sealed_copy(struct verified_archive *v, const struct stat *sb, uint8_t *digest,
                       struct err *err)
{
	const char *env = getenv("SLIPWAY_TEST_ARCHIVE_COPY_MAX");
	uint64_t max = env ? strtoull(env, NULL, 10) : VERIFIED_COPY_MAX;
	EVP_MD_CTX *h = NULL;
	unsigned char *buf = NULL;
	uint64_t total = 0;
	int mfd = -1, rc = -1;

	if ((uint64_t)sb->st_size > max)
		return 0;
	mfd = memfd_create("slipway-archive", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return errno == ENOSYS || errno == EINVAL
		           ? 0
		           : fail_sys(err, "cannot copy %s", v->path);
	h = EVP_MD_CTX_new();
	buf = malloc(COPY_CHUNK);
	if (!h || !buf || !EVP_DigestInit_ex(h, EVP_blake2b512(), NULL)) {
		fail_oom(err);
		goto out;
	}
	for (;;) {
		ssize_t n = read(v->fd, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_sys(err, "cannot read %s", v->path);
			goto out;
		}
		if (n == 0)
			break;
		/* A file growing while it is copied would copy forever. */
		if ((total += (uint64_t)n) > max) {
			fail(err, "%s grew while it was being read", v->path);
			goto out;
		}
		EVP_DigestUpdate(h, buf, (size_t)n);
		if (write_all(mfd, buf, (size_t)n, err) < 0) {
			fail_prefix(err, "cannot copy %s", v->path);
			goto out;
		}
	}
	EVP_DigestFinal_ex(h, digest, NULL);
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
	    lseek(mfd, 0, SEEK_SET) < 0) {
		fail_sys(err, "cannot seal the copy of %s", v->path);
		goto out;
	}
	close(v->fd);
	v->fd = mfd;
	mfd = -1;
	v->sealed = true;
	rc = 1;
out:
	if (mfd >= 0)
		close(mfd);
	free(buf);
	EVP_MD_CTX_free(h);
	return rc;
}

static void observe_raw(void *ctx, const void *buf, size_t len)
{
	EVP_DigestUpdate(((struct verified_archive *)ctx)->stream_hash, buf, len);
}

static int load_signature(struct verified_archive *v, const char *sig_path, struct err *err)
{
	char *path = minisign_sig_path(v->path, sig_path);
	int rc;

	if (!path)
		return fail_oom(err);
	rc = minisign_sig_read(path, &v->sig_text, &v->sig_len, err);
	if (rc < 0)
		fail_prefix(err, "signature");
	free(path);
	return rc;
}

static int verify_and_read_comment(struct verified_archive *v, struct err *err)
{
	uint8_t digest[VERIFIED_HASH_BYTES];
	struct stat sb;
	int r;

	/* Before libarchive sees a byte: the same descriptor is handed to it afterwards. */
	if (fstat(v->fd, &sb) < 0)
		return fail_sys(err, "cannot stat %s", v->path);
	r = sealed_copy(v, &sb, digest, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		hex_encode(digest, VERIFIED_HASH_BYTES, v->hash_hex);
		r = minisign_verify_digest(&v->key, v->sig_text, v->sig_len, digest, &v->tc, err);
	} else {
		r = minisign_verify_fd(&v->key, v->sig_text, v->sig_len, v->fd, 0, &v->tc, err);
	}
	if (r < 0)
		return fail_prefix(err, "%s", v->path);
	if (minisign_sig_parse(v->sig_text, v->sig_len, &v->sig, err) < 0)
		return -1;
	return signed_comment_fields(v->tc, &v->app, &v->version, &v->serial, err);
}

int verified_open(struct verified_archive *v, const char *path, const char *sig_path,
                  const struct keyring *kr, struct err *err)
{
	memset(v, 0, sizeof(*v));
	v->path = path;
	v->fd = open_regular_at(AT_FDCWD, path, 0, NULL, err);
	if (v->fd < 0)
		return -1;
	if (load_signature(v, sig_path, err) < 0)
		return -1;
	/* The key the signature names, if the keyring trusts it: minisign_verify_* then checks
	 * that the signature is that key's. */
	if (minisign_sig_parse(v->sig_text, v->sig_len, &v->sig, err) < 0)
		return fail_prefix(err, "%s", path);
	if (keyring_release_key(kr, v->sig.keyid, &v->key, err) < 0)
		return fail_prefix(err, "%s", path);
	minisign_sig_release(&v->sig);
	if (verify_and_read_comment(v, err) < 0)
		return -1;
	if (keyring_judge(kr, v->serial, time(NULL), err) < 0)
		return fail_prefix(err, "%s", path);
	return 0;
}

int verified_read_manifest(struct verified_archive *v, const struct extract_limits *lim,
                           struct err *err)
{
	if (!v->sealed) {
		v->stream_hash = EVP_MD_CTX_new();
		if (!v->stream_hash || !EVP_DigestInit_ex(v->stream_hash, EVP_blake2b512(), NULL))
			return fail_kind(err, ERR_SYSTEM, "BLAKE2b-512 unavailable");
	}
	if (extractor_new(v->fd, lim, v->sealed ? NULL : observe_raw, v, &v->x, err) < 0 ||
	    extractor_read_manifest(v->x, &v->m, err) < 0) {
		return fail_prefix(err, "%s", v->path);
	}
	return signed_manifest_agrees(v->m, v->app, v->version, v->serial, err);
}

int verified_unpack(struct verified_archive *v, int stagingfd, struct err *err)
{
	unsigned char digest[VERIFIED_HASH_BYTES];
	struct err e2;

	if (!v->m)
		return fail_kind(err, ERR_SYSTEM, "internal error: unpack before the manifest");
	if (extractor_unpack(v->x, stagingfd, err) < 0) {
		return fail_prefix(err, "%s", v->path);
	}
	if (v->sealed)
		return 0; /* it read the sealed copy of the verified bytes */
	/* The signature, once more, over the bytes libarchive actually read: the file may have
	 * been rewritten in place after the first check. */
	EVP_DigestFinal_ex(v->stream_hash, digest, NULL);
	hex_encode(digest, VERIFIED_HASH_BYTES, v->hash_hex);
	if (minisign_sig_check_digest(&v->key, &v->sig, digest, &e2) < 0)
		return fail(err, "%s changed while it was being installed (%s)", v->path, e2.msg);
	return 0;
}

void verified_close(struct verified_archive *v)
{
	if (!v->path)
		return;
	extractor_free(v->x);
	EVP_MD_CTX_free(v->stream_hash);
	minisign_sig_release(&v->sig);
	free(v->sig_text);
	free(v->tc);
	free(v->app);
	free(v->version);
	if (v->fd >= 0)
		close(v->fd);
	memset(v, 0, sizeof(*v));
	v->fd = -1;
}
