#include "release/base/fileio.h"
#include "release/base/bigmem.h"
#include "release/base/error.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <limits.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The buffer of a read, from malloc or from bigmem. */
static char *buf_alloc(bool big, size_t n)
{
	return big ? bigmem_alloc(n) : malloc(n);
}

static void buf_free(bool big, char *p)
{
	if (big)
		bigmem_free(p);
	else
		free(p);
}

static char *buf_grow(bool big, char *p, size_t used, size_t n)
{
	char *q;

	if (!big)
		return realloc(p, n);
	if ((q = bigmem_alloc(n)))
		memcpy(q, p, used);
	bigmem_free(q ? p : NULL);
	return q;
}

/* read_fd_all, the buffer first sized for `hint` bytes (a file's size: then read whole with
 * no copy), from bigmem when big. */
static int read_fd_sized(int fd, size_t max, size_t hint, bool big, char **out, size_t *len,
                         struct err *err)
{
	size_t cap = hint < 4096 ? 4096 : hint > max ? max + 1 : hint + 1, n = 0;
	char *buf = buf_alloc(big, cap + 1);

	if (!buf)
		return fail_oom(err);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *grown;

			if (cap > max) {
				buf_free(big, buf);
				return fail(err, "file is larger than %zu bytes", max);
			}
			grown = buf_grow(big, buf, n, cap * 2 + 1);
			if (!grown) {
				buf_free(big, buf);
				return fail_oom(err);
			}
			buf = grown;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			buf_free(big, buf);
			return fail_kind(err, ERR_SYSTEM, "read failed: %s", strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			buf_free(big, buf);
			return fail(err, "file is larger than %zu bytes", max);
		}
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int read_fd_all(int fd, size_t max, char **out, size_t *len, struct err *err)
{
	return read_fd_sized(fd, max, 0, false, out, len, err);
}

/* The rest of open_regular: a regular file, then, with blocking, blocking again. Closes fd
 * on failure. */
static int regular_or_close(int fd, const char *path, bool blocking, struct stat *st,
                            struct err *err)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0) {
		fail_sys(err, "cannot stat %s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		fail(err, "%s: not a regular file", path);
		errno = EINVAL; /* never a stale ENOENT a caller could take for "missing" */
		return -1;
	}
	/* Every opener here sets O_NONBLOCK as the only status flag F_SETFL changes (access mode
	 * and creation flags it ignores): 0 clears it without asking first. */
	if (blocking && fcntl(fd, F_SETFL, 0) < 0) {
		fail_sys(err, "cannot read %s", path);
		close(fd);
		return -1;
	}
	if (st)
		*st = sb;
	return fd;
}

int open_regular(int dirfd, const char *path, int flags, mode_t mode, struct stat *st,
                 struct err *err)
{
	int fd = openat(
	    dirfd, path,
	    (flags & (O_ACCMODE | O_NOFOLLOW | O_CREAT)) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, mode);

	if (fd < 0) {
		int e = errno;

		fail_sys(err, "cannot open %s", path);
		errno = e;
		return -1;
	}
	return regular_or_close(fd, path, true, st, err);
}

int open_regular_at(int dirfd, const char *path, int nofollow, struct stat *st, struct err *err)
{
	return open_regular(dirfd, path, O_RDONLY | (nofollow ? O_NOFOLLOW : 0), 0, st, err);
}

int open_regular_beneath(int dirfd, const char *path, struct stat *st, struct err *err)
{
	int fd = open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOATIME, 0);

	/* O_NOATIME needs the file's owner (or CAP_FOWNER): anyone else reads it plainly. */
	if (fd < 0 && errno == EPERM)
		fd = open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0) {
		int e = errno;

		fail_sys(err, "cannot open %s", path);
		errno = e;
		return -1;
	}
	return regular_or_close(fd, path, false, st, err);
}

