/* slipway run: the foreground supervisor (specs/runtime.md, specs/cli.md "run"). */
#include "cmd/cmd.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/store/store.h"
#include "runtime/supervisor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: slipway run [--root DIR]\n\n"
    "Launch and supervise the services of the release `current` points at, in the\n"
    "foreground, until SIGTERM or SIGINT. Each service runs in its own process group;\n"
    "its output is printed line by line behind its name. Crashed services restart\n"
    "with backoff. When `current` changes (activate, rollback, deploy) the services\n"
    "move to the new release (a worker's predecessor is stopped only once the new\n"
    "one is ready); if its services do not become ready, `current` is flipped back\n"
    "and the release is marked bad. Each instance gets one SIGTERM, ever. A worker\n"
    "with a health_port gets its own SLIPWAY_HEALTH_PORT per generation, and a Node\n"
    "or Python worker's bind of that fixed health_port is moved there (no code\n"
    "change; SLIPWAY_HEALTH_REDIRECT=off in its env turns it off). SIGHUP re-reads\n"
    "`current`.\n\n"
    "options:\n"
    "  --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "  -h, --help   show this help\n\n"
    "environment:\n"
    "  NOTIFY_SOCKET             systemd notification socket (Type=notify)\n"
    "  SLIPWAY_BACKOFF_MIN_MS    first restart delay (1000), doubling up to\n"
    "  SLIPWAY_BACKOFF_MAX_MS    the cap (60000); a run this long resets it:\n"
    "  SLIPWAY_BACKOFF_RESET_MS  (60000)\n"
    "  SLIPWAY_READY_NONE_MS     a `ready none` service is up after running this long "
    "(1000)\n"
    "  SLIPWAY_PROBE_INTERVAL_MS between readiness probes (50)\n"
    "  SLIPWAY_WARM_MS           how long the web of the release before stays warm for\n"
    "                            an instant rollback (600000; 0: never)\n"
    "  SLIPWAY_PROBATION_MS      a new release that crash-loops (3 exits in 60 s) this\n"
    "                            long after its switch goes back to the warm previous\n"
    "                            release (600000; 0: never)\n"
    "  SLIPWAY_STABLE_MS         how much of it a deploy that waits sees before\n"
    "                            answering (10000)\n"
    "                            (all in milliseconds; garbage is ignored, out of\n"
    "                            range clamped, with a warning)\n"
    "  NO_COLOR                  never colour the log prefixes\n\n"
    "Exit: 0 stopped by a signal, 1 the release cannot run (missing secrets, env file\n"
    "owner or mode), 2 usage, 3 system error (store unreadable, already supervised).\n";

int cmd_run(int argc, char **argv)
{
	struct cmd_parse p = {.cmd = "run", .usage = usage_text, .common = CMD_ROOT};
	struct supervisor_config cfg;
	const char *root;
	struct store st;
	struct err err;
	char abs_root[PATH_MAX];
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	rc = cmd_store_open("run", p.root, false, &st);
	if (rc != EXIT_OK)
		return rc;
	root = realpath(st.root, abs_root);
	store_close(&st);
	if (!root)
		return cmd_fail("run", EXIT_FAIL, "cannot resolve the store path: %s",
		                strerror(errno));

	memset(&cfg, 0, sizeof(cfg));
	supervisor_config_defaults(&cfg);
	cfg.root = abs_root;
	cfg.out = stdout;
	cfg.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (supervisor_run(&cfg, &err) < 0)
		return cmd_error("run", &err);
	return EXIT_OK;
}
