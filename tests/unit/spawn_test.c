#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/spawn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;

		cr_assert_gt(poll(&p, 1, 5000), 0, "child output timed out");
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return n;
}

/* Spawns argv (cwd, PATH and envp as given), reads its whole output and reaps it: returns
 * the pid it had. */
static pid_t run_to_end(char **argv, char **envp, const char *cwd, char *out, size_t cap)
{
	struct spawn_req req = {argv, envp, cwd};
	struct err err;
	int fd, status;
	pid_t pid;

	cr_assert_eq(spawn_service(&req, &pid, &fd, &err), 0, "%s", err.msg);
	read_all(fd, out, cap);
	close(fd);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return pid;
}

Test(spawn, child_gets_own_group_cwd_env_and_output_pipe)
{
	char *argv[] = {
	    "sh", "-c",
	    "echo pg=$(ps -o pgid= -p $$ | tr -d ' ') pid=$$ cwd=$(pwd) v=$V; echo err >&2", NULL};
	char *envp[] = {"V=42", "PATH=/usr/bin:/bin", NULL};
	char out[512], want[128];
	pid_t pid = run_to_end(argv, envp, "/tmp", out, sizeof(out));

	snprintf(want, sizeof(want), "pg=%ld pid=%ld cwd=/tmp v=42\nerr\n", (long)pid, (long)pid);
	cr_assert_str_eq(out, want);
}

/* A spare /dev/null descriptor once leaked into every service (issue 15): the child must
 * hold nothing but stdin, stdout and stderr, even when slipway itself had stdin closed. */
static void expect_only_std_fds(void)
{
	/* The glob's own directory descriptor is gone once the loop runs, hence the -e. */
	char *argv[] = {"sh", "-c",
	                "for f in /proc/$$/fd/*; do [ -e \"$f\" ] && printf '%s ' ${f##*/}; done",
	                NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	char out[512];

	run_to_end(argv, envp, "/", out, sizeof(out));
	cr_assert_str_eq(out, "0 1 2 ");
}

Test(spawn, child_holds_only_stdin_stdout_stderr)
{
	expect_only_std_fds();
}

Test(spawn, child_stdin_is_dev_null_when_ours_is_closed)
{
	char *argv[] = {"sh", "-c", "readlink /proc/$$/fd/0", NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	char out[512];

	close(0);
	expect_only_std_fds();
	run_to_end(argv, envp, "/", out, sizeof(out));
	cr_assert_str_eq(out, "/dev/null\n");
}

Test(spawn, exec_failure_is_reported_not_an_exit)
{
	char *argv[] = {"/nonexistent/slipway-no-such-binary", NULL};
	char *envp[] = {NULL};
	struct spawn_req req = {argv, envp, "/"};
	struct err err;
	pid_t pid = 0;
	int fd = -1;

	cr_assert_eq(spawn_service(&req, &pid, &fd, &err), -1);
	cr_assert_not_null(strstr(err.msg, "cannot execute /nonexistent/slipway-no-such-binary"),
	                   "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "No such file"), "%s", err.msg);
	cr_assert_eq(fd, -1);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "the failed child is already reaped");
}

Test(spawn, bad_cwd_is_reported)
{
	char *argv[] = {"true", NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	struct spawn_req req = {argv, envp, "/nonexistent-dir"};
	struct err err;
	pid_t pid;
	int fd;

	cr_assert_eq(spawn_service(&req, &pid, &fd, &err), -1);
	cr_assert_not_null(strstr(err.msg, "cannot enter /nonexistent-dir"), "%s", err.msg);
}

Test(spawn, child_signal_mask_is_cleared)
{
	char *argv[] = {"sleep", "30", NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	struct spawn_req req = {argv, envp, "/"};
	struct err err;
	sigset_t block;
	int fd, status;
	pid_t pid;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	cr_assert_eq(spawn_service(&req, &pid, &fd, &err), 0, "%s", err.msg);
	cr_assert_eq(kill(-pid, SIGTERM), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	close(fd);
}

Test(spawn, passed_descriptors_become_3_and_4_with_the_childs_listen_pid)
{
	char listen_pid[40] = "LISTEN_PID=0";
	char *argv[] = {"sh", "-c", "printf %s \"$LISTEN_PID\" >&3; printf x >&4", NULL};
	char *envp[] = {listen_pid, "PATH=/usr/bin:/bin", NULL};
	struct spawn_req req = {argv, envp, "/"};
	struct spawn_pass pass;
	struct err err;
	char got[64], want[32];
	int a[2], b[2], fds[2], fd, status;
	pid_t pid;

	cr_assert_eq(pipe2(a, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(b, O_CLOEXEC), 0);
	fds[0] = a[1];
	fds[1] = b[1];
	pass.fds = fds;
	pass.nfds = 2;
	pass.listen_pid = listen_pid;
	cr_assert_eq(spawn_service_passing(&req, &pass, &pid, &fd, &err), 0, "%s", err.msg);
	close(a[1]);
	close(b[1]);
	read_all(a[0], got, sizeof(got));
	snprintf(want, sizeof(want), "%ld", (long)pid);
	cr_assert_str_eq(got, want, "LISTEN_PID must name the process that execs");
	read_all(b[0], got, sizeof(got));
	cr_assert_str_eq(got, "x");
	cr_assert_str_eq(listen_pid, "LISTEN_PID=0", "the parent's environment is untouched");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	close(a[0]);
	close(b[0]);
}
