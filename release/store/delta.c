/* Delta install: hard links to identical files of installed releases (see delta.h). */
#include "release/store/delta.h"
#include "release/base/fileio.h"
#include "release/store/extract.h"
#include "release/store/seal.h"
#include "release/store/store_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SOURCES 2
#define READ_BLOCK  (1u << 20)

struct delta {
	int root[MAX_SOURCES]; /* releases/<v> of each source */
	size_t n;
	unsigned char *buf;
	EVP_MD_CTX *sha;
	uint64_t files, bytes;
};

static void add_source(struct delta *d, struct store *st, const char *v, const char *installing)
{
	char path[512];
	int fd;

	if (!v || !*v || !strcmp(v, installing) || !store_is_installed(st, v))
		return;
	snprintf(path, sizeof(path), STORE_RELEASES "/%s", v);
	fd = openat(st->rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct stat a, b;

		if (fstat(fd, &a) == 0 && fstat(d->root[i], &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			close(fd);
			return;
		}
	}
	d->root[d->n++] = fd;
}

int delta_open(struct store *st, const char *installing, struct delta **out, struct err *err)
{
	struct delta *d = calloc(1, sizeof(*d));
	struct store_state s = {0};
	char *current = NULL;
	struct err ignored;

	*out = NULL;
	if (!d)
		return fail_oom(err);
	d->buf = malloc(READ_BLOCK);
	d->sha = EVP_MD_CTX_new();
	if (!d->buf || !d->sha) {
		delta_free(d);
		return fail_oom(err);
	}
	/* Sources are an optimisation: a store whose `current` or state cannot be read simply
	 * links nothing (the install itself reads them again and reports). */
	if (store_current_version(st, &current, &ignored) == 0)
		add_source(d, st, current, installing);
	if (store_state_read(st, &s, &ignored) == 0 && s.has_high)
		add_source(d, st, s.high_version, installing);
	free(current);
	store_state_release(&s);
	*out = d;
	return 0;
}

void delta_free(struct delta *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		close(d->root[i]);
	free(d->buf);
	EVP_MD_CTX_free(d->sha);
	free(d);
}

void delta_stats(const struct delta *d, uint64_t *files, uint64_t *bytes)
{
	*files = d ? d->files : 0;
	*bytes = d ? d->bytes : 0;
}

/* Whether fd holds exactly f's bytes: size checked by the caller, SHA-256 here. */
static bool same_content(struct delta *d, int fd, const struct manifest_file *f)
{
	uint8_t digest[32];
	uint64_t done = 0;

	if (!EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL))
		return false;
	while (done < f->size) {
		ssize_t n = pread(fd, d->buf, READ_BLOCK, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		EVP_DigestUpdate(d->sha, d->buf, (size_t)n);
		done += (uint64_t)n;
	}
	EVP_DigestFinal_ex(d->sha, digest, NULL);
	return done == f->size && !memcmp(digest, f->sha256, 32);
}

/* An open, verified file of source i for f, or -1. */
static int candidate(struct delta *d, size_t i, const struct manifest_file *f, struct stat *sb)
{
	int fd =
	    open_beneath(d->root[i], f->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);

	if (fd < 0)
		return -1;
	/* Only a file as this store leaves it: read-only, ours, with the manifest's size and
	 * mode. A file made writable again, or from an older slipway, is never shared. */
	if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode) || (uint64_t)sb->st_size != f->size ||
	    (sb->st_mode & 07777) != seal_file_mode(f->mode) || sb->st_uid != geteuid() ||
	    sb->st_nlink >= DELTA_MAX_LINKS || !same_content(d, fd, f)) {
		close(fd);
		return -1;
	}
	return fd;
}

int delta_link(void *ctx, const struct manifest_file *f, int pfd, const char *base, struct err *err)
{
	struct delta *d = ctx;
	struct stat src, placed;

	for (size_t i = 0; i < d->n; i++) {
		int fd = candidate(d, i, f, &src);

		if (fd < 0)
			continue;
		if (linkat(d->root[i], f->path, pfd, base, 0) < 0) {
			close(fd);
			continue; /* EMLINK, EXDEV, EPERM (protected_hardlinks): written instead */
		}
		/* The name resolved again for linkat: make sure it is the inode verified. */
		if (fstatat(pfd, base, &placed, AT_SYMLINK_NOFOLLOW) < 0 ||
		    placed.st_ino != src.st_ino || placed.st_dev != src.st_dev) {
			close(fd);
			if (unlinkat(pfd, base, 0) < 0) {
				fail_sys(err, "cannot remove %.200s from staging", f->path);
				return -2;
			}
			continue;
		}
		d->files++;
		d->bytes += f->size;
		return fd;
	}
	return -1;
}
