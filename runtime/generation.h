/* The switch between generations (specs/runtime.md, "Health gate", "Zero-downtime switch",
 * "Waiting for the outcome"): one state machine, with the first start as a switch whose
 * gate is off.
 *
 *   idle     -> pending   gen_first (ungated) or gen_check with a new `current` (gated once a
 *                         generation is live): the release is loaded, its instances created
 *   pending  -> idle/ok           every instance of the pending generation is ready: commit
 *   pending  -> idle/rolled_back  a gated switch fails (an instance fails before it was ready,
 *                                 or the deadline passes) on a release that never served
 *                                 under this supervisor: `current` is flipped back
 *   pending  -> idle/failed       the same on a release that served before (an operator's
 *                                 rollback): committed anyway, its instance restarts
 *   idle/ok  -> probation         a gated switch to a release that never served here
 *                                 committed: for probation_ms it is on probation, and --wait's
 *                                 answer waits stable_ms (at most probation_ms) of it
 *   probation -> pending/rolled_back  an instance of it crash-loops (runtime/crashloop.h: the
 *                                 failures its lifecycle counted) while the previous release
 *                                 is still warm: marked bad, `current` flipped back, and the
 *                                 previous release becomes live again (a switch that keeps
 *                                 this record: to, seq, reason)
 *
 * It acts on instances and on the store only through the ops table, so the poll loop and
 * the lifecycle (runtime/supervisor.c, runtime/lifecycle.c) sit above it with no circle
 * back, and unit tests drive it without processes. Times are CLOCK_MONOTONIC
 * milliseconds. */
#ifndef SLIPWAY_RUNTIME_GENERATION_H
#define SLIPWAY_RUNTIME_GENERATION_H

#include "release/base/error.h"
#include <stddef.h>
#include <stdint.h>

#include "runtime/current.h"
#include "runtime/service.h"

#define GEN_VERSION_MAX 256
#define GEN_SERVED_MAX  16 /* releases remembered as having served */

/* A switch's result, as state.json's switch.result names it. */
enum gen_result { GEN_PENDING, GEN_OK, GEN_ROLLED_BACK, GEN_FAILED };

/* The supervisor's phase, as state.json's phase names it. */
enum gen_phase { GEN_STARTING, GEN_RUNNING, GEN_SWITCHING, GEN_STOPPING };

/* The one name table of each: "pending", "ok", "rolled_back", "failed"; "starting",
 * "running", "switching", "stopping". */
const char *gen_result_name(enum gen_result r);
const char *gen_phase_name(enum gen_phase p);

/* The value a name stands for, -1 when it names none. */
int gen_result_parse(const char *name);
int gen_phase_parse(const char *name);

/* How the switch acts; ctx is the supervisor's. */
struct gen_ops {
	/* Loads `version` into *rel; when rel->m is set already (the previous release, which is
	 * immutable) only its env file is read again. Same returns as release_load. */
	int (*load)(void *ctx, const char *version, struct loaded_release *rel, struct err *err);
	/* Creates generation `gen`'s instances of rel (or adopts running ones). */
	int (*populate)(void *ctx, const struct loaded_release *rel, unsigned gen, uint64_t now,
	                struct err *err);
	/* 1 with `why` filled when a process slipway did not start holds a port of rel. */
	int (*port_foreign)(void *ctx, const struct loaded_release *rel, char *why, size_t cap);
	/* When a gated switch to generation `gen`, begun now, is decided at the latest. */
	uint64_t (*deadline)(void *ctx, unsigned gen, uint64_t now);
	/* Exactly one SIGTERM, SIGKILL at the stop timeout; the instance retires. */
	void (*stop)(void *ctx, struct service *s, uint64_t now, const char *why);
	/* An instance without a process that failed its switch: retired at once. */
	void (*drop)(void *ctx, struct service *s, uint64_t now);
	/* Ends what is left of the instance and schedules its restart with backoff. */
	void (*backoff)(void *ctx, struct service *s, uint64_t now);
	/* At commit, for an old instance: kept warm instead of stopped (1), else 0. */
	int (*keep_warm)(void *ctx, struct service *s, uint64_t now);
	/* After a failed gate: generation `gen`'s ready instances serve again. */
	void (*restore)(void *ctx, unsigned gen);
	/* 1 while an instance of release `version` is kept warm (a flip back promotes it). */
	int (*warm)(void *ctx, const char *version);
	/* The store's undo: `bad` is marked bad and, when `good` is not NULL, `current` points
	 * back at it if it still names `bad`. */
	void (*flip_back)(void *ctx, const char *bad, const char *good, const char *reason);
	void (*say)(void *ctx, const char *line);   /* a log line */
	void (*notify)(void *ctx, const char *msg); /* an sd_notify message */
};

