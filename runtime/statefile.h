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

#include "release/base/clock.h"
#include "runtime/generation.h"
#include "runtime/outtail.h"
#include "runtime/periodic.h"
#include "release/store/store.h"
#include "runtime/service.h"

#define STATEFILE_DIR  STORE_RUN
#define STATEFILE_NAME "state.json"
#define STATEFILE_LOCK "supervisor.lock"
#define STATEFILE_PID  "supervisor.pid"

/* The file's one typed form: what the supervisor writes, and what `status`, `status --json`
 * and `--wait` read (statefile_read), so a field exists in all of them or in none. */
struct state_service {
	char name[64];
	unsigned generation;
	char release[GEN_VERSION_MAX];
	enum svc_state state;
	int pid, port, health_port;
	unsigned long restarts, failures;
	char last_exit[160];
	char since[CLOCK_ISO_SIZE]; /* when it entered its state, UTC */
	int retiring, serving, warm;
	unsigned restarts_last_minute; /* failures (each one a restart) within the last 60 s */
	int crash_looping;             /* crashlog_looping when the file was written */
	struct outtail last_output;    /* what its last failed process printed, escaped */
};

/* A recent instance failure, kept by the supervisor for each (service, release) apart: it
 * outlives the instance (a release rolled back is gone from `services`), so `--wait` can
 * show its output even while another release's service keeps failing. */
struct state_failure {
	char service[64]; /* "" when none yet */
	char release[GEN_VERSION_MAX];
	unsigned generation;
	char reason[160];        /* the instance's last_exit */
	char at[CLOCK_ISO_SIZE]; /* UTC */
	struct outtail output;   /* what that process printed last, escaped */
};

#define STATEFILE_FAILURES 4

struct state_file {
	int format; /* STATEFILE_FORMAT */
	int pid;
	char updated[CLOCK_ISO_SIZE];
	enum gen_phase phase;
	unsigned generation;
	char release[GEN_VERSION_MAX]; /* version of the live generation, "" before the first */
	struct state_switch {
		unsigned seq; /* 0: no switch yet */
		char from[GEN_VERSION_MAX], to[GEN_VERSION_MAX];
		enum gen_result result;
		char reason[512]; /* why it was rolled back or failed, else "" */
		int settled;      /* decided, and the live generation is ready or failed anew */
	} sw;
	struct state_service *services; /* n_services of them, owned: statefile_free */
	size_t n_services;
	struct state_failure failures[STATEFILE_FAILURES]; /* most recent first */
	size_t n_failures;
	struct state_follow { /* run --follow; source "" when not following */
		char source[PERIODIC_SOURCE_MAX];
		unsigned long every_s;
		struct periodic_result last; /* last.checks 0: no check finished yet */
	} follow;
};

#define STATEFILE_FORMAT 1

/* The supervisor's snapshot: its generation's state, every instance of `list` and its
 * recent failures (n_failures <= STATEFILE_FAILURES, most recent first). Fails only when out of
 * memory. */
int statefile_snapshot(struct state_file *out, const struct generation *g, int stopping,
                       const struct service *list, const struct state_failure *failures, size_t n,
                       struct err *err);

/* Puts `f` first in list[*n] (at most STATEFILE_FAILURES): it replaces the entry of the same
 * service and release, else the oldest goes when the list is full. */
void statefile_note_failure(struct state_failure *list, size_t *n, const struct state_failure *f);

void statefile_free(struct state_file *sf);

/* The JSON form (specs/runtime.md, "State file"); a new object owned by the caller. */
json_object *statefile_to_json(const struct state_file *sf);

/* Creates ROOT/run (0755) if needed, checked as every store directory (store_dir_open), and
 * writes the file atomically. */
int statefile_write(const char *root, const struct state_file *sf, struct err *err);

/* The state file, parsed into *out (statefile_free it), or -1 with err (missing file: "no
 * state file"; not a JSON object: "... is not valid JSON"). Absent fields read as zero. */
int statefile_read(const char *root, struct state_file *out, struct err *err);

/* 1 when a supervisor holds ROOT/run/supervisor.lock, 0 when none does, -1 on error. A
 * caller who may not open the lock (0600, the store owner's) gets 1 when the pid file names a
 * live process running slipway, else 0. */
int statefile_supervisor_alive(const char *root, struct err *err);

/* Takes ROOT/run/supervisor.lock for this process (kept until exit) and writes the pid file.
 * Fails when another supervisor holds it. */
int statefile_claim(const char *root, int *lock_fd, struct err *err);

#endif
