#include "pack/detect_next.h"
#include "pack/detect_fs.h"
#include "pack/words.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether NEXT_CLI is a file of the project itself, links resolved (a workspace's hoisted or
 * pnpm-linked node_modules would leave the release). */
static bool next_cli_inside(const char *project_dir)
{
	char root[PATH_MAX], path[PATH_MAX], cli[PATH_MAX];
	size_t n;

	if (!realpath(project_dir, root) ||
	    (size_t)snprintf(path, sizeof(path), "%s/" NEXT_CLI, root) >= sizeof(path) ||
	    !realpath(path, cli))
		return false;
	n = strlen(root);
	return !strncmp(cli, root, n) && cli[n] == '/';
}

/* How a Next.js app is packed (pack/nextjs.h), and the checks that need no build. */
int detect_next_shape(int dfd, const char *project_dir, struct pack_config *cfg,
                      struct project_shape *shape, struct err *err)
{
	char real[PATH_MAX];

	nextjs_config_file(dfd, shape->next_config, sizeof(shape->next_config));
	if (!shape->nextjs)
		return 0;
	if (nextjs_wants_standalone(dfd, shape->next_config)) {
		shape->next = NEXT_STANDALONE_SHAPE;
		if (!realpath(project_dir, real))
			return fail_sys(err, "cannot resolve the project directory %s",
			                project_dir);
		return nextjs_predict_server_dir(real, shape->server_dir, sizeof(shape->server_dir),
		                                 err);
	}
	shape->next = NEXT_START_SHAPE;
	/* `next start` runs from the release's own node_modules: a workspace member whose
	 * modules are hoisted to the root (or linked there, as pnpm does) has none to ship. */
	if (!cfg->include_set && !next_cli_inside(project_dir)) {
		char *why;

		if (asprintf(
		        &why,
		        "%s does not set output: 'standalone', so the app would run as `next "
		        "start` from its own node_modules, and " NEXT_CLI " is %s: set "
		        "output: 'standalone' in %s (slipway then packs the standalone server), "
		        "or install the dependencies here first",
		        shape->next_config,
		        project_is_file(dfd, NEXT_CLI) ? "outside the project (a workspace's)"
		                                       : "missing",
		        shape->next_config) < 0)
			return fail_oom(err);
		if (strlist_push_owned(&cfg->blockers, why) < 0)
			return fail_oom(err);
	}
	return 0;
}

/* A tsconfig.json pattern ("./" dropped) reaching into agent/: "**" anything, or agent's. */
static bool ts_pattern_reaches_agent(const char *pat, bool exclude)
{
	size_t n = strlen(AGENT_DIR);

	if (!strncmp(pat, "./", 2))
		pat += 2;
	if (!strncmp(pat, AGENT_DIR, n) && (pat[n] == '\0' || pat[n] == '/'))
		return true;
	return !exclude && !strncmp(pat, "**", 2);
}

static bool ts_list_reaches_agent(json_object *cfg, const char *key, bool exclude)
{
	json_object *list;

	if (!json_object_object_get_ex(cfg, key, &list) ||
	    !json_object_is_type(list, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);

		if (json_object_is_type(v, json_type_string) &&
		    ts_pattern_reaches_agent(json_object_get_string(v), exclude))
			return true;
	}
	return false;
}

/* A TypeScript Next.js app with agent/ inside: when tsconfig.json's "include" (default:
 * everything) reaches agent/ and "exclude" does not take it out, `next build` type-checks
 * the agent's files against the web app's dependencies and fails, minutes in. */
int check_tsconfig_agent(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *ts = NULL, *inc;
	struct err ignored;
	bool reaches;

	if (!project_is_file(dfd, "tsconfig.json") ||
	    package_json_read(dfd, "tsconfig.json", &ts, &ignored) < 0)
		return 0;
	reaches = (!json_object_object_get_ex(ts, "include", &inc) ||
	           ts_list_reaches_agent(ts, "include", false)) &&
	          !ts_list_reaches_agent(ts, "exclude", true);
	json_object_put(ts);
	if (!reaches)
		return 0;
	return strlist_push(&cfg->blockers,
	                    "tsconfig.json's \"include\" reaches " AGENT_DIR
	                    "/, so next build would type-check the agent with the web app's "
	                    "dependencies and fail: add \"" AGENT_DIR
	                    "\" to \"exclude\" in tsconfig.json") < 0
	           ? fail_oom(err)
	           : 0;
}