struct generation {
	const struct gen_ops *ops;
	void *ctx;
	struct service *const *list; /* the supervisor's instances (borrowed) */
	unsigned counter;            /* generations begun so far */
	unsigned active, pending;    /* the live generation and the one switched to, 0: none */
	int gated;                   /* the pending switch has a health gate */
	uint64_t deadline;           /* a gated switch not complete by then is decided */
	uint64_t began;              /* when the pending switch began (for the log), 0 */
	unsigned long failures_seen; /* unexpected exits so far (each gets the next number) */
	unsigned long decided_after; /* failures_seen when the last switch got its result */
	struct loaded_release live, next, previous; /* of active, pending, the one before */
	unsigned seq;                               /* switches so far; the first start is 0 */
	char from[GEN_VERSION_MAX], to[GEN_VERSION_MAX];
	enum gen_result result;
	char reason[512];
	char failed[GEN_VERSION_MAX]; /* a release that failed its gate: not retried */
	/* Releases that went live under this supervisor: an operator's switch back to one of
	 * them is never turned around by the gate (specs/runtime.md, "Health gate"). */
	char served[GEN_SERVED_MAX][GEN_VERSION_MAX];
	unsigned n_served;
	/* Probation (specs/runtime.md, "Probation after the switch"); set by the caller. */
	uint64_t probation_ms;    /* how long a new release is on probation; 0: never */
	uint64_t stable_ms;       /* how long --wait's answer waits on probation (settled) */
	uint64_t probation_until; /* the live release is on probation until then, 0: not */
	uint64_t stable_at;       /* not settled before then (an ok switch on probation), 0 */
	int probation_noted;      /* a crash loop without a warm previous release was reported */
	int fallback;             /* the pending switch goes back from a failed probation */
	int ready_notified;       /* READY=1 was sent */
	int dirty;                /* changed since the caller last wrote the state file */
	int recheck;              /* `current` must be read again (gen_check) */
};

void gen_init(struct generation *g, const struct gen_ops *ops, void *ctx,
              struct service *const *list);
void gen_release(struct generation *g);

/* The first start: `rel` (loaded by the caller, taken over and left zeroed) becomes the
 * pending generation, ungated. Fails with populate's error. */
int gen_first(struct generation *g, const char *version, struct loaded_release *rel, uint64_t now,
              struct err *err);

/* `current` names `version` now: begins a switch to it unless it is live, pending, or
 * failed its gate (until gen_explicit_change). An ungated start not up yet is superseded:
 * it becomes the live generation first. */
void gen_check(struct generation *g, const char *version, uint64_t now, int stopping);

/* An operator changed `current` (or sent SIGHUP): a release that failed may be retried. */
void gen_explicit_change(struct generation *g);

/* Commits the pending generation once all of its instances are ready, or fails a gated
 * switch whose deadline has passed; ends the stability window and probation in time. */
void gen_tick(struct generation *g, uint64_t now);

/* When gen_tick must run next (a gated switch's deadline, the end of the stability window
 * or of probation); UINT64_MAX when nothing waits on a deadline. */
uint64_t gen_wakeup(const struct generation *g);

/* The one decision about a failed instance (its start failed, it exited, it was not ready
 * in time, its port is held): while a gated switch is underway and `s` belongs to it
 * without having been ready, the failure is the switch's. Then the switch is decided here
 * (rolled back, or failed for a release that served) and 1 is returned. On probation, the
 * failure that makes `s` crash-loop while the previous release is warm sends the live
 * release back (s is stopped or dropped) and 1 is returned. Else 0, and the caller applies
 * the restart policy (backoff, or starting anyway after a port wait). */
int gen_instance_failed(struct generation *g, struct service *s, uint64_t now, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* gen_instance_failed's test alone: would a failure of `s` be the switch's? (For a check
 * that costs something, such as reading who holds a port.) */
int gen_gates(const struct generation *g, const struct service *s);

/* Whether a ready `s` belongs to the generation that serves (the pending one, else the
 * live one): then it is promoted. */
int gen_serves(const struct generation *g, const struct service *s);

/* The number of the next unexpected exit, recorded as s->failure_no. */
unsigned long gen_count_failure(struct generation *g);

/* Decided, past the stability window of a release on probation (stable_at), and every
 * instance of the live generation is ready or failed again since the decision: what
 * `--wait` waits for. */
int gen_settled(const struct generation *g, int stopping);

enum gen_phase gen_phase(const struct generation *g, int stopping);

#endif
