/* slipway run: the foreground supervisor (specs/runtime.md, specs/cli.md "run"). */
#include "cmd/cmd.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/base/json_get.h"
#include "release/store/store.h"
#include "runtime/supervisor.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FOLLOW_EVERY_DEFAULT 60
#define FOLLOW_EVERY_MIN     2
#define FOLLOW_EVERY_MAX     86400
#define FOLLOW_DEADLINE_MS   600000u /* a pull still going after 10 minutes is stopped */
#define PULL_PREFIX          "slipway: pull: "

static const char usage_text[] =
    "usage: slipway run [--root DIR] [--follow URL [--every SECONDS]]\n\n"
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
    "With --follow URL, run also does what `slipway pull URL` does, on a timer: a child\n"
    "`slipway pull URL --root DIR --json` every SECONDS (one at a time, stopped after 10\n"
    "minutes), so a release published there is installed, activated and switched to\n"
    "through the readiness gate like a deploy. A failed pull leaves the services as they\n"
    "are. Each distinct result is logged once (\"follow: ...\"); `slipway status` shows\n"
    "the last check. With no `current` yet, run pulls once before it starts.\n\n"
    "options:\n"
    "  -r, --root DIR       the store (default: $SLIPWAY_ROOT)\n"
    "      --follow URL     follow the channel at URL (as `slipway pull URL`)\n"
    "      --every SECONDS  between the starts of two checks (default 60, 2 to 86400)\n"
    "  -h, --help           show this help\n\n"
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

/* What a follow check's `slipway pull --json` said: its JSON line on success, its one error
 * line (without the prefix) on failure. */
static int follow_judge(const char *last, int ws, char *out, size_t cap)
{
	json_object *o;

	if (WIFSIGNALED(ws)) {
		snprintf(out, cap, "pull killed by signal %d", WTERMSIG(ws));
		return 0;
	}
	if (WEXITSTATUS(ws)) {
		if (!strncmp(last, PULL_PREFIX, strlen(PULL_PREFIX)))
			last += strlen(PULL_PREFIX);
		snprintf(out, cap, "pull failed (exit %d): %s", WEXITSTATUS(ws),
		         *last ? last : "no message");
		return 0;
	}
	o = json_tokener_parse(last);
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(out, cap, "pull succeeded");
	} else {
		uint64_t serial = 0, bytes = 0;

		json_get_u64(o, "index_serial", &serial);
		json_get_u64(o, "downloaded", &bytes);
		if (json_get_bool(o, "up_to_date"))
			snprintf(out, cap, "up to date: %s %s (index serial %llu)",
			         json_get_str(o, "app"), json_get_str(o, "version"),
			         (unsigned long long)serial);
		else
			snprintf(out, cap,
			         "installed and activated %s %s (index serial %llu, %llu "
			         "bytes downloaded)",
			         json_get_str(o, "app"), json_get_str(o, "version"),
			         (unsigned long long)serial, (unsigned long long)bytes);
	}
	json_object_put(o);
	return 1;
}

/* No `current` yet: one pull in this process first, so a fresh store can follow a channel. */
static int first_pull(const char *url, const char *root)
{
	char *argv[] = {"pull", (char *)url, "--root", (char *)root, NULL};
	struct store st;
	struct err err;
	char *v = NULL;
	int rc;

	if (cmd_store_open("run", root, false, &st) != EXIT_OK)
		return EXIT_FAIL;
	rc = store_current_version(&st, &v, &err);
	store_close(&st);
	if (rc < 0)
		return cmd_error("run", &err);
	if (v) {
		free(v);
		return EXIT_OK;
	}
	printf("no release is current yet: pulling %s first\n", url);
	fflush(stdout);
	return cmd_pull(4, argv);
}

int cmd_run(int argc, char **argv)
{
	const char *follow = NULL, *every = NULL;
	const struct cmd_option opts[] = {
	    {"follow", 0, NULL, &follow},
	    {"every", 0, NULL, &every},
	    {0},
	};
	struct cmd_parse p = {.cmd = "run", .usage = usage_text, .common = CMD_ROOT, .opts = opts};
	struct supervisor_config cfg;
	struct periodic_spec job;
	char *job_argv[8];
	const char *root;
	struct store st;
	struct err err;
	char abs_root[PATH_MAX];
	uint64_t every_s = FOLLOW_EVERY_DEFAULT;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (every && !follow)
		return cmd_usage_error("run", "--every needs --follow");
	if (every &&
	    cmd_count("run", "--every", every, FOLLOW_EVERY_MIN, FOLLOW_EVERY_MAX, &every_s) < 0)
		return EXIT_USAGE;
	if (follow && (rc = cmd_pull_url_check("run", follow)) != EXIT_OK)
		return rc;
	rc = cmd_store_open("run", p.root, false, &st);
	if (rc != EXIT_OK)
		return rc;
	root = realpath(st.root, abs_root);
	store_close(&st);
	if (!root)
		return cmd_fail("run", EXIT_FAIL, "cannot resolve the store path: %s",
		                strerror(errno));
	if (follow && (rc = first_pull(follow, abs_root)) != EXIT_OK)
		return rc;

	memset(&cfg, 0, sizeof(cfg));
	supervisor_config_defaults(&cfg);
	cfg.root = abs_root;
	cfg.out = stdout;
	cfg.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (follow) {
		job_argv[0] = "/proc/self/exe";
		job_argv[1] = "pull";
		job_argv[2] = (char *)follow;
		job_argv[3] = "--root";
		job_argv[4] = abs_root;
		job_argv[5] = "--json";
		job_argv[6] = NULL;
		job = (struct periodic_spec){.argv = job_argv,
		                             .name = "follow",
		                             .source = follow,
		                             .every_ms = every_s * 1000,
		                             .deadline_ms = FOLLOW_DEADLINE_MS,
		                             .judge = follow_judge};
		cfg.follow = &job;
	}
	if (supervisor_run(&cfg, &err) < 0)
		return cmd_error("run", &err);
	return EXIT_OK;
}
