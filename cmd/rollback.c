/* slipway rollback [VERSION]: back to the previously active release (from the history). */
#include "cmd/cmd.h"
#include "cmd/run_wait.h"
#include "cmd/store_cmd.h"
#include "release/base/error.h"

#include <getopt.h>
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
    "                   health check failed and it was rolled back\n"
    "  -h, --help       show this help\n";

int cmd_rollback(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"wait", no_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *root_opt = NULL;
	struct err err;
	char *target = NULL;
	struct store st;
	struct run_watch w;
	int c, rc, wait = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root_opt = optarg;
			break;
		case 'w':
			wait = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error("rollback", "invalid option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cmd_usage_error("rollback", "at most one version expected");
	rc = store_cmd_open("rollback", root_opt, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (wait && (rc = run_wait_begin("rollback", &st, &w)) != EXIT_OK) {
		store_close(&st);
		return rc;
	}
	if (optind < argc) {
		rc = switch_to("rollback", &st, argv[optind], "rollback");
	} else if (store_rollback_target(&st, &target, &err) < 0) {
		rc = cmd_error("rollback", &err);
	} else if (!target) {
		rc = cmd_fail("rollback", EXIT_NO,
		              "nothing to roll back to: no earlier release that is still installed "
		              "and not marked bad");
	} else {
		rc = switch_to("rollback", &st, target, "rollback");
	}
	if (wait && rc == EXIT_OK)
		rc = run_wait_finish("rollback", &st, &w, optind < argc ? argv[optind] : target);
	free(target);
	store_close(&st);
	return rc;
}
