#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/notify.h"
#include "runtime/probe.h"
#include "runtime/spawn.h"

#include <arpa/inet.h>
#include <errno.h>
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

Test(spawn, child_gets_own_group_cwd_env_and_output_pipe)
{
	char *argv[] = {
	    "sh", "-c",
	    "echo pg=$(ps -o pgid= -p $$ | tr -d ' ') pid=$$ cwd=$(pwd) v=$V; echo err >&2", NULL};
	char *envp[] = {"V=42", "PATH=/usr/bin:/bin", NULL};
	struct spawn_req req = {argv, envp, "/tmp"};
	struct err err;
	char out[512], want[128];
	int fd, status;
	pid_t pid;

	cr_assert_eq(spawn_service(&req, &pid, &fd, &err), 0, "%s", err.msg);
	read_all(fd, out, sizeof(out));
	close(fd);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
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
	struct spawn_req req = {argv, envp, "/"};
	struct err err;
	char out[512];
	int fd, status;
	pid_t pid;

	cr_assert_eq(spawn_service(&req, &pid, &fd, &err), 0, "%s", err.msg);
	read_all(fd, out, sizeof(out));
	close(fd);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
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
	struct spawn_req req = {argv, envp, "/"};
	struct err err;
	char out[512];
	int fd, status;
	pid_t pid;

	close(0);
	expect_only_std_fds();
	cr_assert_eq(spawn_service(&req, &pid, &fd, &err), 0, "%s", err.msg);
	read_all(fd, out, sizeof(out));
	close(fd);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
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

static void notify_roundtrip(const char *name, int abstract)
{
	struct sockaddr_un sa;
	struct err err;
	char buf[128], env[120];
	socklen_t len;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, name);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name) + !abstract);
	if (abstract)
		sa.sun_path[0] = '\0';
	else
		unlink(name);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, len), 0);
	snprintf(env, sizeof(env), "%s", name);
	setenv("NOTIFY_SOCKET", env, 1);
	cr_assert_eq(notify_send("READY=1\nSTATUS=serving 1.0", &err), 0, "%s", err.msg);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "READY=1\nSTATUS=serving 1.0");
	close(fd);
	if (!abstract)
		unlink(name);
	unsetenv("NOTIFY_SOCKET");
}

Test(notify, sends_one_datagram_to_path_socket)
{
	char name[64];

	snprintf(name, sizeof(name), "/tmp/slipway-notify-%ld", (long)getpid());
	notify_roundtrip(name, 0);
}

Test(notify, sends_to_abstract_socket)
{
	char name[64];

	snprintf(name, sizeof(name), "@slipway-notify-%ld", (long)getpid());
	notify_roundtrip(name, 1);
}

Test(notify, without_socket_does_nothing)
{
	struct err err;

	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(notify_send("READY=1", &err), 0);
}

static int listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

static enum probe_result drive(struct probe *p, int lfd, const char *reply)
{
	enum probe_result r = PROBE_PENDING;
	int conn = -1, i;

	for (i = 0; i < 100 && r == PROBE_PENDING; i++) {
		struct pollfd pf = {p->fd, p->events, 0};

		if (poll(&pf, 1, 20) > 0)
			r = probe_step(p);
		if (lfd < 0)
			continue;
		if (conn < 0) {
			struct pollfd lp = {lfd, POLLIN, 0};

			if (poll(&lp, 1, 0) > 0)
				conn = accept(lfd, NULL, NULL);
		} else {
			struct pollfd cp = {conn, POLLIN, 0};
			char req[512];

			if (poll(&cp, 1, 0) > 0) {
				cr_assert_gt(read(conn, req, sizeof(req)), 0);
				cr_assert_eq(strncmp(req, "GET /health HTTP/1.0\r\n", 22), 0);
				cr_assert_gt(write(conn, reply, strlen(reply)), 0);
				close(conn);
				conn = -2;
			}
		}
	}
	if (conn >= 0)
		close(conn);
	return r;
}

Test(probe, http_2xx_and_3xx_are_ready_5xx_is_not)
{
	struct probe p;
	int port, lfd = listener(&port);

	probe_init(&p);
	cr_assert_eq(probe_begin(&p, READY_HTTP, port, "/health"), PROBE_PENDING);
	cr_assert_eq(drive(&p, lfd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), PROBE_OK);
	cr_assert_eq(p.fd, -1);
	cr_assert_eq(probe_begin(&p, READY_HTTP, port, "/health"), PROBE_PENDING);
	cr_assert_eq(drive(&p, lfd, "HTTP/1.0 307 Temporary Redirect\r\n\r\n"), PROBE_OK);
	cr_assert_eq(probe_begin(&p, READY_HTTP, port, "/health"), PROBE_PENDING);
	cr_assert_eq(drive(&p, lfd, "HTTP/1.1 503 Service Unavailable\r\n\r\n"), PROBE_FAILED);
	cr_assert_eq(p.status, 503);
	cr_assert_eq(probe_begin(&p, READY_HTTP, port, "/health"), PROBE_PENDING);
	cr_assert_eq(drive(&p, lfd, "garbage\r\n\r\n"), PROBE_FAILED);
	close(lfd);
}

Test(probe, closed_port_fails_and_tcp_connect_is_ready)
{
	struct probe p;
	int port, lfd = listener(&port);

	probe_init(&p);
	cr_assert_eq(probe_begin(&p, READY_TCP, port, NULL), PROBE_PENDING);
	cr_assert_eq(drive(&p, -1, NULL), PROBE_OK);
	close(lfd);
	if (probe_begin(&p, READY_TCP, port, NULL) == PROBE_PENDING)
		cr_assert_eq(drive(&p, -1, NULL), PROBE_FAILED);
}
