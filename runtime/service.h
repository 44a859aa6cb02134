/* One running instance of a service: the s6-style state machine's mechanics
 * (specs/runtime.md, "Service states"). The lifecycle (runtime/lifecycle.c) decides the
 * policy; these functions only start, signal, reap and read.
 *
 *   stopped  -> starting   service_start succeeded (exec done)
 *   waiting  -> starting   the previous holder of the port is gone
 *   starting -> ready      the readiness probe passed
 *   *        -> stopping   service_stop: exactly one SIGTERM, to the main process or to the
 *                          process group (spec.kill_mode)
 *   stopping -> stopped    the leader was reaped and the group is empty (SIGKILL to the group
 *                          at the deadline, or as soon as the leader is gone)
 *   starting/ready -> backoff   unexpected exit; restart at next_start_at
 *
 * Times are CLOCK_MONOTONIC milliseconds. */
#ifndef SLIPWAY_RUNTIME_SERVICE_H
#define SLIPWAY_RUNTIME_SERVICE_H

#include "release/base/error.h"
#include <stdint.h>
#include <sys/types.h>

#include "runtime/crashloop.h"
#include "runtime/linebuf.h"
#include "runtime/outtail.h"
#include "runtime/probe.h"
#include "runtime/spawn.h"
#include "runtime/svcspec.h"

struct handover_inst;

enum svc_state { SVC_STOPPED, SVC_WAITING, SVC_STARTING, SVC_READY, SVC_STOPPING, SVC_BACKOFF };

struct service {
	struct service *next;
	unsigned id;  /* unique for the supervisor's lifetime */
	unsigned gen; /* the generation (release switch) this instance belongs to */
	struct svc_spec spec;
	char *release_dir, *version;
	enum svc_state state;
	pid_t pid;      /* the live leader, 0 when none */
	pid_t pgid;     /* the group of the last start, 0 once it is known to be empty */
	pid_t last_pid; /* the leader of the last start, kept for messages */
	int out_fd;     /* output pipe, -1 when closed */
	struct linebuf lb;
	struct probe probe;
	uint64_t started_at, ready_at, ready_deadline, next_probe_at, probe_deadline;
	uint64_t stop_deadline, next_start_at, state_since;
	uint64_t wait_deadline; /* waiting (or a due restart) blocked by the port: decide then */
	int term_sent, kill_sent;
	int health_port; /* SLIPWAY_HEALTH_PORT of this instance (kept across restarts), 0 */
	int was_ready;   /* this instance has been ready at least once (specs: Health gate) */
	unsigned long failure_no; /* the supervisor's failure count at its last failure */
	int addr_in_use;   /* its output said "address already in use" since the last start */
	int addr_port;     /* the port named in that line, 0 when none could be read */
	int foreign_noted; /* "port held by another process" was logged for this start */
	char foreign[192]; /* then: " (port N is held by ...)" for the not-ready message */
	unsigned failures; /* unexpected exits in a row (backoff) */
	unsigned restarts; /* restarts after unexpected exits, for status */
	char last_exit[160];
	struct outtail tail;      /* what the current (or last) process printed */
	struct outtail exit_tail; /* what the last process that failed printed */
	struct crashlog crashes;  /* its failures, for the crash-loop rule */
	unsigned crashes_noted;   /* crashlog_recent when the state file last heard of it */
	int retiring;             /* stop for good: never restart */
	unsigned handover_from;   /* id of the old instance to stop once this one is ready */

	/* Socket handover state (runtime/handover.c): reached only through its functions. */
	struct handover_inst *ho;
};

const char *svc_state_name(enum svc_state s);

/* Takes ownership of *spec (left zeroed). NULL when out of memory. */
struct service *service_new(struct svc_spec *spec, unsigned id, unsigned gen,
                            const char *release_dir, const char *version);
/* Frees the instance; its handover state must be gone first (handover_forget). */
void service_free(struct service *s);

void service_set_state(struct service *s, enum svc_state st, uint64_t now);

/* Spawns the process (with SLIPWAY_HEALTH_PORT=health_port when it has one); on failure
 * (exec failed, fork failed) fills err and leaves no child. */
int service_start(struct service *s, uint64_t now, struct err *err);

/* The same with a request the caller built (its own environment, descriptors to pass). */
int service_spawn(struct service *s, const struct spawn_req *req, const struct spawn_pass *pass,
                  uint64_t now, struct err *err);

/* Sends the one SIGTERM (to the main process, or to the group with KILL_GROUP) and arms the
 * stop deadline, or, without a process, goes straight to stopped; leftovers of a leader that
 * is already gone get SIGKILL. Calling it again never sends a second SIGTERM. */
void service_stop(struct service *s, uint64_t now);

/* SIGKILL to the whole group (stop deadline passed, or leftovers after the leader died). */
void service_kill_group(struct service *s);

/* True while any process of the last start's group exists (zombies included). */
int service_group_alive(struct service *s);

/* Records the leader's wait status in last_exit and clears pid. */
void service_reaped(struct service *s, int status);

#endif
