/* slipway activate VERSION: point `current` at an installed release. */
#include "cmd/cmd.h"
#include "cmd/support/run_wait.h"
#include "cmd/support/store_open.h"

#include <stdio.h>

static const char usage_text[] =
    "usage: slipway activate VERSION [--root DIR] [--wait]\n"
    "\n"
    "Points `current` at releases/VERSION atomically (temporary symlink, rename(2),\n"
    "fsync) and records the switch in the history. VERSION must be installed.\n"
    "\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "      --wait       wait for `slipway run` to bring the release up; exit 1 if its\n"
    "                   health check failed and it was rolled back (the last lines the\n"
    "                   failed service printed follow the reason)\n"
    "  -h, --help       show this help\n";

int cmd_activate(int argc, char **argv)
{
	bool wait = false;
	const struct cmd_option opts[] = {{"wait", 0, &wait, NULL}, {0}};
	struct cmd_parse p = {.cmd = "activate",
	                      .usage = usage_text,
	                      .common = CMD_ROOT,
	                      .opts = opts,
	                      .args = "version"};
	struct store st;
	struct run_watch w;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	rc = cmd_store_open("activate", p.root, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (wait && (rc = run_wait_begin("activate", &st, &w)) != EXIT_OK)
		goto out;
	rc = cmd_switch_to("activate", &st, p.operands[0], "activate");
	if (wait && rc == EXIT_OK)
		rc = run_wait_finish("activate", &st, &w, p.operands[0]);
out:
	store_close(&st);
	return rc;
}
