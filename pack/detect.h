/* Detected defaults for what slipway.ini leaves out (rules: specs/config.md, "Defaults").
 *
 * Detection looks at the project's shape, not at build output, so `--print-config` can
 * show the result before anything is built:
 *   app      "name" in package.json (an npm scope "@x/" is dropped)
 *   build    "npm run build" when package.json has scripts.build, else none
 *   include  .next/standalone .next/static [public] for a Next.js project (package.json
 *            depends on "next", or .next/standalone exists); [agent]; root files start*.sh
 *   services only when the file has no [service NAME]: web for a Next.js project, agent
 *            when agent/main.py or agent/agent.py exists; a LiveKit Agents worker (its
 *            requirements or main file mention livekit) gets detect_livekit_worker's
 *            readiness and health port. */
#ifndef SLIPWAY_PACK_DETECT_H
#define SLIPWAY_PACK_DETECT_H

#include "release/base/error.h"
#include "pack/config.h"

#include <stdbool.h>

/* Where vendored Python dependencies go inside the release (see pack/pyvendor.h). */
#define AGENT_DIR          "agent"
#define AGENT_DEPS_DIR     "agent/.deps"
#define AGENT_REQUIREMENTS "agent/requirements.txt"

struct project_shape {
	bool has_package_json;
	bool nextjs;           /* depends on next, or has .next/standalone */
	bool has_agent;        /* agent/ is a directory */
	bool has_requirements; /* agent/requirements.txt exists */
	char agent_main[32];   /* "main.py" or "agent.py", or "" */
	bool livekit;          /* the agent is a LiveKit Agents worker */
};

/* The port a LiveKit worker's health server uses by default; a detected worker's health
 * ports (SLIPWAY_HEALTH_PORT) start there. */
#define LIVEKIT_HEALTH_PORT 8081

/* Gives a LiveKit Agents worker (Python or Node) its defaults: ready when it logs
 * `registered worker` (connected to LiveKit, taking jobs), and a health port per generation
 * from LIVEKIT_HEALTH_PORT up (specs/runtime.md, "Health ports"). */
int detect_livekit_worker(struct pack_service *s, struct err *err);

/* Inspects the project (a directory fd) and fills every unset field of cfg.
 * Fails when no app name can be found. */
int detect_defaults(int project_fd, struct pack_config *cfg, struct project_shape *shape,
                    struct err *err);

#endif
