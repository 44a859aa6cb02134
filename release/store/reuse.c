/* The one rule for sharing an installed file between releases (see reuse.h). */
#include "release/store/reuse.h"
#include "release/base/fileio.h"
#include "release/store/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BLOCK (1u << 20)

struct reuse {
	unsigned char *buf;
	EVP_MD_CTX *sha;
	uid_t euid;   /* the running user, asked once */
	bool by_name; /* the kernel refused to link a descriptor: link by name */
};

int reuse_new(struct reuse **out, struct err *err)
{
	struct reuse *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r || !(r->buf = malloc(READ_BLOCK)) /* not bigmem: most files are far smaller */ ||
	    !(r->sha = EVP_MD_CTX_new())) {
		reuse_free(r);
		return fail_oom(err);
	}
	r->euid = geteuid();
	*out = r;
	return 0;
}

void reuse_free(struct reuse *r)
{
	if (!r)
		return;
	free(r->buf);
	EVP_MD_CTX_free(r->sha);
	free(r);
}

int reuse_sha256(struct reuse *r, int fd, uint64_t size, uint8_t out[32])
{
	uint64_t done = 0;

	if (!EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL))
		return -1;
	while (done < size) {
		size_t want = size - done < READ_BLOCK ? (size_t)(size - done) : READ_BLOCK;
		ssize_t n = pread(fd, r->buf, want, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		EVP_DigestUpdate(r->sha, r->buf, (size_t)n);
		done += (uint64_t)n;
	}
	EVP_DigestFinal_ex(r->sha, out, NULL);
	return 0;
}

/* Whether fd holds exactly f's bytes: size checked by the caller, SHA-256 here. */
static bool same_content(struct reuse *r, int fd, const struct manifest_file *f)
{
	uint8_t digest[32];

	return reuse_sha256(r, fd, f->size, digest) == 0 && !memcmp(digest, f->sha256, 32);
}

bool reuse_same_bytes(struct reuse *r, int fd, uint64_t at, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		size_t want = n < READ_BLOCK ? n : READ_BLOCK;
		ssize_t got = pread(fd, r->buf, want, (off_t)at);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || memcmp(r->buf, buf, (size_t)got))
			return false;
		at += (uint64_t)got;
		buf += got;
		n -= (size_t)got;
	}
	return true;
}

/* The checks on the file's status: a regular file, owner, installed mode, links, size. */
static bool status_fits(const struct reuse *r, const struct stat *sb, const struct manifest_file *f)
{
	return S_ISREG(sb->st_mode) && sb->st_uid == r->euid &&
	       (sb->st_mode & 07777) == seal_file_mode(f->mode) && sb->st_nlink < REUSE_MAX_LINKS &&
	       (uint64_t)sb->st_size == f->size;
}

int reuse_candidate(struct reuse *r, int relfd, const struct manifest_file *f, struct stat *sb)
{
	struct err ignored;
	int fd;

	if (f->type != MANIFEST_FILE)
		return -1;
	fd = open_regular_beneath(relfd, f->path, sb, &ignored);
	if (fd < 0)
		return -1;
	if (!status_fits(r, sb, f)) {
		close(fd);
		return -1;
	}
	return fd;
}

int reuse_open(struct reuse *r, int relfd, const struct manifest_file *f, struct stat *sb)
{
	int fd = reuse_candidate(r, relfd, f, sb);

	if (fd >= 0 && !same_content(r, fd, f)) {
		close(fd);
		return -1;
	}
	return fd;
}

int reuse_link(struct reuse *r, int relfd, const struct manifest_file *f, int pfd, const char *base,
               int *link_errno, struct err *err)
{
	struct stat src;
	int fd = reuse_open(r, relfd, f, &src), rc;

	if (link_errno)
		*link_errno = 0;
	if (fd < 0)
		return -1;
	rc = reuse_link_verified(r, fd, &src, relfd, f, pfd, base, link_errno, err);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int reuse_link_verified(struct reuse *r, int fd, const struct stat *src, int relfd,
                        const struct manifest_file *f, int pfd, const char *base, int *link_errno,
                        struct err *err)
{
	struct stat placed;

	if (link_errno)
		*link_errno = 0;
	/* The descriptor verified, linked as such: nothing to resolve again. The kernel allows it
	 * to the file's opener from Linux 6.10 (before: CAP_DAC_READ_SEARCH); ENOENT otherwise. */
	if (!r->by_name) {
		if (linkat(fd, "", pfd, base, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno != ENOENT) {
			if (link_errno)
				*link_errno = errno;
			return -1;
		}
		r->by_name = true;
	}
	if (linkat(relfd, f->path, pfd, base, 0) < 0) {
		if (link_errno)
			*link_errno = errno;
		return -1;
	}
	/* The name resolved again for linkat: make sure it is the inode verified. */
	if (fstatat(pfd, base, &placed, AT_SYMLINK_NOFOLLOW) < 0 || placed.st_ino != src->st_ino ||
	    placed.st_dev != src->st_dev) {
		if (unlinkat(pfd, base, 0) < 0) {
			fail_sys(err, "cannot remove %.200s, linked in place of %.200s", base,
			         f->path);
			return -2;
		}
		return -1;
	}
	return 0;
}
