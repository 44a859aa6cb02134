/* slipway rollback [VERSION]: back to the previously active release (from the history). */
#include "cmd/cmd.h"
#include "cmd/support/run_wait.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage_text[] =
    "usage: slipway rollback [VERSION] [--root DIR] [--wait]\n"
    "\n"
    "Without VERSION, points `current` back at the release that was active before it,\n"
    "as recorded in the history (skipping releases pruned or marked bad). With VERSION,\n"
    "at that installed release. Exit status 1 when there is nothing to roll back to.\n"
    "\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "      --wait       wait for `slipway run` to bring the release up; exit 1 if its\n"
    "                   health check failed and it was rolled back (the last lines the\n"
    "                   failed service printed follow the reason)\n"
    "  -h, --help       show this help\n";

int cmd_rollback(int argc, char **argv)
{
	bool wait = false;
	const struct cmd_option opts[] = {{"wait", 0, &wait, NULL}, {0}};
	struct cmd_parse p = {.cmd = "rollback",
	                      .usage = usage_text,
	                      .common = CMD_ROOT,
	                      .opts = opts,
	                      .args = "[version]"};
	struct err err;
	char *target = NULL;
	struct store st;
	struct run_watch w;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	rc = cmd_store_open("rollback", p.root, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (wait && (rc = run_wait_begin("rollback", &st, &w)) != EXIT_OK) {
		store_close(&st);
		return rc;
	}
	if (p.n_operands > 0) {
		rc = cmd_switch_to("rollback", &st, p.operands[0], "rollback");
	} else if (store_rollback_target(&st, &target, &err) < 0) {
		rc = cmd_error("rollback", &err);
	} else if (!target) {
		rc = cmd_fail("rollback", EXIT_NO,
		              "nothing to roll back to: no earlier release that is still installed "
		              "and not marked bad");
	} else {
		rc = cmd_switch_to("rollback", &st, target, "rollback");
	}
	if (wait && rc == EXIT_OK)
		rc =
		    run_wait_finish("rollback", &st, &w, p.n_operands > 0 ? p.operands[0] : target);
	free(target);
	store_close(&st);
	return rc;
}
