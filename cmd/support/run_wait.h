/* `--wait` for activate, rollback and deploy: after `current` moved, wait for the running
 * `slipway run` to report whether the release came up (specs/runtime.md). */
#ifndef SLIPWAY_CMD_RUN_WAIT_H
#define SLIPWAY_CMD_RUN_WAIT_H

#include "release/store/store.h"
#include "runtime/outcome.h"

/* Before the switch: EXIT_OK, or EXIT_FAIL after a message when no supervisor runs. */
int run_wait_begin(const char *cmd, struct store *st, struct run_watch *w);

/* After a successful switch: releases the store (lock included, so the supervisor may
 * flip back), waits, prints the verdict. EXIT_OK when the release is live, EXIT_NO when it
 * was rolled back or superseded, EXIT_FAIL when the supervisor went away. */
int run_wait_finish(const char *cmd, struct store *st, const struct run_watch *w,
                    const char *version);

#endif
