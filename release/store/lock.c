/* The store's locks (specs/store.md "Lock"): flock(2) on ROOT/lock, and on ROOT/tmp/pull.lock
 * for pull's downloads; bounded wait. */
#include "release/base/error.h"
#include "release/base/lockfile.h"
#include "release/store/store.h"
#include "release/base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static int wait_budget_ms(int wait_ms)
{
	return wait_ms >= 0 ? wait_ms : lockfile_budget_ms(STORE_LOCK_WAIT_MS);
}

/* flock(LOCK_EX) on `name` in dirfd (`where` names it in errors), polling every 10 ms for at
 * most budget ms; on timeout "<held> pid N (waited ...)". Writes our pid into it. Returns the
 * descriptor or -1. */
static int take(int dirfd, const char *name, const char *where, const char *held, int budget,
                struct err *err)
{
	long long deadline = (long long)clock_mono_ms() + budget;
	char pid[32];
	int fd, r;

again:
	fd = lockfile_open(dirfd, name, err);
	if (fd < 0)
		return fail_prefix(err, "%s", where);
	r = lockfile_wait(fd, (int)(deadline - (long long)clock_mono_ms()));
	if (r < 0) {
		int e = errno;

		close(fd);
		return fail_kind(err, ERR_SYSTEM, "cannot lock %s/%s: %s", where, name,
		                 strerror(e));
	}
	if (r > 0) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

		close(fd);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return lockfile_fail_waited(err, budget, "%s pid %s", held, *pid ? pid : "unknown");
	}
	/* The file locked may have been replaced by a private one meanwhile (lockfile.h). */
	if (!lockfile_still_named(dirfd, name, fd)) {
		close(fd);
		goto again;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* The pid is only informative; the flock is what excludes. */
	}
	return fd;
}

int store_lock(struct store *st, int wait_ms, struct err *err)
{
	int fd;

	if (st->lockfd >= 0)
		return 0;
	fd = take(st->rootfd, STORE_LOCK, st->root, "store is locked by", wait_budget_ms(wait_ms),
	          err);
	if (fd < 0)
		return -1;
	st->lockfd = fd;
	return 0;
}

/* Clears the pid first, so that a waiter never names a process that is gone. */
static void let_go(int fd)
{
	if (ftruncate(fd, 0) < 0) {
		/* Informative only: a stale pid misleads, it does not break the lock. */
	}
	close(fd);
}

void store_unlock(struct store *st)
{
	if (st->lockfd < 0)
		return;
	let_go(st->lockfd);
	st->lockfd = -1;
}

int store_downloads_lock(struct store *st, int tmpfd, struct err *err)
{
	char where[4200];

	snprintf(where, sizeof(where), "%s/" STORE_TMP, st->root);
	return take(tmpfd, STORE_DOWNLOADS_LOCK, where,
	            "another pull or push is running:", wait_budget_ms(-1), err);
}

void store_downloads_unlock(int fd)
{
	if (fd >= 0)
		let_go(fd);
}
