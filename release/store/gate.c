#include "release/store/gate.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int store_gate_undo(const char *root, const char *bad, const char *good, struct err *err)
{
	struct store st;
	char *cur = NULL;
	bool changed = false;
	int rc = -1;

	if (store_open(root, &st, err) < 0)
		return -1;
	if (store_lock(&st, -1, err) < 0 || store_current_version(&st, &cur, err) < 0)
		goto out;
	if (!cur || strcmp(cur, bad) != 0) {
		rc = 1;
		goto out;
	}
	rc = store_activate(&st, good, "rollback", &changed, err);
out:
	free(cur);
	store_close(&st);
	return rc;
}

int store_gate_mark_bad(const char *root, const char *version, const char *reason, struct err *err)
{
	struct store st;
	int rc = -1;

	if (store_open(root, &st, err) < 0)
		return -1;
	if (store_lock(&st, -1, err) == 0)
		rc = store_is_installed(&st, version) ? store_mark_bad(&st, version, reason, err)
		                                      : 0;
	store_close(&st);
	return rc;
}
