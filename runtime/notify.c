#include "runtime/notify.h"
#include "release/base/error.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_send(const char *msg, struct err *err)
{
	return notify_send_fds(msg, NULL, 0, err);
}

int notify_send_fds(const char *msg, const int *fds, size_t nfds, struct err *err)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * NOTIFY_MAX_FDS)];
	} control;
	struct iovec iov;
	struct msghdr mh;
	size_t n;
	int fd, rc = 0;

	if (!path || !*path)
		return 0;
	if (nfds > NOTIFY_MAX_FDS)
		return fail_kind(err, ERR_SYSTEM, "too many descriptors for one notification");
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return fail_kind(err, ERR_SYSTEM, "NOTIFY_SOCKET is not a usable socket address");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &sa;
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	iov.iov_base = (void *)msg;
	iov.iov_len = strlen(msg);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_sys(err, "cannot create notify socket");
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		rc = fail_sys(err, "cannot notify %s", path);
	close(fd);
	return rc;
}
