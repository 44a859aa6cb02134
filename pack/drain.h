/* The default stop_timeout of a detected LiveKit worker: the drain timeout of the framework
 * it runs, read from the installed framework's source for the version packed, plus a margin
 * (specs/config.md, "Defaults"). A LiveKit worker drains live calls on its one SIGTERM for
 * up to that timeout; a stop_timeout below it would SIGKILL calls the framework still waits
 * for.
 *
 *   Node    @livekit/agents in agent/node_modules, else node_modules (Node's lookup from
 *           agent/): `drainTimeout = <default>` in dist/worker.cjs, dist/worker.js or
 *           src/worker.ts, a constant it names resolved in the same file; milliseconds.
 *   Python  livekit/agents in the vendored dependencies (pack: the copy it vendors; before
 *           that, --print-config: agent/.deps, or a virtualenv's site-packages in agent/.venv,
 *           agent/venv, .venv, venv): `drain_timeout[: type] = <default>` in worker.py;
 *           seconds.
 * A default is a product of number literals (`60 * 60 * 1000`, `1e3`, `1_800`). The version
 * is package.json's "version" / version.py's __version__. Not found or not readable: the
 * stop_timeout stays SERVICE_WORKER_STOP_TIMEOUT_MS and the reason says why. */
#ifndef SLIPWAY_PACK_DRAIN_H
#define SLIPWAY_PACK_DRAIN_H

#include "pack/config.h"
#include "pack/detect.h"

#include <stdint.h>

/* Beyond the drain: the frameworks then give job processes 60 s to close, and exit. */
#define DRAIN_MARGIN_MS 120000u

struct drain_found {
	uint64_t drain_ms; /* the framework's default drain timeout */
	char version[64];  /* the framework's version, "?" when unreadable */
	char file[512];    /* the file it was read from, relative to the directory searched */
};

/* Reads the Node framework's package directory `pkg` (relative to dfd). 1 found, 0 not. */
int drain_read_node(int dfd, const char *pkg, struct drain_found *out);

/* Reads the Python framework's package directory `pkg` (.../livekit/agents, relative to
 * dfd). 1 found, 0 not. */
int drain_read_python(int dfd, const char *pkg, struct drain_found *out);

/* For the detected LiveKit worker of cfg (the service AGENT_DIR names, detected, shape says
 * livekit), unless slipway.ini sets its stop_timeout: sets stop_timeout_ms to the framework's
 * drain timeout plus DRAIN_MARGIN_MS (or SERVICE_WORKER_STOP_TIMEOUT_MS when not found) and
 * appends to its `detected` text where the number came from (replacing what an earlier call
 * appended). vendored: the directory pack vendored the Python dependencies into, or NULL.
 * Fails only when out of memory. */
int drain_default(int project_fd, struct pack_config *cfg, const struct project_shape *shape,
                  const char *vendored, struct err *err);

#endif
