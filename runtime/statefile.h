/* The supervisor's state file, ROOT/run/state.json, rewritten atomically on every change so
 * `slipway status` and `deploy --wait` can read it (format: specs/runtime.md, "State file").
 * It never holds an environment value. ROOT/run/supervisor.lock is held (flock) by the live
 * supervisor, so a state file left by a dead one is recognisable. */
#ifndef SLIPWAY_RUNTIME_STATEFILE_H
#define SLIPWAY_RUNTIME_STATEFILE_H

#include "release/base/error.h"
#include <json-c/json.h>
#include <stddef.h>
#include <sys/types.h>

#include "release/store/store.h"
#include "runtime/service.h"

#define STATEFILE_DIR  STORE_RUN
#define STATEFILE_NAME "state.json"
#define STATEFILE_LOCK "supervisor.lock"
#define STATEFILE_PID  "supervisor.pid"

struct state_switch {
	unsigned seq;       /* 0: no switch yet */
	const char *from;   /* version before, "" for the first start */
	const char *to;     /* version asked for */
	const char *result; /* "pending", "ok", "rolled_back" or "failed" */
	const char *reason; /* why it was rolled back or failed, else "" */
	int settled;        /* decided, and the live generation is ready or failed anew */
};

struct state_snapshot {
	pid_t pid;
	const char *phase; /* "starting", "running", "switching", "stopping" */
	unsigned generation;
	const char *release; /* version of the live generation, "" before the first is up */
	struct state_switch sw;
	const struct service *services; /* list */
};

/* Creates ROOT/run (0755) if needed, checked as every store directory (store_dir_open), and
 * writes the snapshot atomically. */
int statefile_write(const char *root, const struct state_snapshot *snap, struct err *err);

/* The state file, parsed: *out is a JSON object owned by the caller (json_object_put), or
 * -1 with err (missing file: "no state file"; not a JSON object: "... is not valid JSON"). */
int statefile_read(const char *root, json_object **out, struct err *err);

/* 1 when a supervisor holds ROOT/run/supervisor.lock, 0 when none does, -1 on error. A
 * caller who may not open the lock (0600, the store owner's) gets 1 when the pid file names a
 * live process running slipway, else 0. */
int statefile_supervisor_alive(const char *root, struct err *err);

/* Takes ROOT/run/supervisor.lock for this process (kept until exit) and writes the pid file.
 * Fails when another supervisor holds it. */
int statefile_claim(const char *root, int *lock_fd, struct err *err);

#endif