static int read_whole_at(int dirfd, const char *path, size_t max, int nofollow, bool big,
                         char **out, size_t *len, struct err *err)
{
	struct stat st;
	int fd, rc = -1;

	fd = open_regular_at(dirfd, path, nofollow, &st, err);
	if (fd < 0)
		return -1;
	if ((size_t)st.st_size > max) {
		fail(err, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	if (read_fd_sized(fd, max, (size_t)st.st_size, big, out, len, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int read_file_at(int dirfd, const char *path, size_t max, int nofollow, char **out, size_t *len,
                 struct err *err)
{
	return read_whole_at(dirfd, path, max, nofollow, false, out, len, err);
}

int read_file_big_at(int dirfd, const char *path, size_t max, int nofollow, char **out, size_t *len,
                     struct err *err)
{
	return read_whole_at(dirfd, path, max, nofollow, true, out, len, err);
}

int write_all(int fd, const void *buf, size_t len, struct err *err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail_sys(err, "write failed");
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fsync_dir_at(int dirfd, const char *path, struct err *err)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return fail_sys(err, "cannot open directory %s", path);
	if (fsync(fd) < 0)
		rc = fail_sys(err, "cannot fsync directory %s", path);
	close(fd);
	return rc;
}

int atomic_file_open(struct atomic_file *af, int dirfd, const char *name, mode_t mode,
                     int exclusive, struct err *err)
{
	const char *slash = strrchr(name, '/');

	af->fd = -1;
	af->dirfd = dirfd;
	af->mode = mode;
	af->exclusive = exclusive;
	/* The temp name must live beside `name` so that rename(2) stays on one filesystem. */
	if (strlen(name) > sizeof(af->tmp) - 64)
		return fail_kind(err, ERR_SYSTEM, "path too long: %s", name);
	snprintf(af->name, sizeof(af->name), "%s", name);
	if (slash) {
		snprintf(af->dir, sizeof(af->dir), "%.*s", (int)(slash - name), name);
		if (af->dir[0] == '\0')
			snprintf(af->dir, sizeof(af->dir), "/");
		snprintf(af->tmp, sizeof(af->tmp), "%s/.%s.tmp-%ld", af->dir, slash + 1,
		         (long)getpid());
	} else {
		snprintf(af->dir, sizeof(af->dir), ".");
		snprintf(af->tmp, sizeof(af->tmp), ".%s.tmp-%ld", name, (long)getpid());
	}
	if (exclusive && faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return fail_kind(err, ERR_SYSTEM, "%s already exists", name);
	unlinkat(dirfd, af->tmp, 0);
	af->fd = openat(dirfd, af->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (af->fd < 0)
		return fail_sys(err, "cannot create %s", af->tmp);
	return 0;
}

int atomic_file_commit(struct atomic_file *af, struct err *err)
{
	int fd = af->fd;

	af->fd = -1;
	if (fchmod(fd, af->mode) < 0) {
		fail_sys(err, "cannot chmod %s", af->tmp);
		goto fail;
	}
	if (fsync(fd) < 0) {
		fail_sys(err, "cannot fsync %s", af->tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail_sys(err, "cannot close %s", af->tmp);
		goto fail;
	}
	fd = -1;
	if (af->exclusive) {
		/* link(2) fails if the name appeared meanwhile; rename(2) would replace it. */
		if (linkat(af->dirfd, af->tmp, af->dirfd, af->name, 0) < 0) {
			fail_sys(err, "cannot create %s", af->name);
			goto fail;
		}
		unlinkat(af->dirfd, af->tmp, 0);
	} else if (renameat(af->dirfd, af->tmp, af->dirfd, af->name) < 0) {
		fail_sys(err, "cannot rename %s to %s", af->tmp, af->name);
		goto fail;
	}
	return fsync_dir_at(af->dirfd, af->dir, err);
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(af->dirfd, af->tmp, 0);
	return -1;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->fd < 0)
		return;
	close(af->fd);
	af->fd = -1;
	unlinkat(af->dirfd, af->tmp, 0);
}

int write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      int exclusive, struct err *err)
{
	struct atomic_file af;

	if (atomic_file_open(&af, dirfd, name, mode, exclusive, err) < 0)
		return -1;
	if (write_all(af.fd, data, len, err) < 0) {
		fail_prefix(err, "%s", af.tmp);
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, err);
}

int open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char buf[PATH_MAX + 1], *p, *slash;
	int fd, next;
	long r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (r >= 0 || errno != ENOSYS)
		return (int)r;
	/* Kernels before 5.6: walk the components without following links. */
	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	fd = dup(dirfd);
	for (p = buf; fd >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -1;
	next = openat(fd, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	close(fd);
	return next;
}

/* One directory on the way down: its name in its parent, its identity, and (for the first
 * REMOVE_TREE_FDS levels only) an open stream, kept so wide directories are read once. */
struct level {
	char *name;
	dev_t dev;
	ino_t ino;
	DIR *d;
};

static int push_level(struct level **lv, size_t *n, size_t *cap, int at, const char *name,
                      struct err *err)
{
	struct stat st;
	int fd;

	if (*n == *cap) {
		struct level *grown = realloc(*lv, (*cap = *cap ? 2 * *cap : 64) * sizeof(**lv));

		if (!grown)
			return fail_oom(err);
		*lv = grown;
	}
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_sys(err, "cannot open %s", name);
	if (fstat(fd, &st) < 0) {
		fail_sys(err, "cannot stat %s", name);
		close(fd);
		return -1;
	}
	/* Installed releases are read-only (0555): their owner needs write permission on a
	 * directory to empty it. Only directories: a file's inode may be shared with another
	 * release, whose mode must not change. */
	if ((st.st_mode & 0700) != 0700 && fchmod(fd, (st.st_mode & 07777) | 0700) < 0) {
		fail_sys(err, "cannot make %s writable to remove it", name);
		close(fd);
		return -1;
	}
	if (!((*lv)[*n].d = fdopendir(fd))) {
		fail_sys(err, "cannot read %s", name);
		close(fd);
		return -1;
	}
	(*lv)[*n].name = strdup(name);
	(*lv)[*n].dev = st.st_dev;
	(*lv)[*n].ino = st.st_ino;
	if (!(*lv)[*n].name) {
		closedir((*lv)[*n].d);
		return fail_oom(err);
	}
	(*n)++;
	return 0;
}

/* Reopens the parent of the deepest level through "..", and checks it is the directory that
 * was left there (nothing renames it while the store lock is held; if something did, stop). */
static int reopen_parent(struct level *lv, size_t n, struct err *err)
{
	struct level *p = &lv[n - 2];
	struct stat st;
	int fd = openat(dirfd(lv[n - 1].d), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fail_sys(err, "cannot reopen the parent of %s", lv[n - 1].name);
	if (fstat(fd, &st) < 0 || st.st_dev != p->dev || st.st_ino != p->ino) {
		close(fd);
		return fail_kind(err, ERR_SYSTEM, "%s moved while it was being removed", p->name);
	}
	p->d = fdopendir(fd);
	if (!p->d) {
		fail_sys(err, "cannot read %s", p->name);
		close(fd);
		return -1;
	}
	return 0;
}

int remove_tree_at(int at, const char *path, struct err *err)
{
	struct level *lv = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	int rc = -1;

	if (fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail_sys(err, "cannot stat %s", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(at, path, 0) < 0 && errno != ENOENT)
			return fail_sys(err, "cannot remove %s", path);
		return 0;
	}
	if (push_level(&lv, &n, &cap, at, path, err) < 0)
		goto out;
	while (n > 0) {
		struct level *top = &lv[n - 1];
		struct dirent *de;

		errno = 0;
		while ((de = readdir(top->d)) &&
		       (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")))
			;
		if (de) {
			int fd = dirfd(top->d);
			bool is_dir = de->d_type == DT_DIR;

			if (de->d_type == DT_UNKNOWN)
				is_dir = fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				         S_ISDIR(st.st_mode);
			if (!is_dir) {
				if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
					fail_sys(err, "cannot remove %s/.../%s", path, de->d_name);
					goto out;
				}
				continue;
			}
			if (push_level(&lv, &n, &cap, fd, de->d_name, err) < 0) {
				fail_prefix(err, "%s", path);
				goto out;
			}
			/* Beyond the budget, the parent's stream is closed: it is reopened through
			 * ".." (and read again from its start) once this subtree is gone. */
			if (n - 1 >= REMOVE_TREE_FDS) {
				closedir(lv[n - 2].d);
				lv[n - 2].d = NULL;
			}
			continue;
		}
		if (errno) {
			fail_sys(err, "cannot read %s", top->name);
			goto out;
		}
		/* top is empty now. */
		if (n == 1) {
			closedir(top->d);
			top->d = NULL;
			if (unlinkat(at, path, AT_REMOVEDIR) < 0 && errno != ENOENT) {
				fail_sys(err, "cannot remove %s", path);
				goto out;
			}
		} else {
			if (!lv[n - 2].d && reopen_parent(lv, n, err) < 0)
				goto out;
			closedir(top->d);
			top->d = NULL;
			if (unlinkat(dirfd(lv[n - 2].d), top->name, AT_REMOVEDIR) < 0 &&
			    errno != ENOENT) {
				fail_sys(err, "cannot remove %s/.../%s", path, top->name);
				goto out;
			}
		}
		free(top->name);
		n--;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		if (lv[i].d)
			closedir(lv[i].d);
		free(lv[i].name);
	}
	free(lv);
	return rc;
}

int write_path_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive,
                      struct err *err)
{
	char *d = strdup(path), *b = strdup(path);
	int dirfd = -1, rc = -1;

	if (!d || !b) {
		fail_oom(err);
		goto out;
	}
	dirfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fail_sys(err, "cannot open the directory of %s", path);
		goto out;
	}
	if (write_file_atomic(dirfd, basename(b), data, len, mode, exclusive, err) < 0) {
		fail_prefix(err, "cannot write %s", path);
		goto out;
	}
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	free(d);
	free(b);
	return rc;
}

int fs_room(int fd, uint64_t bytes, const char *where, const char *what, struct err *err)
{
	struct statvfs vs;
	uint64_t avail;

	if (fstatvfs(fd, &vs) < 0 || vs.f_frsize == 0)
		return 0; /* unknown: the writes will tell */
	avail = (uint64_t)vs.f_bavail * vs.f_frsize;
	if (bytes <= avail)
		return 0;
	return fail_kind(err, ERR_SYSTEM,
	                 "not enough space in %s for %s: %llu bytes needed, %llu available", where,
	                 what, (unsigned long long)bytes, (unsigned long long)avail);
}
