/* Who listens on a TCP port: the processes holding a listening socket bound to it, found
 * through /proc/net/tcp{,6} (socket inodes in state LISTEN) and /proc/PID/fd (which process
 * holds which inode). The health gate uses it so that a port answered by some other process
 * is never taken for a service's readiness (specs/runtime.md, "Readiness").
 *
 * Linux only; a process whose /proc entries cannot be read (another user's, without
 * privileges) is reported with pid 0 ("unknown holder"). */
#ifndef SLIPWAY_RUNTIME_PORTOWNER_H
#define SLIPWAY_RUNTIME_PORTOWNER_H

#include <sys/types.h>

struct port_holder {
	pid_t pid;  /* 0 when a listener exists but its holder cannot be seen */
	pid_t pgid; /* its process group, 0 when unknown */
	char comm[32];
};

/* Fills up to `cap` (>= 1) processes holding a socket listening on `port` (IPv4 and IPv6,
 * any address) and returns how many were filled: 0 when nobody listens, -1 when /proc/net
 * cannot be read. A listener whose holder cannot be seen is one entry with pid 0. */
int port_holders(int port, struct port_holder *out, int cap);

#define PORT_NOBODY 2

/* 1 when a process of process group `pgid` holds a socket listening on `port`, 0 when only
 * others do, PORT_NOBODY when nobody listens, -1 when /proc/net cannot be read. Cheaper
 * than port_holders: only the group's processes are searched. */
int port_held_by_group(int port, pid_t pgid);

/* "pid 123 (node)" or "an unknown process" into buf. */
void port_holder_describe(const struct port_holder *h, char *buf, size_t cap);

#endif
