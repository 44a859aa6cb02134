/* `slipway run`: the foreground supervisor of the services of `current`
 * (specs/runtime.md). One poll loop over a signalfd, an inotify watch on the store root,
 * the services' output pipes and readiness probes.
 *
 * It starts every service of the current release, restarts crashed ones with backoff,
 * follows `current` when it changes (inotify on ROOT, or SIGHUP), gates a switch on the new
 * release's readiness and flips back on failure, and on SIGTERM/SIGINT sends each service
 * group exactly one SIGTERM, waits its stop_timeout, then SIGKILLs it. */
#ifndef SLIPWAY_RUNTIME_SUPERVISOR_H
#define SLIPWAY_RUNTIME_SUPERVISOR_H

#include "release/base/error.h"
#include <stdint.h>
#include <stdio.h>

#include "runtime/backoff.h"
#include "runtime/periodic.h"

struct supervisor_config {
	const char *root; /* absolute store root */
	FILE *out;        /* log lines go here, one fflush per line */
	int color;        /* colour the prefixes (only when out is a terminal) */
	struct backoff_policy backoff;
	uint64_t settle_ms;         /* "ready none": up after running this long */
	uint64_t probe_interval_ms; /* between readiness attempts */
	uint64_t warm_ms;           /* a demoted web is kept this long for a rollback; 0: never */
	uint64_t probation_ms;      /* a new release is on probation this long; 0: never */
	uint64_t stable_ms;         /* --wait's answer waits this long of probation */
	char warnings[1024];        /* about ignored or clamped settings, logged at start */
	const struct periodic_spec *follow; /* run --follow: the job on a timer, or NULL */
};

#define SUP_SETTLE_LIMIT_MS 3600000u  /* the largest SLIPWAY_READY_NONE_MS */
#define SUP_WARM_LIMIT_MS   86400000u /* the largest SLIPWAY_WARM_MS, SLIPWAY_PROBATION_MS */
#define SUP_STABLE_LIMIT_MS 3600000u  /* the largest SLIPWAY_STABLE_MS */

/* Fills the defaults: backoff from the environment, SLIPWAY_READY_NONE_MS (default 1000,
 * 0..SUP_SETTLE_LIMIT_MS), SLIPWAY_PROBE_INTERVAL_MS (default 50, 10..60000) and
 * SLIPWAY_WARM_MS (default 600000, 10 minutes; 0..SUP_WARM_LIMIT_MS), SLIPWAY_PROBATION_MS
 * (default 600000; 0..SUP_WARM_LIMIT_MS) and SLIPWAY_STABLE_MS (default 10000;
 * 0..SUP_STABLE_LIMIT_MS); values outside are
 * clamped or ignored with a line in cfg->warnings (runtime/envnum.h). */
void supervisor_config_defaults(struct supervisor_config *cfg);

/* Runs until a stop signal has been handled and no service process is left. Returns 0, or
 * -1 with err: kind ERR_REFUSED when the current release cannot run (missing secrets, env
 * file mode, no service), ERR_SYSTEM on a system error. */
int supervisor_run(const struct supervisor_config *cfg, struct err *err);

#endif
