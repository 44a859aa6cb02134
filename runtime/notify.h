/* sd_notify without libsystemd (specs/runtime.md, "systemd").
 *
 * Sends `msg` (e.g. "READY=1\nSTATUS=serving 1.2.0") as one datagram to the AF_UNIX socket
 * named by $NOTIFY_SOCKET; a leading '@' names an abstract socket. Without $NOTIFY_SOCKET it
 * does nothing and returns 0. Failures are transient: the caller warns and carries on. */
#ifndef SLIPWAY_RUNTIME_NOTIFY_H
#define SLIPWAY_RUNTIME_NOTIFY_H

#include "release/base/error.h"

int notify_send(const char *msg, struct err *err);

#endif
