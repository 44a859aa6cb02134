/* A Next.js build's layout, as slipway packs it: the one place that knows it (the store and
 * the runtime read what the manifest declares, specs/manifest.md "Writable and static
 * directories"; rules: specs/config.md "Next.js").
 *
 * Two shapes:
 *   standalone  `output: 'standalone'`: .next/standalone/<P>/server.js, where P is the
 *               project's path from Next's tracing root (the topmost directory above it
 *               holding a lockfile: a monorepo's root; "" for a single project). The
 *               release carries .next/standalone with .next/static and public placed next
 *               to that server.js, and runs `node server.js` there.
 *   start       without standalone output, what `next start` needs: .next (never its
 *               cache), node_modules, package.json, next.config.*, public; the server is
 *               `node node_modules/next/dist/bin/next start` in the release root. */
#ifndef SLIPWAY_PACK_NEXTJS_H
#define SLIPWAY_PACK_NEXTJS_H

#include "pack/collect.h"
#include "pack/strlist.h"
#include "release/base/error.h"

#include <stdbool.h>
#include <stddef.h>

#define NEXT_STANDALONE ".next/standalone"
#define NEXT_BUILD      ".next"
#define NEXT_STATIC     ".next/static"
#define NEXT_PUBLIC     "public"
#define NEXT_CLI        "node_modules/next/dist/bin/next"
#define NEXT_SERVER     "server.js"

/* Next's skew protection (specs/runtime.md "Skew protection"): a build with this variable set
 * makes `deploymentId` that value; the client then tags its asset URLs `?dpl=<id>` and its
 * RSC and Server Action fetches `x-deployment-id: <id>`. pack sets it to the release version
 * for every build, so each release's pages name their release. */
#define NEXT_DEPLOYMENT_ID_ENV "NEXT_DEPLOYMENT_ID"

enum next_shape { NEXT_NONE, NEXT_STANDALONE_SHAPE, NEXT_START_SHAPE };

/* The next.config.{js,mjs,ts} Next reads (its own order), into out; "" when none. */
void nextjs_config_file(int project_fd, char *out, size_t cap);

/* Whether the project is packed in the standalone shape: it has no next.config (then only
 * its build script can make any output), its next.config mentions `standalone` (the build
 * is not run to find out), or a .next/standalone is already there. */
bool nextjs_wants_standalone(int project_fd, const char *config_file);

/* The directory the standalone server.js will be in, relative to the project:
 * NEXT_STANDALONE, or NEXT_STANDALONE/P in a workspace (see above). project_dir is an
 * absolute path. Fails when the path does not fit `cap`. */
int nextjs_predict_server_dir(const char *project_dir, char *out, size_t cap, struct err *err);

/* After the build: the directories below NEXT_STANDALONE holding a server.js (node_modules
 * not searched, at most 8 levels), relative to the project, sorted, into found. */
int nextjs_find_servers(int project_fd, struct strlist *found, struct err *err);

/* Where an include path lands in the release: .next/static and public (and paths below
 * them) next to the standalone server in server_dir; everything else where it is.
 * server_dir NULL: where it is. Heap string, NULL when out of memory. */
char *nextjs_dest(const char *server_dir, const char *inc);

/* The release's writable and static directories (the manifest's writable_dirs, static_dirs)
 * for a build whose .next is at `build_dir` in the release: build_dir/cache when build_dir
 * holds BUILD_ID, build_dir/static when the tree has it as a directory. -1 when out of
 * memory. */
int nextjs_release_dirs(const struct pack_tree *tree, const char *build_dir,
                        struct strlist *writable, struct strlist *static_dirs);

#endif
