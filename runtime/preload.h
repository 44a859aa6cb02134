/* The Node preload slipway ships (runtime/preload.js, embedded in the binary) and the rule
 * that picks the services it is loaded into (specs/runtime.md, "Socket ownership").
 *
 * `slipway run` writes it to ROOT/run/node-preload.cjs at start and loads it into a service
 * with NODE_OPTIONS=--require; it makes the server's listen(PORT, HOST) adopt the socket
 * slipway owns. */
#ifndef SLIPWAY_RUNTIME_PRELOAD_H
#define SLIPWAY_RUNTIME_PRELOAD_H

#include <stddef.h>

#include "runtime/svcspec.h"

#define PRELOAD_NAME      "node-preload.cjs"
#define PRELOAD_SKEW_NAME "node-skew.cjs" /* runtime/preload_skew.js, required by the preload */
#define PRELOAD_PY_DIR    "python"        /* under ROOT/run: the directory put on PYTHONPATH */
#define PRELOAD_PY_NAME   "sitecustomize.py"
/* The fixed port a worker's framework binds, redirected to its SLIPWAY_HEALTH_PORT; a
 * service whose environment sets it to "off" is left alone. */
#define PRELOAD_HEALTH_ENV "SLIPWAY_HEALTH_REDIRECT"

/* Writes the preload to ROOT/run/PRELOAD_NAME and the Python startup hook
 * (runtime/sitecustomize.py) to ROOT/run/PRELOAD_PY_DIR/PRELOAD_PY_NAME (atomically, mode
 * 0644), the preload's absolute path into path, and remembers both places for
 * preload_health_env. ROOT/run must exist. */
int preload_install(const char *root, char *path, size_t cap, struct err *err);

/* Whether the service runs a stock Next.js server in its own process:
 *  - the standalone server: argv[0] is `node` or `nodejs` (any directory), and its first
 *    argument that is not an option names a file (relative to the service's cwd) that starts
 *    the server through next/dist/server/lib/start-server, as the server.js of
 *    `output: 'standalone'` does;
 *  - `next start`: argv[0] is `next` (any directory, e.g. node_modules/.bin/next), or `node`
 *    whose script is named `next` (node_modules/next/dist/bin/next), and the next argument
 *    that is not an option is `start`.
 * Wrappers (`npm start`, `npx next start`) run the server in another process, which the
 * preload does not reach: not recognised (`slipway pack` packs them as `node .../next start`).
 * The name is kept from when it recognised the standalone server alone. */
int preload_is_next_standalone(const struct svc_spec *spec);

/* For a worker with a health port (s->health_base), unless its environment sets
 * PRELOAD_HEALTH_ENV=off: PRELOAD_HEALTH_ENV=<health_base>, the Node preload first in
 * NODE_OPTIONS and the Python hook's directory first on PYTHONPATH (each only if
 * preload_install wrote it, and only once: a restart calls this again). Both redirect a
 * bind of exactly that port to SLIPWAY_HEALTH_PORT (specs/runtime.md, "Health ports").
 * Fails only when out of memory. */
int preload_health_env(struct svc_spec *s, struct err *err);

/* Whether argv[0] is `node` or `nodejs`. */
int preload_is_node(const struct svc_spec *spec);

/* "NODE_OPTIONS=--require \"PATH\"" followed by the service's own NODE_OPTIONS (may be
 * NULL), quoted as Node parses that variable. Heap string owned by the caller, NULL when out
 * of memory. */
char *preload_node_options(const char *path, const char *existing);

#endif
