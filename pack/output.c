#include "pack/output.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary files still open, so that SIGINT/SIGTERM/SIGHUP (Ctrl-C on a long pack) leaves
 * nothing in OUTDIR: the handler unlinks them (async-signal-safe) and dies of the signal. */
#define MAX_PENDING 4
static char pending[MAX_PENDING][PATH_MAX];
static volatile sig_atomic_t pending_used[MAX_PENDING];

static void on_fatal_signal(int sig)
{
	int i;

	for (i = 0; i < MAX_PENDING; i++)
		if (pending_used[i])
			unlink(pending[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void track(const char *tmp)
{
	static int installed;
	int i;

	if (!installed) {
		struct sigaction sa;
		static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < 3; i++) {
			struct sigaction old;

			/* Keep an ignored signal ignored (nohup). */
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
				sigaction(sigs[i], &sa, NULL);
		}
		installed = 1;
	}
	for (i = 0; i < MAX_PENDING; i++)
		if (!pending_used[i]) {
			snprintf(pending[i], sizeof(pending[i]), "%s", tmp);
			pending_used[i] = 1;
			return;
		}
}

static void untrack(const char *tmp)
{
	int i;

	for (i = 0; i < MAX_PENDING; i++)
		if (pending_used[i] && !strcmp(pending[i], tmp))
			pending_used[i] = 0;
}

int output_open(struct output *o, const char *outdir, const char *name, struct err *err)
{
	sigset_t fatal, old;
	int e;

	o->fd = -1;
	o->tmp[0] = '\0';
	if (snprintf(o->path, sizeof(o->path), "%s/%s", outdir, name) >= (int)sizeof(o->path) ||
	    snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.tmp-XXXXXX", outdir, name) >=
	        (int)sizeof(o->tmp))
		return fail_kind(err, ERR_SYSTEM, "output path too long");
	/* The fatal signals wait until the new file is tracked: a signal between its creation and
	 * track() would leave it behind. */
	sigemptyset(&fatal);
	sigaddset(&fatal, SIGINT);
	sigaddset(&fatal, SIGTERM);
	sigaddset(&fatal, SIGHUP);
	sigprocmask(SIG_BLOCK, &fatal, &old);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	e = errno;
	if (o->fd >= 0)
		track(o->tmp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (o->fd < 0) {
		o->tmp[0] = '\0';
		return fail_kind(err, ERR_SYSTEM, "cannot create a file in %s: %s", outdir,
		                 strerror(e));
	}
	if (fchmod(o->fd, 0644) < 0) {
		e = errno;
		output_abort(o);
		return fail_kind(err, ERR_SYSTEM, "cannot set the mode of %s: %s", o->path,
		                 strerror(e));
	}
	return 0;
}

int output_commit(struct output *o, struct err *err)
{
	char dir[PATH_MAX], *slash;

	if (fsync(o->fd) < 0) {
		int e = errno;

		output_abort(o);
		return fail_kind(err, ERR_SYSTEM, "cannot write %s: %s", o->path, strerror(e));
	}
	if (close(o->fd) < 0) {
		int e = errno;

		o->fd = -1;
		output_abort(o);
		return fail_kind(err, ERR_SYSTEM, "cannot write %s: %s", o->path, strerror(e));
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) < 0) {
		int e = errno;

		output_abort(o);
		return fail_kind(err, ERR_SYSTEM, "cannot rename to %s: %s", o->path, strerror(e));
	}
	untrack(o->tmp);
	o->tmp[0] = '\0';
	snprintf(dir, sizeof(dir), "%s", o->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return fsync_dir_at(AT_FDCWD, dir, err);
}

void output_abort(struct output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0]) {
		unlink(o->tmp);
		untrack(o->tmp);
	}
	o->tmp[0] = '\0';
}
