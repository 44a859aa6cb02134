/* A job `slipway run` starts on a timer, beside the services (specs/runtime.md, "Following a
 * channel"): `run --follow URL` runs `slipway pull URL` this way. runtime/ knows nothing of
 * channels or HTTP: the command gives the argv and a judge that turns the job's last output
 * line and wait status into a one-line summary.
 *
 * At most one instance runs at a time, in its own process group (runtime/spawn.h), never
 * waited for by the loop: its output is read from a non-blocking pipe, its exit comes through
 * SIGCHLD (periodic_reaped), and at its deadline its group gets SIGKILL. A summary is logged
 * only when it differs from the last one logged, so a channel that keeps failing the same way
 * is one log line, not one per tick. */
#ifndef SLIPWAY_RUNTIME_PERIODIC_H
#define SLIPWAY_RUNTIME_PERIODIC_H

#include "release/base/clock.h"
#include "runtime/logsink.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PERIODIC_SUMMARY_MAX 512
#define PERIODIC_SOURCE_MAX  512

/* Fills summary (at most cap bytes, one line) from the job's last non-empty output line
 * (raw bytes without NUL, possibly ""; the summary is escaped when
 * logged, and by whoever prints it from the state file) and its wait status; returns 1 when the job
 * succeeded, 0 when not. */
typedef int (*periodic_judge_fn)(const char *last_line, int wstatus, char *summary, size_t cap);

struct periodic_spec {
	char *const *argv;    /* NULL-terminated; NULL: no job */
	const char *name;     /* the log prefix word: "follow" */
	const char *source;   /* what it checks, for the state file (the URL) */
	uint64_t every_ms;    /* from the start of one run to the start of the next */
	uint64_t deadline_ms; /* a run still going this long after its start is SIGKILLed */
	periodic_judge_fn judge;
};

/* The last finished run, as the state file shows it. */
struct periodic_result {
	unsigned long checks;    /* runs finished so far; 0: none yet */
	char at[CLOCK_ISO_SIZE]; /* when the last one finished, UTC */
	int ok;
	char summary[PERIODIC_SUMMARY_MAX];
};

struct periodic {
	const struct periodic_spec *spec; /* NULL: no job (every function does nothing) */
	pid_t pid;                        /* the running instance, 0 when none */
	int out_fd;
	int killed;
	uint64_t started_at, next_at;
	char line[512]; /* the line being read */
	size_t len;
	char last[512];                    /* the last complete non-empty line */
	char logged[PERIODIC_SUMMARY_MAX]; /* the last summary logged */
	struct periodic_result result;
};

/* The first run is due at `now`. spec (may be NULL) must outlive p. */
void periodic_init(struct periodic *p, const struct periodic_spec *spec, uint64_t now);

/* Starts a due run (not while stopping), SIGKILLs an overdue one. A spawn failure counts
 * as a failed run (logged as any other). Returns 1 when the result changed. */
int periodic_tick(struct periodic *p, uint64_t now, int stopping, struct logsink *log);

/* Milliseconds until periodic_tick is due, -1 when never. */
int64_t periodic_next_wakeup(const struct periodic *p, uint64_t now);

/* The output pipe to poll, -1 when none. */
int periodic_fd(const struct periodic *p);

/* One bounded read of the output pipe (after poll said it is readable). */
void periodic_read(struct periodic *p);

/* After waitpid returned `pid` with `wstatus`: when it is the job, reads the rest of its
 * output, judges it, logs a new summary, and returns 1; else returns 0. */
int periodic_reaped(struct periodic *p, pid_t pid, int wstatus, struct logsink *log);

/* At stop: SIGTERM to a running instance's group. */
void periodic_stop(struct periodic *p);

/* 1 while an instance runs. */
int periodic_running(const struct periodic *p);

/* Closes the pipe (an instance still running is left to spawn_reap_orphans). */
void periodic_release(struct periodic *p);

#endif
