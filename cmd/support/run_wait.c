#include "cmd/support/run_wait.h"
#include "cmd/support/cli.h"
#include "release/base/error.h"
#include "runtime/statefile.h"

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

/* After a failed --wait: what the failed services of `version` printed last (the state
 * file's failures), so the reason is on screen, not only in the supervisor's log. */
static void print_failure_output(const char *cmd, const char *root, const char *version)
{
	struct state_file sf;
	struct err err;

	if (statefile_read(root, &sf, &err) < 0)
		return;
	for (size_t k = 0; k < sf.n_failures; k++) {
		const struct state_failure *f = &sf.failures[k];

		if (strcmp(f->release, version) || !f->output.n)
			continue;
		fprintf(stderr, "slipway: %s: %s of %s printed last, before it failed (%s):\n", cmd,
		        f->service, f->release, f->at);
		for (unsigned i = 0; i < f->output.n; i++)
			fprintf(stderr, "  | %s\n", outtail_line(&f->output, i));
	}
	statefile_free(&sf);
}

int run_wait_finish(const char *cmd, struct store *st, const struct run_watch *w,
                    const char *version)
{
	char reason[512] = "", other[256] = "", *root = strdup(st->root);
	struct err err;
	int r, rc = EXIT_NO;

	store_close(st);
	if (!root)
		return cmd_fail(cmd, EXIT_FAIL, "out of memory");
	printf("waiting for slipway run (pid %d) to bring up %s\n", w->pid, version);
	fflush(stdout);
	r = run_watch_wait(root, w, version, reason, sizeof(reason), other, sizeof(other), &err);
	switch (r) {
	case RUN_OUTCOME_OK:
		printf("%s is live: every service is ready\n", version);
		rc = EXIT_OK;
		break;
	case RUN_OUTCOME_ROLLED_BACK:
		cmd_fail(cmd, EXIT_NO, "%s failed its health check and was rolled back: %s",
		         version, reason);
		print_failure_output(cmd, root, version);
		break;
	case RUN_OUTCOME_FAILED:
		cmd_fail(cmd, EXIT_NO,
		         "%s did not come up: %s; it served before, so it stays current and its "
		         "services keep restarting",
		         version, reason);
		print_failure_output(cmd, root, version);
		break;
	case RUN_OUTCOME_NOT_SERVING:
		cmd_fail(cmd, EXIT_NO, "%s is live, but not every service is ready: %s", version,
		         reason);
		print_failure_output(cmd, root, version);
		break;
	case RUN_OUTCOME_SUPERSEDED:
		cmd_fail(cmd, EXIT_NO, "%s was superseded by %s before it went live", version,
		         other);
		break;
	default:
		fail_prefix(&err, "--wait");
		rc = cmd_error(cmd, &err);
	}
	free(root);
	return rc;
}
