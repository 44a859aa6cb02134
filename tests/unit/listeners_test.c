#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/listeners.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A loopback port that was free a moment ago. */
static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int listening(int fd)
{
	int acc = 0;
	socklen_t len = sizeof(acc);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc;
}

static int connects(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

Test(listeners, one_socket_per_port_kept_until_the_last_user_lets_go)
{
	struct listeners ls = {0};
	struct listener *a, *b;
	struct err err;
	int port = free_port(), fd;

	a = listeners_get(&ls, "127.0.0.1", port, &err);
	cr_assert_not_null(a, "%s", err.msg);
	cr_assert(fcntl(a->fd, F_GETFD) & FD_CLOEXEC);
	b = listeners_get(&ls, "127.0.0.1", port, &err);
	cr_assert_eq(a, b, "a second service instance on the port shares the socket");
	cr_assert_eq(a->users, 2);
	cr_assert_eq(listeners_find(&ls, port), a);
	fd = a->fd;
	listeners_put(&ls, a);
	cr_assert(listening(fd), "closed while an instance still uses it");
	cr_assert(connects(port), "connections must queue while no process accepts");
	listeners_put(&ls, b);
	cr_assert_null(listeners_find(&ls, port));
	cr_assert_not(connects(port), "the port is still open after the last user");
	listeners_release(&ls);
}

Test(listeners, another_address_for_a_held_port_is_refused)
{
	struct listeners ls = {0};
	struct err err;
	int port = free_port();

	cr_assert_not_null(listeners_get(&ls, "127.0.0.1", port, &err), "%s", err.msg);
	cr_assert(listeners_same_host(listeners_find(&ls, port), "127.0.0.1", port));
	cr_assert_not(listeners_same_host(listeners_find(&ls, port), "0.0.0.0", port));
	cr_assert_null(listeners_get(&ls, "0.0.0.0", port, &err));
	cr_assert(strstr(err.msg, "slipway holds port"), "%s", err.msg);
	listeners_release(&ls);
}

Test(listeners, a_port_held_by_someone_else_is_an_error_naming_it)
{
	struct listeners ls = {0};
	struct sockaddr_in sa;
	struct err err;
	int port = free_port(), other = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(other, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(other, 1), 0);
	cr_assert_null(listeners_get(&ls, "127.0.0.1", port, &err));
	cr_assert(strstr(err.msg, "cannot listen on 127.0.0.1:") &&
	              strstr(err.msg, "Address already in use"),
	          "%s", err.msg);
	close(other);
}

Test(listeners, gate_is_a_private_loopback_listener)
{
	struct err err;
	int port = 0, fd = listeners_gate(&port, &err);

	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_gt(port, 0);
	cr_assert(listening(fd));
	cr_assert(connects(port));
	close(fd);
}

Test(listeners, inherit_takes_nothing_meant_for_another_process)
{
	struct listeners ls = {0};

	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_PID", "1", 1); /* not ours */
	setenv("LISTEN_FDNAMES", "web", 1);
	cr_assert_eq(listeners_inherit(&ls, NULL, 0), 0);
	cr_assert_null(ls.list);
	cr_assert_null(getenv("LISTEN_FDS"), "LISTEN_* must not reach the services");
	cr_assert_null(getenv("LISTEN_PID"));
	cr_assert_null(getenv("LISTEN_FDNAMES"));
}
