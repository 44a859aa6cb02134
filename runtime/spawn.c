#include "runtime/spawn.h"
#include "release/base/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_failure {
	int step; /* 0 setup, 1 chdir, 2 exec */
	int err;
};

static void child_fail(int fd, int step)
{
	struct child_failure f = {step, errno};
	ssize_t r;

	r = write(fd, &f, sizeof(f));
	(void)r;
	_exit(127);
}

/* Marks every descriptor from `first` up close-on-exec, so the service gets only what it is
 * given: nothing slipway opened or inherited leaks into it (issue 15). */
static void cloexec_from(int first)
{
	long fd, max;

	if (close_range((unsigned)first, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = first; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* Writes the decimal digits of n at p, NUL-terminated (async-signal-safe). */
static void put_pid(char *p, long n)
{
	char d[24];
	int i = 0;

	do
		d[i++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	while (i > 0)
		*p++ = d[--i];
	*p = '\0';
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void child(const struct spawn_req *req, const struct spawn_pass *pass, int report_fd,
                  int out_fd)
{
	static const struct spawn_pass nothing;
	int high[SPAWN_MAX_PASS], sig, devnull;
	sigset_t none;
	size_t i;

	setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Passed descriptors go to 3, 4, ...: first move everything out of that range so no
	 * dup2 closes a descriptor still to be placed (or the report pipe). With slipway's own
	 * stdin or stdout closed, a pipe may also sit on 0-2, which are about to be replaced. */
	if (!pass)
		pass = &nothing;
	if (pass->nfds > SPAWN_MAX_PASS)
		child_fail(report_fd, 0);
	if ((pass->nfds || report_fd < 3) &&
	    (report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, 3 + (int)pass->nfds)) < 0)
		_exit(127);
	if (out_fd < 3 && (out_fd = fcntl(out_fd, F_DUPFD_CLOEXEC, 3 + (int)pass->nfds)) < 0)
		child_fail(report_fd, 0);
	for (i = 0; i < pass->nfds; i++)
		if ((high[i] = fcntl(pass->fds[i], F_DUPFD_CLOEXEC, 3 + (int)pass->nfds)) < 0)
			child_fail(report_fd, 0);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		child_fail(report_fd, 0);
	if (devnull == 0 && fcntl(0, F_SETFD, 0) < 0) /* dup2(0, 0) kept close-on-exec */
		child_fail(report_fd, 0);
	for (i = 0; i < pass->nfds; i++)
		if (dup2(high[i], 3 + (int)i) < 0)
			child_fail(report_fd, 0);
	cloexec_from(3 + (int)pass->nfds);
	if (pass->listen_pid)
		put_pid(pass->listen_pid + strlen("LISTEN_PID="), (long)getpid());
	if (chdir(req->cwd) < 0)
		child_fail(report_fd, 1);
	environ = (char **)req->envp;
	execvp(req->argv[0], req->argv);
	child_fail(report_fd, 2);
}

int spawn_service(const struct spawn_req *req, pid_t *pid, int *out_fd, struct err *err)
{
	return spawn_service_passing(req, NULL, pid, out_fd, err);
}

int spawn_service_passing(const struct spawn_req *req, const struct spawn_pass *pass, pid_t *pid,
                          int *out_fd, struct err *err)
{
	int report[2] = {-1, -1}, out[2] = {-1, -1}, rc = -1;
	struct child_failure f;
	ssize_t r;
	pid_t p;

	if (pipe2(report, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		fail_sys(err, "cannot create pipe");
		goto out;
	}
	p = fork();
	if (p < 0) {
		fail_sys(err, "cannot fork");
		goto out;
	}
	if (p == 0) {
		close(report[0]);
		close(out[0]);
		child(req, pass, report[1], out[1]);
	}
	/* Both sides call setpgid so no signal can reach the child before its group exists. */
	setpgid(p, p);
	close(report[1]);
	report[1] = -1;
	close(out[1]);
	out[1] = -1;
	do
		r = read(report[0], &f, sizeof(f));
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof(f)) {
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		if (f.step == 1)
			fail_kind(err, ERR_SYSTEM, "cannot enter %s: %s", req->cwd,
			          strerror(f.err));
		else if (f.step == 2)
			fail_kind(err, ERR_SYSTEM, "cannot execute %s: %s", req->argv[0],
			          strerror(f.err));
		else
			fail_kind(err, ERR_SYSTEM, "cannot set up the child's descriptors: %s",
			          strerror(f.err));
		goto out;
	}
	if (fcntl(out[0], F_SETFL, O_NONBLOCK) < 0) {
		fail_sys(err, "cannot set up the output pipe");
		kill(-p, SIGKILL);
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	*pid = p;
	*out_fd = out[0];
	out[0] = -1;
	rc = 0;
out:
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	return rc;
}

int spawn_become_subreaper(struct err *err)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return fail_sys(err, "cannot become a child subreaper");
	return 0;
}

void spawn_reap_orphans(void)
{
	char path[64], buf[512];
	struct dirent *d;
	DIR *dir;
	pid_t self = getpid();

	dir = opendir("/proc");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		FILE *f;
		long ppid = 0;
		char *p;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		/* Field 4 of /proc/PID/stat, after the parenthesised command name. */
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == self) {
			pid_t pid = (pid_t)atol(d->d_name);

			/* Reap it too: a SIGKILLed child is not a zombie yet when kill returns. */
			if (kill(pid, SIGKILL) == 0)
				while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
					;
		}
		fclose(f);
	}
	closedir(dir);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}
