#include "runtime/listeners.h"
#include "runtime/notify.h"
#include "release/base/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static void fdstore(struct listener *l, int add)
{
	char msg[96];
	struct err err;

	if (!add && !l->stored)
		return;
	snprintf(msg, sizeof(msg),
	         add ? "FDSTORE=1\nFDNAME=port-%d" : "FDSTOREREMOVE=1\nFDNAME=port-%d", l->port);
	if (notify_send_fds(msg, add ? &l->fd : NULL, add ? 1 : 0, &err) == 0 && add &&
	    getenv("NOTIFY_SOCKET"))
		l->stored = 1;
}

static struct listener *add(struct listeners *ls, int fd, const struct sockaddr_storage *ss,
                            socklen_t len)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->fd = fd;
	l->addr = *ss;
	l->addrlen = len;
	l->port = port_of(ss);
	l->next = ls->list;
	ls->list = l;
	return l;
}

int listeners_inherit(struct listeners *ls, char *note, size_t cap)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	long n = nfds ? strtol(nfds, NULL, 10) : 0;
	int adopted = 0, skipped = 0, fd;

	if (note && cap)
		note[0] = '\0';
	if (!pid || strtol(pid, NULL, 10) != (long)getpid() || n <= 0 || n > 1024)
		n = 0;
	for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int type = 0, acc = 0;
		socklen_t tl = sizeof(type), al = sizeof(acc);

		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) < 0 || !acc ||
		    getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
		    listeners_find(ls, port_of(&ss)) || !add(ls, fd, &ss, len)) {
			close(fd);
			skipped++;
			continue;
		}
		ls->list->stored = 1; /* systemd already holds it */
		adopted++;
	}
	if (skipped && note)
		snprintf(note, cap,
		         "%d inherited descriptor%s not a listening TCP socket (or a second one "
		         "for a port); closed",
		         skipped, skipped == 1 ? " is" : "s are");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return adopted;
}

struct listener *listeners_find(const struct listeners *ls, int port)
{
	struct listener *l;

	for (l = ls->list; l; l = l->next)
		if (l->port == port)
			return l;
	return NULL;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len,
                   struct err *err)
{
	struct addrinfo hints, *res = NULL;
	char sport[16];
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(sport, sizeof(sport), "%d", port);
	r = getaddrinfo(host && *host ? host : NULL, sport, &hints, &res);
	if (r != 0)
		return fail_kind(err, ERR_SYSTEM, "cannot resolve HOSTNAME %s: %s", host,
		                 gai_strerror(r));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family || port_of(a) != port_of(b))
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	               &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

int listeners_same_host(const struct listener *l, const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct err err;

	return resolve(host, port, &ss, &len, &err) == 0 && same_addr(&ss, &l->addr);
}

static void describe(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
	snprintf(buf, cap, ss->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", a, port_of(ss));
}

struct listener *listeners_get(struct listeners *ls, const char *host, int port, struct err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct listener *l;
	char where[INET6_ADDRSTRLEN + 16];
	int fd, one = 1;

	if (resolve(host, port, &ss, &len, err) < 0)
		return NULL;
	describe(&ss, where, sizeof(where));
	if ((l = listeners_find(ls, port))) {
		char held[INET6_ADDRSTRLEN + 16];

		if (!same_addr(&ss, &l->addr)) {
			describe(&l->addr, held, sizeof(held));
			fail_kind(err, ERR_SYSTEM,
			          "cannot listen on %s: slipway holds port %d on %s", where, port,
			          held);
			return NULL;
		}
		l->users++;
		return l;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail_sys(err, "cannot create a socket for %s", where);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, LISTENER_BACKLOG) < 0) {
		fail_sys(err, "cannot listen on %s", where);
		close(fd);
		return NULL;
	}
	if (!(l = add(ls, fd, &ss, len))) {
		close(fd);
		fail_oom(err);
		return NULL;
	}
	l->users = 1;
	fdstore(l, 1);
	return l;
}

void listeners_put(struct listeners *ls, struct listener *l)
{
	struct listener **pp;

	if (!l || --l->users > 0)
		return;
	for (pp = &ls->list; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	fdstore(l, 0);
	close(l->fd);
	free(l);
}

void listeners_relisten(const struct listener *l)
{
	if (l)
		listen(l->fd, LISTENER_BACKLOG);
}

void listeners_release(struct listeners *ls)
{
	struct listener *l;

	while ((l = ls->list)) {
		ls->list = l->next;
		close(l->fd);
		free(l);
	}
}

int listeners_gate(int *port, struct err *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return fail_sys(err, "cannot create the gate socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, LISTENER_GATE_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		fail_sys(err, "cannot listen on 127.0.0.1 for the health gate");
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}
