#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/notify.h"

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