/* The words after `next start` when `argv` (from `from` on) is a way to run it through a
 * wrapper: `npm start` / `pnpm start` / `yarn start` / `bun start` (or `... run start`)
 * whose scripts.start is a plain `next start ...`, `npx next start ...`, or a bare
 * `next start ...` (node_modules/.bin is on no PATH at run time). NULL when it is not. */
static const struct strlist *next_start_args(const struct strlist *argv, const char *start_script,
                                             struct strlist *script, size_t *from)
{
	static const char *const pms[] = {"npm", "pnpm", "yarn", "bun"};
	const char *a0 = argv->v[0];

	if (argv->n >= 2 && !strcmp(a0, "next") && !strcmp(argv->v[1], "start")) {
		*from = 2;
		return argv;
	}
	if (argv->n >= 3 && !strcmp(a0, "npx") && !strcmp(argv->v[1], "next") &&
	    !strcmp(argv->v[2], "start")) {
		*from = 3;
		return argv;
	}
	for (size_t i = 0; i < sizeof(pms) / sizeof(pms[0]); i++) {
		bool start =
		    (argv->n == 2 && !strcmp(argv->v[1], "start")) ||
		    (argv->n == 3 && !strcmp(argv->v[1], "run") && !strcmp(argv->v[2], "start"));

		if (strcmp(a0, pms[i]) || !start || !start_script ||
		    strpbrk(start_script, "\"'\\$`;&|<>(){}*?~#\n") ||
		    words_split(start_script, script, NULL) < 0 || script->n < 2 ||
		    strcmp(script->v[0], "next") || strcmp(script->v[1], "start"))
			return NULL;
		*from = 2;
		return script;
	}
	return NULL;
}

/* A service that runs `next start` through a wrapper is packed as Next's CLI run by node
 * itself: the same server in one process, which `slipway run`'s socket handover reaches
 * (specs/runtime.md "Socket ownership"). Only in the release root, where node_modules is. */
int direct_next_start(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *pkg = NULL, *scripts = NULL;
	struct err ignored;
	const char *start = NULL;
	int r = 0;

	if (!project_is_file(dfd, NEXT_CLI))
		return 0;
	if (package_json_read(dfd, "package.json", &pkg, &ignored) == 0 &&
	    json_object_object_get_ex(pkg, "scripts", &scripts))
		start = pkg_string_at(scripts, "start");
	for (size_t i = 0; r == 0 && i < cfg->n_services; i++) {
		struct pack_service *s = &cfg->services[i];
		struct strlist script = {0}, argv = {0};
		const struct strlist *args;
		char *command = NULL, *note = NULL;
		size_t from = 0;

		if (!s->argv.n || (s->cwd && strcmp(s->cwd, ".")) ||
		    !(args = next_start_args(&s->argv, start, &script, &from))) {
			strlist_clear(&script);
			continue;
		}
		if (strlist_push(&argv, "node") < 0 || strlist_push(&argv, NEXT_CLI) < 0 ||
		    strlist_push(&argv, "start") < 0)
			r = fail_oom(err);
		for (size_t k = from; r == 0 && k < args->n; k++)
			if (strlist_push(&argv, args->v[k]) < 0)
				r = fail_oom(err);
		if (r == 0 &&
		    (!(command = words_join(&argv)) ||
		     asprintf(&note,
		              "service %s: `%s` runs next start in a child process, which "
		              "slipway's socket handover does not reach: packed as `%s`, the "
		              "same server in one process",
		              s->name, s->command, command) < 0))
			r = fail_oom(err);
		if (r == 0 && strlist_push_owned(&cfg->notes, note) < 0)
			r = fail_oom(err);
		else if (r == 0) {
			note = NULL;
			free(s->command);
			s->command = command;
			command = NULL;
			strlist_clear(&s->argv);
			s->argv = argv;
			argv = (struct strlist){0};
		}
		free(note);
		free(command);
		strlist_clear(&argv);
		strlist_clear(&script);
	}
	json_object_put(pkg);
	return r;
}
