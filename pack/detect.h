/* Detected defaults for what slipway.ini leaves out (rules: specs/config.md, "Defaults").
 *
 * Detection looks at the project's shape, not at build output, so `--print-config` can
 * show the result before anything is built:
 *   app      "name" in package.json (an npm scope "@x/" is dropped), else the project
 *            directory's name; either made valid when it breaks the manifest's rule
 *   build    "<pm> run build" when package.json has scripts.build, else none; <pm> is the
 *            project's package manager: the nearest lockfile at or above the project
 *            (pnpm-lock.yaml: pnpm, yarn.lock: yarn, bun.lock(b): bun), else package.json's
 *            "packageManager", else npm; run through corepack when only corepack is on PATH
 *   include  a Next.js project (package.json depends on "next", or .next/standalone
 *            exists), by its shape (pack/nextjs.h): .next/standalone .next/static [public],
 *            or for `next start` .next node_modules package.json next.config.* [public];
 *            [agent]; root files start*.sh
 *   secrets  a LiveKit worker adds LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET to the
 *            required ones (unless [secrets] lists them)
 *   services web for a Next.js project; agent for a LiveKit agent in agent/: Python
 *            (agent/main.py or agent/agent.py) or Node (agent/package.json depends on
 *            @livekit/agents). A [service NAME] section of the same name changes them key
 *            by key; then config_finish fills the defaults. A LiveKit worker (Node, or
 *            Python whose requirements or main file mention livekit) is ready on
 *            `registered worker` and gets health ports from 8081. */
#ifndef SLIPWAY_PACK_DETECT_H
#define SLIPWAY_PACK_DETECT_H

#include "pack/config.h"
#include "pack/nextjs.h"

#include <stdbool.h>

/* Where vendored Python dependencies go inside the release (see pack/pyvendor.h). */
#define AGENT_DIR          "agent"
#define AGENT_DEPS_DIR     "agent/.deps"
#define AGENT_REQUIREMENTS "agent/requirements.txt"

enum agent_kind { AGENT_NONE, AGENT_PYTHON, AGENT_NODE };

struct project_shape {
	bool has_package_json;
	bool nextjs;             /* depends on next, or has .next/standalone */
	char next_config[24];    /* the next.config.{js,mjs,ts} Next reads, or "" when none */
	enum next_shape next;    /* how a Next.js app is packed (pack/nextjs.h) */
	char server_dir[1024];   /* NEXT_STANDALONE_SHAPE: where server.js is expected */
	bool has_agent;          /* agent/ is a directory */
	bool has_requirements;   /* agent/requirements.txt exists */
	enum agent_kind agent;   /* the agent service detected, if any */
	char agent_command[256]; /* its command (run in the release root for Python, in
	                          * agent/ for Node) */
	char agent_why[160];     /* what it was detected from, for --print-config */
	bool livekit; /* a LiveKit Agents worker: Node, or Python that mentions livekit */
};

/* The port a LiveKit worker's health server uses by default; a detected worker's health
 * ports (SLIPWAY_HEALTH_PORT) start there. */
#define LIVEKIT_HEALTH_PORT 8081

/* Gives a LiveKit Agents worker (Python or Node) its defaults: ready when it logs
 * `registered worker` (connected to LiveKit, taking jobs), and a health port per generation
 * from LIVEKIT_HEALTH_PORT up (specs/runtime.md, "Health ports"). -1 when out of memory. */
int detect_livekit_worker(struct pack_service *s);

/* Inspects the project (a directory fd; project_dir names the same directory, for the
 * derived app name) and fills every unset field of cfg, then calls config_finish. Fails
 * when no app name can be made, and on config_finish's errors. */
int detect_defaults(int project_fd, const char *project_dir, struct pack_config *cfg,
                    struct project_shape *shape, struct err *err);

/* At a workspace root (package.json "workspaces", or pnpm-workspace.yaml): the members
 * that are apps slipway would run (they depend on next, or have a LiveKit agent in agent/),
 * relative paths, sorted, into apps. Nothing when the project is no workspace root. */
int detect_workspace_apps(int project_fd, struct strlist *apps, struct err *err);

#endif
