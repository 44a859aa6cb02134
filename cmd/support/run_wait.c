#include "cmd/support/run_wait.h"
#include "cmd/support/cli.h"
#include "release/base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int run_wait_begin(const char *cmd, struct store *st, struct run_watch *w)
{
	struct err err;

	if (run_watch_begin(st->root, w, &err) < 0) {
		fail_prefix(&err, "--wait");
		return cmd_error(cmd, &err);
	}
	return EXIT_OK;
}

int run_wait_finish(const char *cmd, struct store *st, const struct run_watch *w,
                    const char *version)
{
	char reason[512] = "", other[256] = "", *root = strdup(st->root);
	struct err err;
	int r;

	store_close(st);
	if (!root)
		return cmd_fail(cmd, EXIT_FAIL, "out of memory");
	printf("waiting for slipway run (pid %d) to bring up %s\n", w->pid, version);
	fflush(stdout);
	r = run_watch_wait(root, w, version, reason, sizeof(reason), other, sizeof(other), &err);
	free(root);
	switch (r) {
	case RUN_OUTCOME_OK:
		printf("%s is live: every service is ready\n", version);
		return EXIT_OK;
	case RUN_OUTCOME_ROLLED_BACK:
		return cmd_fail(cmd, EXIT_NO, "%s failed its health check and was rolled back: %s",
		                version, reason);
	case RUN_OUTCOME_FAILED:
		return cmd_fail(cmd, EXIT_NO,
		                "%s did not come up: %s; it served before, so it stays current and "
		                "its services keep restarting",
		                version, reason);
	case RUN_OUTCOME_NOT_SERVING:
		return cmd_fail(cmd, EXIT_NO, "%s is live, but not every service is ready: %s",
		                version, reason);
	case RUN_OUTCOME_SUPERSEDED:
		return cmd_fail(cmd, EXIT_NO, "%s was superseded by %s before it went live",
		                version, other);
	default:
		fail_prefix(&err, "--wait");
		return cmd_error(cmd, &err);
	}
}
