/* Removing old releases (specs/store.md "Prune"). */
#ifndef SLIPWAY_PRUNE_H
#define SLIPWAY_PRUNE_H

#include "release/base/error.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <stddef.h>

#define PRUNE_DEFAULT_KEEP 5

/* Called for each release removed (or, with dry_run, that would be removed). */
typedef void (*prune_report)(void *ctx, const char *version);

/* Keeps the `keep` most recently installed releases (install order from the history) and
 * never removes `current`, the rollback target, or the most recently activated release not
 * marked bad. Each removal: rename releases/<v> into trash/ (atomic), drop its record, write
 * the history, then delete the tree. Requires the lock. *removed counts removals. */
int store_prune(struct store *st, size_t keep, bool dry_run, prune_report report, void *ctx,
                size_t *removed, struct err *err);

#endif
