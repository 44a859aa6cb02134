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

#endif
