/* The service lifecycle under `slipway run` (specs/runtime.md, "Service states",
 * "Readiness", "Restart", "Stop"): starting instances when their port is free, their output,
 * readiness, unexpected exits and restarts with backoff, and stopping them. runtime/
 * supervisor.c runs the poll loop around it; runtime/generation.c decides the switch
 * between generations and acts on instances through these functions (its ops table). */
#ifndef SLIPWAY_RUNTIME_LIFECYCLE_H
#define SLIPWAY_RUNTIME_LIFECYCLE_H

#include "release/base/error.h"
#include <stdint.h>

#include "runtime/current.h"
#include "runtime/generation.h"
#include "runtime/handover.h"
#include "runtime/logsink.h"
#include "runtime/periodic.h"
#include "runtime/service.h"
#include "runtime/statefile.h"
#include "runtime/supervisor.h"

/* The supervisor's state, shared by the loop (supervisor.c) and the lifecycle. */
struct sup {
	const struct supervisor_config *cfg;
	struct service *list;
	unsigned next_id;
	struct generation gen; /* the switch between generations (runtime/generation.c) */
	int stopping, check_release, dirty;
	struct logsink log;
	uint64_t next_extend;
	int sfd, ifd;
	struct handover sw; /* socket ownership and the zero-downtime moves (runtime/handover.c) */
	struct state_failure failures[STATEFILE_FAILURES]; /* for the state file, recent first */
	size_t n_failures;
	struct periodic follow; /* run --follow's job (runtime/periodic.h) */
};

/* A log line of slipway's own, and an sd_notify message (a failure is logged). */
void sup_say(struct sup *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sup_notify(struct sup *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Creates the instances of `rel` as generation `gen`. Port holders of other generations are
 * told to stop first and the new instance waits for the port; a portless service overlaps
 * its predecessor, which is stopped once the new one is up (handover). Instances of the
 * same release that still run and are not retiring are adopted instead of restarted. Fails
 * only when out of memory or a service cannot be built from the manifest. */
int lifecycle_populate(struct sup *sp, const struct loaded_release *rel, unsigned gen, uint64_t now,
                       struct err *err);

/* Exactly one SIGTERM (service_stop), SIGKILL at the stop timeout; the instance retires.
 * lifecycle_stop_cb is the same with the supervisor as a void pointer. */
void lifecycle_stop(struct sup *sp, struct service *s, uint64_t now, const char *why);
void lifecycle_stop_cb(void *ctx, struct service *s, uint64_t now, const char *why);

/* Schedules the restart of a failed instance after the backoff delay. */
void lifecycle_backoff(struct sup *sp, struct service *s, uint64_t now);

/* One read of the instance's output (at most READ_CHUNK bytes), logged line by line and
 * kept in its tail (runtime/outtail.h). */
void lifecycle_read_output(struct sup *sp, struct service *s);

/* A readiness probe of `s` answered: ready if its own process group holds the port. */
void lifecycle_probe_passed(struct sup *sp, struct service *s, uint64_t now);

/* SIGCHLD: reaps every child that exited and decides about its instance. */
void lifecycle_reap(struct sup *sp);

/* SIGTERM/SIGINT: every instance gets its one SIGTERM (a second signal sends nothing). */
void lifecycle_stop_all(struct sup *sp);

/* The timers: due starts, readiness deadlines and probes, stop deadlines, warm checks,
 * freeing retired instances, and the generation's own (gen_tick). */
void lifecycle_tick(struct sup *sp, uint64_t now);

/* Milliseconds until lifecycle_tick is due again, -1 when nothing waits on a timer. */
int64_t lifecycle_next_wakeup(struct sup *sp, uint64_t now);

#endif
