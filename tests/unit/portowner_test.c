#include <criterion/criterion.h>

#include "runtime/portowner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A listening socket on a loopback port chosen by the kernel; its port in *port. */
static int listen_loopback(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

Test(portowner, finds_the_holder_and_escapes_the_name_it_chose)
{
	struct port_holder h[4];
	char text[256], want[128];
	int port, fd = listen_loopback(&port), ready[2];
	pid_t child;

	cr_assert_eq(pipe(ready), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		/* A name with a terminal escape and a newline, as any local user may choose. */
		prctl(PR_SET_NAME, "ev\x1b[2Jil\nx");
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fd); /* the child alone holds it now */
	cr_assert_eq(read(ready[0], text, 1), 1);

	cr_assert_eq(port_holders(port, h, 4), 1);
	cr_assert_eq(h[0].pid, child);
	port_holder_describe(&h[0], text, sizeof(text));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	snprintf(want, sizeof(want), "pid %ld (ev\\x1b[2Jil\\nx)", (long)child);
	cr_assert_str_eq(text, want);
}

Test(portowner, nobody_listening)
{
	struct port_holder h[1];
	int port, fd = listen_loopback(&port);

	close(fd);
	cr_assert_eq(port_holders(port, h, 1), 0);
	cr_assert_eq(port_held_by_group(port, getpgrp()), PORT_NOBODY);
}
