/* The installed releases in install order (from the history, never from mtimes). */
#ifndef SLIPWAY_STORE_LIST_H
#define SLIPWAY_STORE_LIST_H

#include "release/base/error.h"
#include "release/store/store.h"
#include "release/store/store_meta.h"

#include <stddef.h>

/* Every complete release (releases/<v> with its record), oldest install first; releases the
 * history does not mention come first, by name. *out is a heap array of records owned by the
 * caller: store_list_free. */
int store_list_releases(struct store *st, struct release_record **out, size_t *n, struct err *err);
void store_list_free(struct release_record *r, size_t n);

/* What `list` and `status` show: the releases (as store_list_releases), the version `current`
 * names and the rollback target (store_rollback_target), each NULL when there is none. */
struct store_overview {
	struct release_record *releases;
	size_t n;
	char *current;
	char *rollback_target;
};

/* Fills *o (owned by the caller: store_overview_release, also after a failure). */
int store_overview_load(struct store *st, struct store_overview *o, struct err *err);
void store_overview_release(struct store_overview *o);

/* The record of the current release, or NULL. Borrowed from o. */
const struct release_record *store_overview_current(const struct store_overview *o);

#endif
