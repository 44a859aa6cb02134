/* Private lock files: see lockfile.h. */
#include "release/base/lockfile.h"
#include "release/base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_private(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == geteuid() && !(st->st_mode & 077);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Swaps a fresh private file in for `name`, which was `seen` (public). */
static int replace(int dirfd, const char *name, const struct stat *seen, struct err *err)
{
	char tmp[96];
	struct stat got;
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld", name, (long)getpid());
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_sys(err, "cannot create %s", tmp);
	/* Held while the names move: whoever opens the new file meanwhile waits for this
	 * process, then checks the name again (lockfile_still_named). */
	if (fchmod(fd, 0600) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fail_sys(err, "cannot prepare %s", tmp);
		goto undo;
	}
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) < 0) {
		/* Filesystems without the exchange: a plain rename, which two repairers racing
		 * within microseconds could both win (the name check still catches waiters). */
		if ((errno != EINVAL && errno != ENOSYS) || renameat(dirfd, tmp, dirfd, name) < 0) {
			fail_sys(err, "cannot replace %s", name);
			goto undo;
		}
		close(fd);
		return 0;
	}
	/* tmp now names what `name` named: the public file, or a private one another process
	 * put there first, which then stays. */
	if (fstatat(dirfd, tmp, &got, AT_SYMLINK_NOFOLLOW) == 0 && !same_file(&got, seen) &&
	    is_private(&got))
		renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE);
	unlinkat(dirfd, tmp, 0);
	close(fd);
	return 0;
undo:
	unlinkat(dirfd, tmp, 0);
	close(fd);
	return -1;
}

int lockfile_open(int dirfd, const char *name, struct err *err)
{
	struct stat st;

	for (int attempt = 0; attempt < 10; attempt++) {
		int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0)
			return fail_sys(err, "cannot open %s", name);
		if (fstat(fd, &st) < 0) {
			fail_sys(err, "cannot stat %s", name);
			close(fd);
			return -1;
		}
		if (is_private(&st))
			return fd;
		close(fd);
		if (replace(dirfd, name, &st, err) < 0)
			return -1;
	}
	return fail_kind(err, ERR_SYSTEM, "%s keeps being replaced by a public file", name);
}

int lockfile_still_named(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       same_file(&a, &b);
}

int lockfile_budget_ms(int default_ms)
{
	const char *env = getenv("SLIPWAY_LOCK_TIMEOUT");
	char *end;
	double secs;

	if (env && *env) {
		secs = strtod(env, &end);
		if (*end == '\0' && secs >= 0 && secs <= 86400)
			return (int)(secs * 1000);
	}
	return default_ms;
}

int lockfile_wait(int fd, int budget_ms)
{
	long long deadline = (long long)clock_mono_ms() + budget_ms;

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if ((long long)clock_mono_ms() >= deadline)
			return 1;
		usleep(10000);
	}
	return 0;
}

int lockfile_fail_waited(struct err *err, int budget_ms, const char *what_fmt, ...)
{
	char what[ERR_MAX];
	va_list ap;

	va_start(ap, what_fmt);
	vsnprintf(what, sizeof(what), what_fmt, ap);
	va_end(ap);
	return fail_kind(err, ERR_SYSTEM, "%s (waited %d.%d s; see SLIPWAY_LOCK_TIMEOUT)", what,
	                 budget_ms / 1000, (budget_ms % 1000) / 100);
}
