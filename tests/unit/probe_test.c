#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/probe.h"

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
