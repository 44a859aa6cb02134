#include "runtime/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

void probe_abort(struct probe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static enum probe_result finish(struct probe *p, enum probe_result r)
{
	probe_abort(p);
	return r;
}

enum probe_result probe_begin(struct probe *p, enum manifest_ready kind, int port, const char *path)
{
	struct sockaddr_in sa;
	int n;

	probe_abort(p);
	p->kind = kind;
	p->connected = 0;
	p->req_sent = 0;
	p->reply_len = 0;
	p->verdict = 0;
	p->drained = 0;
	n = snprintf(p->request, sizeof(p->request),
	             "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nUser-Agent: slipway-probe\r\n"
	             "Connection: close\r\n\r\n",
	             path && *path ? path : "/", port);
	if (n < 0 || (size_t)n >= sizeof(p->request))
		return PROBE_FAILED;
	p->req_len = (size_t)n;
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return PROBE_FAILED;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		return finish(p, PROBE_FAILED);
	p->events = POLLOUT;
	return PROBE_PENDING;
}

static int status_ok(struct probe *p)
{
	int code = 0;

	/* "HTTP/1.x NNN ..." */
	if (p->reply_len < 12 || strncmp(p->reply, "HTTP/1.", 7) != 0 || p->reply[8] != ' ')
		return -1;
	if (sscanf(p->reply + 9, "%3d", &code) != 1)
		return -1;
	p->status = code;
	return code >= 200 && code < 400;
}

enum probe_result probe_step(struct probe *p)
{
	if (p->fd < 0)
		return PROBE_FAILED;
	if (!p->connected) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0)
			return finish(p, PROBE_FAILED);
		p->connected = 1;
		if (p->kind != READY_HTTP)
			return finish(p, PROBE_OK);
	}
	while (p->req_sent < p->req_len) {
		ssize_t w =
		    send(p->fd, p->request + p->req_sent, p->req_len - p->req_sent, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			p->events = POLLOUT;
			return PROBE_PENDING;
		}
		if (w <= 0)
			return finish(p, PROBE_FAILED);
		p->req_sent += (size_t)w;
	}
	p->events = POLLIN;
	for (;;) {
		char sink[4096];
		ssize_t r;
		int ok;

		if (p->verdict) {
			/* Read the rest so closing does not reset a connection the server is
			 * still writing to (servers log that as an error). */
			r = recv(p->fd, sink, sizeof(sink), 0);
			if (r < 0 && errno == EAGAIN)
				return PROBE_PENDING;
			if (r > 0 && (p->drained += (size_t)r) < (1u << 20))
				continue;
			return finish(p, p->verdict == 1 ? PROBE_OK : PROBE_FAILED);
		}
		r = recv(p->fd, p->reply + p->reply_len, sizeof(p->reply) - 1 - p->reply_len, 0);
		if (r < 0 && errno == EAGAIN)
			return PROBE_PENDING;
		if (r < 0)
			return finish(p, PROBE_FAILED);
		p->reply_len += (size_t)r;
		p->reply[p->reply_len] = '\0';
		ok = status_ok(p);
		if (ok >= 0) {
			p->verdict = ok ? 1 : 2;
			if (r == 0)
				return finish(p, ok ? PROBE_OK : PROBE_FAILED);
			continue;
		}
		if (r == 0 || p->reply_len == sizeof(p->reply) - 1)
			return finish(p, PROBE_FAILED);
	}
}

enum probe_result probe_expire(struct probe *p)
{
	enum probe_result r = p->verdict == 1 ? PROBE_OK : PROBE_FAILED;

	probe_abort(p);
	return r;
}
