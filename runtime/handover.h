/* The socket handover of port services (specs/runtime.md, "Socket ownership" and
 * "Zero-downtime switch"). runtime/generation.c decides when a switch starts, passes its
 * gate, commits or rolls back, and runtime/supervisor.c runs the event loop; these hooks
 * decide how a port service whose socket slipway owns moves between generations:
 *
 *   start     the instance gets the public socket as fd 3 (LISTEN_FDS=1, LISTEN_PID,
 *             LISTEN_FDNAMES), a private loopback listener for its health gate and a Node IPC
 *             channel, with the preload in NODE_OPTIONS. It accepts no public traffic yet:
 *             its readiness is probed on the gate port.
 *   promote   once ready (and its generation is the one slipway moves to), it is told to
 *             accept on the public socket; every other instance on that socket is told to
 *             stop accepting (demote) and drains. Connections that arrive meanwhile wait in
 *             the socket's queue: none is refused.
 *   warm      when the switch commits, the demoted instance of the previous generation is
 *             kept running for warm_ms, so a rollback adopts and promotes it instead of
 *             starting the old release cold. Newer warm instances replace older ones.
 *   restore   when the gate fails, the previous generation's ready instance is promoted back.
 *
 * A service whose socket is not slipway's (SOCK_NONE) keeps the stop-then-start move. */
#ifndef SLIPWAY_RUNTIME_HANDOVER_H
#define SLIPWAY_RUNTIME_HANDOVER_H

#include <limits.h>
#include <stdint.h>

#include "runtime/listeners.h"
#include "runtime/logsink.h"
#include "runtime/service.h"

enum sock_mode {
	SOCK_NONE = 0,    /* the service binds its port itself: stop old, then start new */
	SOCK_PRELOAD = 1, /* slipway's socket, adopted through the Node preload */
	SOCK_INHERIT = 2, /* slipway's socket as fd 3 for a server that reads LISTEN_FDS:
	                   * stop old, then start new, while the socket queues connections */
};

struct handover {
	struct listeners ls;
	struct logsink *log;
	char preload[PATH_MAX];       /* the installed preload, "" when it could not be written */
	uint64_t warm_ms;             /* how long a demoted generation is kept; 0: never */
	const uint64_t *switch_began; /* when the running switch began (for the log), 0: none */
	/* The supervisor's stop: exactly one SIGTERM, SIGKILL at the stop timeout. */
	void (*stop)(void *ctx, struct service *s, uint64_t now, const char *why);
	void *ctx;
};

/* What a process started with the preload finds where. The preload reads the gate's and
 * the channel's numbers and both backlogs from its environment (SLIPWAY_GATE_FD,
 * NODE_CHANNEL_FD, SLIPWAY_BACKLOG, SLIPWAY_GATE_BACKLOG), so these are their one home. */
#define HANDOVER_FD_PUBLIC  3 /* LISTEN_FDS=1: the systemd convention */
#define HANDOVER_FD_GATE    4
#define HANDOVER_FD_CHANNEL 5

/* Adopts the sockets systemd passed (listeners_inherit) and installs the preload. Problems
 * are logged, never fatal: without the preload every service keeps stop-then-start. */
void handover_setup(struct handover *sw, const char *root);

void handover_release(struct handover *sw);

/* Gives a new instance its handover state (freed by handover_forget), in the mode its spec
 * asks for: SLIPWAY_SOCKET in its environment says `off`, `preload` (any Node server that
 * listens on PORT), `inherit` (a server that takes its socket from LISTEN_FDS) or `auto`
 * (the default: a detected Next.js standalone server gets the preload, anything else is
 * off). Only services with a port. -1 when out of memory. */
int handover_attach(struct handover *sw, struct service *s);

/* What the loop and the state file may know of an instance (any instance, attached or
 * not): its mode, whether it accepts on the public socket, is kept warm, reported that its
 * server listens, and the descriptor of its channel to poll (-1: none). */
enum sock_mode handover_mode(const struct service *s);
int handover_serving(const struct service *s);
int handover_is_warm(const struct service *s);
int handover_listening(const struct service *s);
int handover_ctl_fd(const struct service *s);

/* The instance's leader was reaped: its channel is closed and it serves no more. */
void handover_reaped(struct service *s);

/* Starts the instance, with the socket, gate and channel when its mode asks for them. */
int handover_start(struct handover *sw, struct service *s, uint64_t now, struct err *err);

/* The port to probe for readiness: the gate's for a slipway socket, else the service's. */
int handover_probe_port(const struct service *s);

/* Whether two instances can run side by side on their port (both on one slipway socket). */
int handover_shares_port(const struct service *a, const struct service *b);

/* Whether `me` must still wait before it starts: another instance that cannot share the
 * port is alive, or a socket slipway holds for the port is not one `me` can use. */
int handover_port_busy(struct handover *sw, struct service *list, struct service *me);

/* `s` is ready: makes it the one instance accepting on its socket (the others are demoted).
 * A no-op for SOCK_NONE and for an instance already serving. */
void handover_promote(struct handover *sw, struct service *list, struct service *s);

/* After a failed gate: promotes, per socket, the ready instance of generation `gen`. */
void handover_restore(struct handover *sw, struct service *list, unsigned gen);

/* At commit, for an old instance about to be stopped: keeps it warm instead (returns 1),
 * stopping any older warm instance of the same socket; 0 when it should be stopped. */
int handover_keep_warm(struct handover *sw, struct service *list, struct service *s, uint64_t now);

/* A warm instance of the same release that `spec` would start: adopted into generation
 * `gen` (returns 1; spec is left to the caller) and promoted at once when its last check
 * while warm passed at most WARM_FRESH_MS ago, else re-checked by its readiness probe
 * first. When the specs differ (shared/env was edited since) the warm instance is stopped
 * and 0 returned. */
int handover_adopt_warm(struct handover *sw, struct service *list, struct service *warm,
                        const struct svc_spec *spec, unsigned gen, uint64_t now);

/* A warm instance is checked every WARM_CHECK_MS with its readiness probe on its gate, so a
 * rollback needs no check of its own; three failures in a row stop it. Called from the
 * loop for a warm instance: starts and expires checks, and handles poll events on its
 * probe; handover_warm_wakeup is when the next call is due. */
#define WARM_CHECK_MS 1000
#define WARM_FRESH_MS 2500
void handover_warm_tick(struct handover *sw, struct service *s, uint64_t now);
void handover_warm_probe_step(struct handover *sw, struct service *s, uint64_t now);
uint64_t handover_warm_wakeup(const struct service *s);

/* Reads what the instance's process reported on its channel (its server listens: the
 * instances on its socket hear of it). */
void handover_read_ctl(struct handover *sw, struct service *list, struct service *s);

/* Tells every instance on s's socket (s included) which other live instances listen there,
 * with their releases and gate ports: {"slipway":"peers","peers":[{"release","port"}]}. The
 * preload routes a request of another release to it (specs/runtime.md, "Skew protection").
 * Called whenever that set changes: a server listens, a promotion, a warm keep, a reap. */
void handover_announce(struct handover *sw, struct service *list, const struct service *s);

/* Before the instance is freed: lets go of its socket and frees its handover state. */
void handover_forget(struct handover *sw, struct service *s);

/* The same at exit, keeping the socket: handover_release closes them all (systemd's fd
 * store keeps its copies for the next start). */
void handover_detach(struct service *s);

#endif
