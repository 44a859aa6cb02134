#include "cmd/support/store_open.h"
#include "cmd/support/cli.h"
#include "release/base/error.h"
#include "release/store/store_meta.h"

#include <stdio.h>
#include <stdlib.h>

static void store_sweep_warn(const char *cmd, struct store *st)
{
	struct err err;

	if (store_sweep(st, &err) < 0)
		cmd_warn(cmd, "cleaning up after an interrupted command: %s", err.msg);
}

int cmd_store_open(const char *cmd, const char *root_opt, bool lock, struct store *st)
{
	const char *root = cmd_store_root(cmd, root_opt);
	struct err err;

	st->rootfd = -1;
	st->lockfd = -1;
	st->root = NULL;
	if (!root)
		return EXIT_USAGE;
	if (store_open(root, st, &err) < 0)
		return cmd_error(cmd, &err);
	if (!lock)
		return EXIT_OK;
	if (store_lock(st, -1, &err) < 0) {
		store_close(st);
		return cmd_error(cmd, &err);
	}
	store_sweep_warn(cmd, st);
	return EXIT_OK;
}

int cmd_store_lock(const char *cmd, struct store *st)
{
	struct err err;

	if (st->lockfd >= 0)
		return EXIT_OK;
	if (store_lock(st, -1, &err) < 0)
		return cmd_error(cmd, &err);
	store_sweep_warn(cmd, st);
	return EXIT_OK;
}

int cmd_switch_to(const char *cmd, struct store *st, const char *version, const char *action)
{
	struct err err;
	char *from = NULL;
	struct release_record r;
	bool changed = false;

	if (store_record_read(st, version, &r, &err) == 0) {
		if (r.bad)
			cmd_warn(cmd, "%s is marked bad (%s)", version,
			         r.bad_reason[0] ? r.bad_reason : "no reason given");
		store_record_release(&r);
	}
	if (store_current_version(st, &from, &err) < 0)
		return cmd_error(cmd, &err);
	if (store_activate(st, version, action, &changed, &err) < 0) {
		free(from);
		return cmd_error(cmd, &err);
	}
	if (!changed)
		printf("%s is already active\n", version);
	else if (from)
		printf("%s %s (was %s)\n", action[0] == 'r' ? "rolled back to" : "activated",
		       version, from);
	else
		printf("activated %s\n", version);
	free(from);
	return EXIT_OK;
}
