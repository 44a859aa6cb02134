/* The health gate's steps on the store (specs/runtime.md, "Health gate"). The supervisor
 * holds neither the store nor its lock between switches: each step opens the store at
 * `root`, takes the lock (waiting as store_lock does by default) and lets go. */
#ifndef SLIPWAY_STORE_GATE_H
#define SLIPWAY_STORE_GATE_H

#include "release/base/error.h"

/* The undo of a failed switch: if `current` still names `bad`, points it at `good` (a
 * "rollback" event in the history). 0 when flipped, 1 when `current` had moved elsewhere
 * meanwhile (an operator's choice, left alone), -1 on error. */
int store_gate_undo(const char *root, const char *bad, const char *good, struct err *err);

/* Marks `version` bad with `reason` (store_mark_bad); a version that is not installed
 * (nothing to mark) is not an error. */
int store_gate_mark_bad(const char *root, const char *version, const char *reason, struct err *err);

#endif
