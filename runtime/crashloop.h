/* The crash-loop rule (specs/runtime.md, "Crash loops"): an instance crash-loops when it
 * failed at least CRASHLOOP_EXITS times within the last CRASHLOOP_WINDOW_MS, a failure being
 * an unexpected exit, a start that failed, or not being ready within its ready_timeout. A
 * single failure is a restart, not a loop. The one home of the rule: `status` and anything
 * that acts on a loop ask these functions. Times are CLOCK_MONOTONIC milliseconds. */
#ifndef SLIPWAY_RUNTIME_CRASHLOOP_H
#define SLIPWAY_RUNTIME_CRASHLOOP_H

#include <stdint.h>

#define CRASHLOOP_EXITS     3
#define CRASHLOOP_WINDOW_MS 60000
#define CRASHLOOP_KEEP      32 /* failures remembered; more in one window count as this many */

struct crashlog {
	uint64_t at[CRASHLOOP_KEEP]; /* a ring of failure times */
	unsigned n, next;
};

void crashlog_add(struct crashlog *c, uint64_t now);

/* Failures within the window ending at `now`. */
unsigned crashlog_recent(const struct crashlog *c, uint64_t now);

/* 1 when the rule above holds at `now`. */
int crashlog_looping(const struct crashlog *c, uint64_t now);

/* When crashlog_recent next changes by time alone (a failure leaves the window), or
 * UINT64_MAX when none will: the state file is rewritten then. */
uint64_t crashlog_next_change(const struct crashlog *c, uint64_t now);

#endif
