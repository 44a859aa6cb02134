/* slipway activate VERSION: point `current` at an installed release. */
#include "cmd/cmd.h"
#include "cmd/run_wait.h"
#include "cmd/store_cmd.h"

#include <getopt.h>
#include <stdio.h>

static const char usage_text[] =
    "usage: slipway activate VERSION [--root DIR] [--wait]\n"
    "\n"
    "Points `current` at releases/VERSION atomically (temporary symlink, rename(2),\n"
    "fsync) and records the switch in the history. VERSION must be installed.\n"
    "\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "      --wait       wait for `slipway run` to bring the release up; exit 1 if its\n"
    "                   health check failed and it was rolled back\n"
    "  -h, --help       show this help\n";

int cmd_activate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"wait", no_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *root_opt = NULL;
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
			return cmd_usage_error("activate", "invalid option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("activate", optind == argc ? "no version given"
		                                                  : "exactly one version expected");
	rc = store_cmd_open("activate", root_opt, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (wait && (rc = run_wait_begin("activate", &st, &w)) != EXIT_OK)
		goto out;
	rc = switch_to("activate", &st, argv[optind], "activate");
	if (wait && rc == EXIT_OK)
		rc = run_wait_finish("activate", &st, &w, argv[optind]);
out:
	store_close(&st);
	return rc;
}
