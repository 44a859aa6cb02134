/* The store lock (specs/store.md "Lock"): flock(2) on ROOT/lock, bounded wait. */
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
	const char *env = getenv("SLIPWAY_LOCK_TIMEOUT");
	char *end;
	double secs;

	if (wait_ms >= 0)
		return wait_ms;
	if (env && *env) {
		secs = strtod(env, &end);
		if (*end == '\0' && secs >= 0 && secs <= 86400)
			return (int)(secs * 1000);
	}
	return STORE_LOCK_WAIT_MS;
}

int store_lock(struct store *st, int wait_ms, struct err *err)
{
	long long deadline;
	int fd, budget = wait_budget_ms(wait_ms);
	char pid[32];

	if (st->lockfd >= 0)
		return 0;
	deadline = (long long)clock_mono_ms() + budget;
again:
	fd = lockfile_open(st->rootfd, STORE_LOCK, err);
	if (fd < 0)
		return fail_prefix(err, "%s", st->root);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;

			close(fd);
			return fail_kind(err, ERR_SYSTEM, "cannot lock %s/" STORE_LOCK ": %s",
			                 st->root, strerror(e));
		}
		if ((long long)clock_mono_ms() >= deadline) {
			ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

			close(fd);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			return fail_kind(err, ERR_SYSTEM,
			                 "store is locked by pid %s (waited %d.%d s; see "
			                 "SLIPWAY_LOCK_TIMEOUT)",
			                 *pid ? pid : "unknown", budget / 1000,
			                 (budget % 1000) / 100);
		}
		usleep(10000);
	}
	/* The file locked may have been replaced by a private one meanwhile (lockfile.h). */
	if (!lockfile_still_named(st->rootfd, STORE_LOCK, fd)) {
		close(fd);
		goto again;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* The pid is only informative; the flock is what excludes. */
	}
	st->lockfd = fd;
	return 0;
}

void store_unlock(struct store *st)
{
	if (st->lockfd < 0)
		return;
	/* Clear the pid first, so that a waiter never names a process that is gone. */
	if (ftruncate(st->lockfd, 0) < 0) {
		/* Informative only: a stale pid misleads, it does not break the lock. */
	}
	close(st->lockfd);
	st->lockfd = -1;
}
