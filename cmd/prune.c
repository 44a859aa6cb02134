/* slipway prune [--keep N]: remove old releases. */
#include "cmd/cmd.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/store/prune.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage_text[] =
    "usage: slipway prune [--keep N] [--root DIR] [--dry-run]\n"
    "\n"
    "Removes the oldest releases beyond the N most recently installed (install order\n"
    "from the history, never file times). Never removes the current release, the\n"
    "rollback target, or the most recently activated release not marked bad.\n"
    "\n"
    "  -k, --keep N     releases to keep besides the protected ones (default 5)\n"
    "  -n, --dry-run    only print what would be removed\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "  -h, --help       show this help\n";

static void report(void *ctx, const char *version)
{
	printf("%s %s\n", *(int *)ctx ? "would remove" : "removed", version);
}

int cmd_prune(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"keep", required_argument, NULL, 'k'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct cmd_parse p = {.cmd = "prune",
	                      .usage = usage_text,
	                      .common = CMD_ROOT,
	                      .shortopts = "k:n",
	                      .opts = opts};
	struct err err;
	char *end;
	unsigned long keep = PRUNE_DEFAULT_KEEP;
	size_t removed = 0;
	struct store st;
	int c, rc, dry_run = 0;

	while ((c = cmd_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'k':
			errno = 0;
			keep = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || keep > 100000)
				return cmd_usage_error("prune", "--keep needs a number, not '%s'",
				                       optarg);
			break;
		case 'n':
			dry_run = 1;
			break;
		default:
			return p.exit;
		}
	}
	if (cmd_operands(&p, argc, argv, 0, 0, NULL) < 0)
		return p.exit;
	rc = cmd_store_open("prune", p.root, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (store_prune(&st, keep, dry_run, report, &dry_run, &removed, &err) < 0)
		rc = cmd_error("prune", &err);
	else if (removed == 0)
		printf("nothing to prune\n");
	store_close(&st);
	return rc;
}
