/* slipway run: the foreground supervisor (specs/runtime.md, specs/cli.md "run"). */
#include "cmd/cmd.h"
#include "release/error.h"
#include "runtime/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: slipway run [--root DIR]\n\n"
	    "Launch and supervise the services of the release `current` points at, in the\n"
	    "foreground, until SIGTERM or SIGINT. Each service runs in its own process group;\n"
	    "its output is printed line by line behind its name. Crashed services restart\n"
	    "with backoff. When `current` changes (activate, rollback, deploy) the services\n"
	    "move to the new release; if its services do not become ready, `current` is\n"
	    "flipped back and the release is marked bad. SIGHUP re-reads `current`.\n\n"
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
	    "  NO_COLOR                  never colour the log prefixes\n\n"
	    "Exit: 0 stopped by a signal, 1 the release cannot run (missing secrets, env file\n"
	    "owner or mode), 2 usage, 3 system error (store unreadable, already supervised).\n");
}

/* Interim undo of a failed switch until the store's activate is available: the same atomic
 * symlink swap (temporary link in ROOT, rename over `current`, fsync ROOT). */
static int flip_current(const char *root, const char *version, char *err)
{
	char tmp[64], target[PATH_MAX];
	int dfd, rc = -1;

	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(err, "cannot open %s: %s", root, strerror(errno));
	snprintf(tmp, sizeof(tmp), ".current.run.%ld", (long)getpid());
	snprintf(target, sizeof(target), "releases/%s", version);
	unlinkat(dfd, tmp, 0);
	if (symlinkat(target, dfd, tmp) < 0) {
		fail(err, "cannot create %s/%s: %s", root, tmp, strerror(errno));
		goto out;
	}
	if (renameat(dfd, tmp, dfd, "current") < 0) {
		fail(err, "cannot replace %s/current: %s", root, strerror(errno));
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	fsync(dfd);
	rc = 0;
out:
	close(dfd);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct supervisor_config cfg;
	const char *root_opt = NULL, *root;
	char abs_root[PATH_MAX], err[ERR_MAX];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root_opt = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error("run", "unknown or incomplete option '%s'",
			                       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_usage_error("run", "unexpected argument '%s'", argv[optind]);
	root = cmd_store_root("run", root_opt);
	if (!root)
		return EXIT_USAGE;
	if (!realpath(root, abs_root))
		return cmd_fail("run", EXIT_FAIL, "cannot open store %s: %s", root,
		                strerror(errno));

	memset(&cfg, 0, sizeof(cfg));
	supervisor_config_defaults(&cfg);
	cfg.root = abs_root;
	cfg.out = stdout;
	cfg.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	cfg.flip_back = flip_current;
	cfg.mark_bad = NULL;
	rc = supervisor_run(&cfg, err);
	if (rc == SUP_REFUSED)
		return cmd_fail("run", EXIT_NO, "%s", err);
	if (rc < 0)
		return cmd_fail("run", EXIT_FAIL, "%s", err);
	return EXIT_OK;
}
