/* Detecting how a Next.js app is packed and run (pack/detect.h: the rules; pack/nextjs.h:
 * the shapes). Each returns 0, or -1 with err set. */
#ifndef SLIPWAY_PACK_DETECT_NEXT_H
#define SLIPWAY_PACK_DETECT_NEXT_H

#include "pack/config.h"
#include "pack/detect.h"
#include "release/base/error.h"

/* The app's shape (standalone or `next start`) and the checks that need no build. */
int detect_next_shape(int dfd, const char *project_dir, struct pack_config *cfg,
                      struct project_shape *shape, struct err *err);

/* A TypeScript app whose tsconfig.json reaches into agent/ fails the pack (next build would
 * type-check the agent). */
int check_tsconfig_agent(int dfd, struct pack_config *cfg, struct err *err);

/* A service that runs `next start` through a wrapper is packed as Next's CLI run by node. */
int direct_next_start(int dfd, struct pack_config *cfg, struct err *err);

#endif
