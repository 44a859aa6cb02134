/* Waiting for the running supervisor's verdict on a switch of `current`, for
 * `activate|rollback|deploy --wait` (specs/runtime.md, "Waiting for the outcome").
 * Reads ROOT/run/state.json and the supervisor's lock; never takes the store lock, so the
 * supervisor can flip `current` back while a command waits. */
#ifndef SLIPWAY_RUNTIME_OUTCOME_H
#define SLIPWAY_RUNTIME_OUTCOME_H

#include "release/base/error.h"
#include <stddef.h>

struct run_watch {
	unsigned seq; /* switch counter of the state file before the command switched */
	int pid;      /* the supervisor's pid then */
};

enum run_outcome {
	RUN_OUTCOME_OK = 0,          /* the release's services are all ready */
	RUN_OUTCOME_ROLLED_BACK = 1, /* the health gate failed; `current` was flipped back, and
	                                the restored release has settled */
	RUN_OUTCOME_SUPERSEDED = 2,  /* `current` moved to another release before the switch */
	RUN_OUTCOME_FAILED = 3,      /* the gate failed on a release that had served before: kept
	                                live (not turned around), its services restarting */
	RUN_OUTCOME_NOT_SERVING = 4, /* live, but a service failed again after the switch */
};

/* Records the supervisor's state before a switch. Fails (err) when no `slipway run`
 * supervises the store: then there is nothing to wait for. */
int run_watch_begin(const char *root, struct run_watch *w, struct err *err);

/* Blocks until the supervisor has decided about `version` and the live release has settled
 * (every service ready, or failed again since the decision), polling every 50 ms. Returns
 * an enum run_outcome (`reason` filled for ROLLED_BACK, FAILED and NOT_SERVING, `other` with
 * the release that superseded it), or -1 with err when the supervisor exits or restarts
 * meanwhile. */
int run_watch_wait(const char *root, const struct run_watch *w, const char *version, char *reason,
                   size_t reason_cap, char *other, size_t other_cap, struct err *err);

#endif
