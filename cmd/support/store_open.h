/* What the store commands (init, install, deploy, activate, rollback, list, status, prune,
 * run) share: opening the store named on the command line, and the switch of `current`. */
#ifndef SLIPWAY_CMD_STORE_OPEN_H
#define SLIPWAY_CMD_STORE_OPEN_H

#include "release/store/store.h"

#include <stdbool.h>

/* Opens the store named by --root/$SLIPWAY_ROOT; with `lock`, takes the lock and sweeps
 * leftovers of interrupted commands. Returns EXIT_OK, or the exit code after printing
 * "slipway: <cmd>: ..." (2 when no store is given, 3 when it cannot be opened or locked). */
int cmd_store_open(const char *cmd, const char *root_opt, bool lock, struct store *st);

/* For a store opened without the lock (pull takes it only to install): takes it and sweeps
 * as cmd_store_open does. EXIT_OK, or 3 after printing the error. */
int cmd_store_lock(const char *cmd, struct store *st);

/* activate, rollback and deploy: points `current` at `version` (action "activate" or
 * "rollback") and reports it on stdout. Returns the exit code. */
int cmd_switch_to(const char *cmd, struct store *st, const char *version, const char *action);

#endif
