/* slipway prune [--keep N]: remove old releases. */
#include "cmd/cmd.h"
#include "cmd/store_cmd.h"
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
	    {"root", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *root_opt = NULL;
	struct err err;
	char *end;
	unsigned long keep = PRUNE_DEFAULT_KEEP;
	size_t removed = 0;
	struct store st;
	int c, rc, dry_run = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:nr:h", opts, NULL)) != -1) {
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
		case 'r':
			root_opt = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error("prune", "invalid option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error("prune", "unexpected argument '%s'", argv[optind]);
	rc = store_cmd_open("prune", root_opt, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (store_prune(&st, keep, dry_run, report, &dry_run, &removed, &err) < 0)
		rc = cmd_error("prune", &err);
	else if (removed == 0)
		printf("nothing to prune\n");
	store_close(&st);
	return rc;
}
