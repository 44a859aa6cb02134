/* The listening sockets `slipway run` owns for port services (specs/runtime.md, "Socket
 * ownership"): bound once, kept across generations, handed to each generation as fd 3.
 *
 * A socket that stays open queues new connections in the kernel while no process accepts,
 * so a switch or a restart of the service refuses nothing. To keep the sockets across
 * restarts of `slipway run` itself, they are taken from systemd when it passes them
 * (socket activation, or its file-descriptor store, LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES)
 * and every socket bound here is offered to that store (FDSTORE=1, FDNAME=port-<port>).
 * Outside systemd they live as long as `slipway run`. */
#ifndef SLIPWAY_RUNTIME_LISTENERS_H
#define SLIPWAY_RUNTIME_LISTENERS_H

#include "release/base/error.h"

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* Every listen(2) on these sockets passes this backlog (the kernel caps it at
 * net.core.somaxconn): a listen() without one would reset it to 511. */
#define LISTENER_BACKLOG 4096

/* The backlog of a generation's private health-gate listener (only probes connect). */
#define LISTENER_GATE_BACKLOG 64

struct listener {
	struct listener *next;
	int fd;
	int port;
	struct sockaddr_storage addr; /* the bound address */
	socklen_t addrlen;
	unsigned users; /* service instances holding it (listeners_get/listeners_put) */
	int stored;     /* offered to systemd's fd store */
};

struct listeners {
	struct listener *list;
};

/* Adopts the listening TCP sockets systemd passed to this process (LISTEN_PID must be
 * ours) and unsets LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES. Descriptors that are not
 * listening TCP sockets are closed. Returns how many were adopted; `note` (may be NULL)
 * tells what was skipped. Never fails. */
int listeners_inherit(struct listeners *ls, char *note, size_t cap);

/* The socket for host:port, which must resolve to one numeric address: the one already held
 * (inherited or bound before), else a new one bound now (SO_REUSEADDR, listen with
 * LISTENER_BACKLOG, close-on-exec) and offered to systemd's fd store. Adds a user.
 * Fails (err) when the port is held here for another address, or cannot be bound. */
struct listener *listeners_get(struct listeners *ls, const char *host, int port, struct err *err);

/* The socket held for `port`, or NULL. */
struct listener *listeners_find(const struct listeners *ls, int port);

/* Whether `host` names the address `l` is bound to. */
int listeners_same_host(const struct listener *l, const char *host, int port);

/* Drops a user; the last one closes the socket and removes it from systemd's fd store. */
void listeners_put(struct listeners *ls, struct listener *l);

/* Re-applies LISTENER_BACKLOG (a server's own listen() may have lowered it). */
void listeners_relisten(const struct listener *l);

/* Closes every socket (systemd's store keeps its copies for the next start). */
void listeners_release(struct listeners *ls);

/* A private listening socket on 127.0.0.1 with a kernel-chosen port, for one generation's
 * health gate. Returns the descriptor (close-on-exec) and sets *port, or -1 (err). */
int listeners_gate(int *port, struct err *err);

#endif
