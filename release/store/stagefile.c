/* One file of a release written into staging, hashed and checked (see stagefile.h). */
#include "release/store/stagefile.h"
#include "release/base/fileio.h"
#include "release/store/seal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int stage_dir_open(struct stage_dir *d, int stagingfd, const char *path, const char **base,
                   struct err *err)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	*base = slash ? slash + 1 : path;
	if (n > MANIFEST_MAX_PATH)
		return fail(err, "path too long: %.200s", path);
	if (d->fd >= 0 && strlen(d->path) == n && !memcmp(d->path, path, n))
		return d->fd;
	if (d->fd >= 0)
		close(d->fd);
	memcpy(d->path, path, n);
	d->path[n] = '\0';
	d->fd = n ? open_beneath(stagingfd, d->path, O_RDONLY | O_DIRECTORY, 0) : dup(stagingfd);
	if (d->fd < 0)
		return fail_sys(err, "cannot open directory %.200s in staging", d->path);
	return d->fd;
}

void stage_dir_release(struct stage_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int stage_file_init(struct stage_file *o, struct err *err)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (!(o->sha = EVP_MD_CTX_new()))
		return fail_oom(err);
	return 0;
}

void stage_file_release(struct stage_file *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	EVP_MD_CTX_free(o->sha);
	o->sha = NULL;
}

int stage_file_open(struct stage_file *o, struct stage_dir *d, int stagingfd,
                    const struct manifest_file *f, struct err *err)
{
	const char *base;
	int pfd = stage_dir_open(d, stagingfd, f->path, &base, err);

	if (pfd < 0)
		return -1;
	o->f = f;
	o->done = 0;
	o->fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	               seal_file_mode(f->mode));
	if (o->fd < 0)
		return fail_sys(err, "cannot create %.200s", f->path);
	if (!EVP_DigestInit_ex(o->sha, EVP_sha256(), NULL))
		return fail_kind(err, ERR_SYSTEM, "SHA-256 unavailable");
	return 0;
}

int stage_file_write(struct stage_file *o, const void *buf, size_t n, struct err *err)
{
	if (n > o->f->size - o->done)
		return fail(err, "%.200s: more bytes than the manifest's size", o->f->path);
	if (write_all(o->fd, buf, n, err) < 0)
		return fail_prefix(err, "cannot write %.200s", o->f->path);
	EVP_DigestUpdate(o->sha, buf, n);
	o->done += n;
	return 0;
}

int stage_file_close(struct stage_file *o, int64_t when, const char *from, struct err *err)
{
	uint8_t digest[32];
	int fd = o->fd;

	o->fd = -1;
	EVP_DigestFinal_ex(o->sha, digest, NULL);
	if (when > 1) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = (time_t)when}};

		futimens(fd, ts);
	}
	if (close(fd) < 0)
		return fail_sys(err, "cannot write %.200s", o->f->path);
	if (o->done != o->f->size || memcmp(digest, o->f->sha256, 32))
		return fail(err, "%.200s: %s do not hold the manifest's SHA-256", o->f->path, from);
	return 0;
}
