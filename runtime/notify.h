/* sd_notify without libsystemd (specs/runtime.md, "systemd").
 *
 * Sends `msg` (e.g. "READY=1\nSTATUS=serving 1.2.0") as one datagram to the AF_UNIX socket
 * named by $NOTIFY_SOCKET; a leading '@' names an abstract socket. Without $NOTIFY_SOCKET it
 * does nothing and returns 0. Failures are transient: the caller warns and carries on. */
#ifndef SLIPWAY_RUNTIME_NOTIFY_H
#define SLIPWAY_RUNTIME_NOTIFY_H

#include <stddef.h>

#include "release/base/error.h"

#define NOTIFY_MAX_FDS 16

int notify_send(const char *msg, struct err *err);

/* The same with descriptors attached (SCM_RIGHTS), e.g. "FDSTORE=1\nFDNAME=port-5000" to
 * hand sockets to systemd's file-descriptor store. At most NOTIFY_MAX_FDS. */
int notify_send_fds(const char *msg, const int *fds, size_t nfds, struct err *err);

#endif
