/* Helpers shared by the store commands (init, install, deploy, activate, rollback, list,
 * status, prune). */
#ifndef SLIPWAY_STORE_CMD_H
#define SLIPWAY_STORE_CMD_H

#include "release/store/store.h"

#include <stdbool.h>

/* Opens the store named by --root/$SLIPWAY_ROOT; with `lock`, takes the lock and sweeps
 * leftovers of interrupted commands. Returns EXIT_OK, or the exit code after printing
 * "slipway: <cmd>: ..." (2 when no store is given, 3 when it cannot be opened or locked). */
int store_cmd_open(const char *cmd, const char *root_opt, bool lock, struct store *st);

/* install and deploy share one implementation; `activate` is deploy's default. */
int install_main(const char *cmd, int argc, char **argv, bool activate);

/* activate and rollback share the switch and its report. */
int switch_to(const char *cmd, struct store *st, const char *version, const char *action);

#endif
