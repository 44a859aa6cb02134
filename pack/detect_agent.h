/* Detecting a LiveKit agent in agent/ (Python or Node) and what it needs (pack/detect.h:
 * the rules; specs/config.md "Defaults"). Each returns 0, or -1 with err set. */
#ifndef SLIPWAY_PACK_DETECT_AGENT_H
#define SLIPWAY_PACK_DETECT_AGENT_H

#include "pack/config.h"
#include "pack/detect.h"
#include "release/base/error.h"

#define LIVEKIT_AGENTS "@livekit/agents"

/* Which agent agent/ holds, its command and why, into shape. */
int detect_agent(int dfd, struct pack_config *cfg, struct project_shape *shape, struct err *err);

/* A Node agent whose "engines" asks for a newer node than the one here: a note on stderr. */
int note_agent_engines(int dfd, struct pack_config *cfg, struct err *err);

/* A Node agent's dev dependencies are left out of the release. */
int exclude_agent_dev_deps(int dfd, struct pack_config *cfg, struct err *err);

/* A detected LiveKit worker requires LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET. */
int add_livekit_secrets(struct pack_config *cfg, struct err *err);

/* A Node agent without @livekit/agents installed in agent/node_modules fails the pack. */
int check_node_agent_deps(int dfd, struct pack_config *cfg, struct err *err);

#endif
