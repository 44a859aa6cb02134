/* slipway prune [--keep N]: remove old releases. */
#include "cmd/cmd.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/store/prune.h"

#include <errno.h>
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
	printf("%s %s\n", *(bool *)ctx ? "would remove" : "removed", version);
}

int cmd_prune(int argc, char **argv)
{
	const char *keep_opt = NULL;
	bool dry_run = false;
	const struct cmd_option opts[] = {
	    {"keep", 'k', NULL, &keep_opt}, {"dry-run", 'n', &dry_run, NULL}, {0}};
	struct cmd_parse p = {
	    .cmd = "prune", .usage = usage_text, .common = CMD_ROOT, .opts = opts};
	uint64_t keep = PRUNE_DEFAULT_KEEP;
	struct err err;
	size_t removed = 0;
	struct store st;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (keep_opt && cmd_count("prune", "--keep", keep_opt, 0, 100000, &keep) < 0)
		return EXIT_USAGE;
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
