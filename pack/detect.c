#include "pack/detect.h"
#include "pack/drain.h"
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

#define PACKAGE_JSON_MAX  (4u << 20)
#define APP_NAME_MADE_MAX 64 /* a made-up name stays short; the rule allows more */
#define LIVEKIT_AGENTS    "@livekit/agents"

static bool is_dir_at(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file_at(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, 0) == 0 && S_ISREG(st.st_mode);
}

static bool has_key(json_object *obj, const char *key)
{
	json_object *v;

	return obj && json_object_is_type(obj, json_type_object) &&
	       json_object_object_get_ex(obj, key, &v);
}

/* obj[key] when it is a string, else NULL. */
static const char *string_at(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool depends_on(json_object *pkg, const char *name)
{
	json_object *deps = NULL, *dev = NULL;

	json_object_object_get_ex(pkg, "dependencies", &deps);
	json_object_object_get_ex(pkg, "devDependencies", &dev);
	return has_key(deps, name) || has_key(dev, name);
}

/* Parses a package.json at `path`; *out is a JSON object owned by the caller. */
static int read_package_json(int dfd, const char *path, json_object **out, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	struct json_tokener *tok;
	json_object *root;

	*out = NULL;
	if (read_file_at(dfd, path, PACKAGE_JSON_MAX, 0, &text, &len, err) < 0)
		return fail_prefix(err, "cannot read %s", path);
	tok = json_tokener_new();
	if (!tok) {
		free(text);
		return fail_oom(err);
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		json_tokener_free(tok);
		free(text);
		return fail(err, "%s: not a JSON object", path);
	}
	json_tokener_free(tok);
	free(text);
	*out = root;
	return 0;
}

/* `raw` made into an app name (app_name_check): every byte outside A-Za-z0-9._- becomes
 * '-', runs of '-' shrink to one, leading bytes other than letters and digits and trailing
 * '-' and '.' go, at most APP_NAME_MADE_MAX bytes. NULL when nothing is left or out of
 * memory. */
static char *make_app_name(const char *raw)
{
	char *out = malloc(APP_NAME_MADE_MAX + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	for (const char *p = raw; *p && n < APP_NAME_MADE_MAX; p++) {
		char c = *p;

		if (!(isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-') ||
		    (unsigned char)c >= 0x80)
			c = '-';
		if (n == 0 && !isalnum((unsigned char)c))
			continue;
		if (c == '-' && out[n - 1] == '-')
			continue;
		out[n++] = c;
	}
	while (n > 0 && (out[n - 1] == '-' || out[n - 1] == '.'))
		n--;
	out[n] = '\0';
	if (!n || app_name_check(out, NULL) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Sets cfg->app from `raw` as it is when valid, else made valid (origin `fixed`). */
static int set_app_name(struct pack_config *cfg, const char *raw, enum app_origin as_is,
                        enum app_origin fixed, struct err *err)
{
	if (app_name_check(raw, NULL) == 0) {
		if (!(cfg->app = strdup(raw)))
			return fail_oom(err);
		cfg->app_origin = as_is;
		if (as_is == APP_FROM_DIRECTORY && !(cfg->app_raw = strdup(raw)))
			return fail_oom(err);
		return 0;
	}
	cfg->app = make_app_name(raw);
	if (!cfg->app)
		return fail(err,
		            "no app name: '%s' has no letter or digit to make one from; set [app] "
		            "name in %s",
		            raw, CONFIG_NAME);
	cfg->app_origin = fixed;
	if (!(cfg->app_raw = strdup(raw)))
		return fail_oom(err);
	return 0;
}

/* Whether `tool` is an executable file in a directory of $PATH. */
static bool on_path(const char *tool)
{
	const char *path = getenv("PATH"), *p, *colon;
	char file[PATH_MAX];

	for (p = path ? path : ""; *p; p = *colon ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		if (colon > p &&
		    (size_t)snprintf(file, sizeof(file), "%.*s/%s", (int)(colon - p), p, tool) <
		        sizeof(file) &&
		    access(file, X_OK) == 0)
			return true;
	}
	return false;
}

/* The package manager that owns the project: the nearest lockfile at or above it (a
 * workspace member's is the root's), else package.json's "packageManager" ("pnpm@9.1.0"). */
static const char *package_manager(const char *project_dir, json_object *pkg)
{
	static const struct {
		const char *lock, *tool;
	} locks[] = {{"pnpm-lock.yaml", "pnpm"},
	             {"yarn.lock", "yarn"},
	             {"bun.lockb", "bun"},
	             {"bun.lock", "bun"},
	             {"package-lock.json", "npm"}};
	static const char *const tools[] = {"pnpm", "yarn", "bun", "npm"};
	const char *field = string_at(pkg, "packageManager");
	char dir[PATH_MAX], file[PATH_MAX];
	struct stat st;
	char *slash;

	if (!realpath(project_dir, dir))
		snprintf(dir, sizeof(dir), "%s", project_dir);
	for (;;) {
		for (size_t i = 0; i < sizeof(locks) / sizeof(locks[0]); i++)
			if ((size_t)snprintf(file, sizeof(file), "%s/%s", dir, locks[i].lock) <
			        sizeof(file) &&
			    stat(file, &st) == 0)
				return locks[i].tool;
		if (!(slash = strrchr(dir, '/')) || slash == dir)
			break;
		*slash = '\0';
	}
	for (size_t i = 0; field && i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!strncmp(field, tools[i], strlen(tools[i])) && field[strlen(tools[i])] == '@')
			return tools[i];
	return "npm";
}

/* "<pm> run build", through corepack when the package manager itself is not installed. */
static char *build_command(const char *project_dir, json_object *pkg)
{
	const char *pm = package_manager(project_dir, pkg);
	char *cmd;

	if (strcmp(pm, "npm") && !on_path(pm) && on_path("corepack"))
		return asprintf(&cmd, "corepack %s run build", pm) < 0 ? NULL : cmd;
	return asprintf(&cmd, "%s run build", pm) < 0 ? NULL : cmd;
}

static int detect_package_json(int dfd, const char *project_dir, struct pack_config *cfg,
                               struct project_shape *shape, struct err *err)
{
	json_object *root = NULL, *scripts = NULL;
	const char *name;
	int r = -1;

	if (read_package_json(dfd, "package.json", &root, err) < 0)
		return -1;
	name = string_at(root, "name");
	if (!cfg->app && name && *name) {
		const char *slash = strrchr(name, '/');

		if (slash && name[0] == '@')
			name = slash + 1;
		if (set_app_name(cfg, name, APP_FROM_PACKAGE_JSON, APP_FROM_PACKAGE_FIXED, err) < 0)
			goto out;
	}
	json_object_object_get_ex(root, "scripts", &scripts);
	if (!cfg->build &&
	    !(cfg->build =
	          has_key(scripts, "build") ? build_command(project_dir, root) : strdup(""))) {
		fail_oom(err);
		goto out;
	}
	if (depends_on(root, "next"))
		shape->nextjs = true;
	r = 0;
out:
	json_object_put(root);
	return r;
}

/* No name anywhere else: the project directory's own. */
static int app_from_directory(const char *project_dir, struct pack_config *cfg, struct err *err)
{
	char real[PATH_MAX];
	const char *base;

	if (!realpath(project_dir, real))
		return fail_sys(err, "cannot resolve the project directory %s", project_dir);
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	return set_app_name(cfg, base, APP_FROM_DIRECTORY, APP_FROM_DIRECTORY, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Root files named start*.sh, sorted. */
static int add_start_scripts(int dfd, struct strlist *include, struct err *err)
{
	struct strlist found = {0};
	struct dirent *de;
	DIR *d;
	int fd = dup(dfd);
	size_t i;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 || !(d = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return fail_kind(err, ERR_SYSTEM, "cannot list the project directory: %s",
		                 strerror(e));
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (!fnmatch("start*.sh", de->d_name, 0) && is_file_at(dfd, de->d_name) &&
		    strlist_push(&found, de->d_name) < 0) {
			closedir(d);
			strlist_clear(&found);
			return fail_oom(err);
		}
	closedir(d);
	if (found.n)
		qsort(found.v, found.n, sizeof(char *), cmp_str);
	for (i = 0; i < found.n; i++)
		if (!strlist_has(include, found.v[i]) && strlist_push(include, found.v[i]) < 0) {
			strlist_clear(&found);
			return fail_oom(err);
		}
	strlist_clear(&found);
	return 0;
}

static int detect_include(int dfd, struct pack_config *cfg, const struct project_shape *shape,
                          struct err *err)
{
	struct strlist *inc = &cfg->include;

	if (shape->next == NEXT_STANDALONE_SHAPE &&
	    (strlist_push(inc, NEXT_STANDALONE) < 0 || strlist_push(inc, NEXT_STATIC) < 0))
		return fail_oom(err);
	if (shape->next == NEXT_START_SHAPE &&
	    (strlist_push(inc, NEXT_BUILD) < 0 || strlist_push(inc, "node_modules") < 0 ||
	     strlist_push(inc, "package.json") < 0 ||
	     (shape->next_config[0] && strlist_push(inc, shape->next_config) < 0)))
		return fail_oom(err);
	if (shape->next != NEXT_NONE && is_dir_at(dfd, NEXT_PUBLIC) &&
	    strlist_push(inc, NEXT_PUBLIC) < 0)
		return fail_oom(err);
	if (shape->has_agent && strlist_push(inc, AGENT_DIR) < 0)
		return fail_oom(err);
	return add_start_scripts(dfd, inc, err);
}

/* The start command of agent/package.json's scripts.start when it runs node itself (a
 * command words_split reads the same as a shell: no quotes, variables or operators). */
static bool plain_node_script(const char *cmd, struct strlist *argv)
{
	if (strpbrk(cmd, "\"'\\$`;&|<>(){}*?~#\n") || words_split(cmd, argv, NULL) < 0)
		return false;
	return argv->n >= 2 && !strcmp(argv->v[0], "node");
}

/* A Node LiveKit agent: agent/package.json depends on @livekit/agents. Its command, run in
 * agent/: scripts.start when it is `node ...`, else `node MAIN start` for "main" or the first
 * of agent.js, main.js, index.js that exists. */
static int detect_node_agent(int dfd, struct pack_config *cfg, struct project_shape *shape,
                             struct err *err)
{
	static const char *const entries[] = {"agent.js", "main.js", "index.js"};
	json_object *pkg = NULL, *scripts = NULL;
	struct strlist argv = {0};
	const char *start, *main_file;
	char path[PATH_MAX];
	int r = -1;

	if (read_package_json(dfd, AGENT_DIR "/package.json", &pkg, err) < 0)
		return -1;
	if (!depends_on(pkg, LIVEKIT_AGENTS)) {
		r = 0;
		goto out;
	}
	json_object_object_get_ex(pkg, "scripts", &scripts);
	start = string_at(scripts, "start");
	main_file = string_at(pkg, "main");
	if (main_file && !strncmp(main_file, "./", 2))
		main_file += 2;
	if (start && plain_node_script(start, &argv)) {
		snprintf(shape->agent_command, sizeof(shape->agent_command), "%s", start);
		snprintf(shape->agent_why, sizeof(shape->agent_why), "its scripts.start");
	} else if (main_file && relpath_check(main_file, NULL) == 0 &&
	           strlen(main_file) < sizeof(shape->agent_command) - 16) {
		snprintf(shape->agent_command, sizeof(shape->agent_command), "node %s start",
		         main_file);
		snprintf(shape->agent_why, sizeof(shape->agent_why), "its \"main\"");
	} else {
		for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
			snprintf(path, sizeof(path), AGENT_DIR "/%s", entries[i]);
			if (is_file_at(dfd, path)) {
				snprintf(shape->agent_command, sizeof(shape->agent_command),
				         "node %s start", entries[i]);
				snprintf(shape->agent_why, sizeof(shape->agent_why),
				         AGENT_DIR "/%s", entries[i]);
				break;
			}
		}
	}
	if (shape->agent_command[0]) {
		char why[sizeof(shape->agent_why)];

		shape->agent = AGENT_NODE;
		snprintf(why, sizeof(why), "%s", shape->agent_why);
		snprintf(shape->agent_why, sizeof(shape->agent_why),
		         "a LiveKit agent in Node (" AGENT_DIR
		         "/package.json depends on " LIVEKIT_AGENTS "; command from %s)",
		         why);
	} else if (strlist_push(&cfg->notes, AGENT_DIR
	                        "/package.json depends on " LIVEKIT_AGENTS
	                        ", but neither its scripts.start (node ...), its \"main\" nor "
	                        "agent.js, main.js or index.js says how to start it: add [service "
	                        "agent] with a command") < 0) {
		fail_oom(err);
		goto out;
	}
	r = 0;
out:
	strlist_clear(&argv);
	json_object_put(pkg);
	return r;
}

int detect_livekit_worker(struct pack_service *s)
{
	free(s->ready_path);
	s->ready_path = NULL;
	free(s->ready_log);
	s->ready = READY_LOG;
	s->health_port = LIVEKIT_HEALTH_PORT;
	return (s->ready_log = strdup("registered worker")) ? 0 : -1;
}

/* Whether a file of the project mentions livekit (a Python agent's requirements or code). */
static bool mentions_livekit(int dfd, const char *path)
{
	struct err err;
	char *text = NULL;
	size_t len = 0;
	bool yes;

	if (read_file_at(dfd, path, 4u << 20, 0, &text, &len, &err) < 0)
		return false;
	yes = memmem(text, len, "livekit", 7) != NULL;
	free(text);
	return yes;
}

static int detect_agent(int dfd, struct pack_config *cfg, struct project_shape *shape,
                        struct err *err)
{
	const char *py = NULL;

	shape->has_agent = is_dir_at(dfd, AGENT_DIR);
	shape->has_requirements = is_file_at(dfd, AGENT_REQUIREMENTS);
	if (!shape->has_agent)
		return 0;
	if (is_file_at(dfd, AGENT_DIR "/package.json") &&
	    detect_node_agent(dfd, cfg, shape, err) < 0)
		return -1;
	if (shape->agent != AGENT_NONE) {
		shape->livekit = true;
		return 0;
	}
	if (is_file_at(dfd, AGENT_DIR "/main.py"))
		py = AGENT_DIR "/main.py";
	else if (is_file_at(dfd, AGENT_DIR "/agent.py"))
		py = AGENT_DIR "/agent.py";
	if (!py)
		return 0;
	snprintf(shape->agent_command, sizeof(shape->agent_command), "python3 %s start", py);
	shape->livekit = (shape->has_requirements && mentions_livekit(dfd, AGENT_REQUIREMENTS)) ||
	                 mentions_livekit(dfd, py);
	snprintf(shape->agent_why, sizeof(shape->agent_why), "%s in Python (%s)",
	         shape->livekit ? "a LiveKit agent" : "an agent", py);
	shape->agent = AGENT_PYTHON;
	return 0;
}

static int set_command(struct pack_service *s, const char *command)
{
	return (s->command = strdup(command)) && words_split(command, &s->argv, NULL) == 0 ? 0 : -1;
}

/* The detected services, into `det` (a scratch config). */
static int detected_services(struct pack_config *det, const struct project_shape *shape)
{
	struct pack_service *s;

	if (shape->next != NEXT_NONE) {
		bool standalone = shape->next == NEXT_STANDALONE_SHAPE;

		s = config_add_service(det, "web");
		if (!s ||
		    set_command(s, standalone ? "node " NEXT_SERVER : "node " NEXT_CLI " start") <
		        0 ||
		    !(s->cwd = strdup(standalone ? shape->server_dir : ".")) ||
		    !(s->ready_path = strdup("/")) ||
		    !(s->detected =
		          strdup(standalone ? "a Next.js project (its standalone server)"
		                            : "a Next.js project without standalone output "
		                              "(next start)")))
			return -1;
		s->port = 5000;
		s->ready = READY_HTTP;
		s->stop_timeout_ms = SERVICE_DEFAULT_STOP_TIMEOUT_MS;
		s->ready_timeout_ms = SERVICE_DEFAULT_READY_TIMEOUT_MS;
	}
	if (shape->agent == AGENT_NONE)
		return 0;
	s = config_add_service(det, "agent");
	if (!s || set_command(s, shape->agent_command) < 0 ||
	    !(s->detected = strdup(shape->agent_why)))
		return -1;
	if (shape->agent == AGENT_PYTHON && shape->has_requirements &&
	    strlist_push(&s->env, "PYTHONPATH=${RELEASE}/" AGENT_DEPS_DIR) < 0)
		return -1;
	if (shape->agent == AGENT_NODE && !(s->cwd = strdup(AGENT_DIR)))
		return -1;
	s->ready = READY_NONE;
	if (shape->livekit && detect_livekit_worker(s) < 0)
		return -1;
	s->stop_timeout_ms = SERVICE_WORKER_STOP_TIMEOUT_MS; /* one SIGTERM drains live calls */
	s->ready_timeout_ms = SERVICE_DEFAULT_READY_TIMEOUT_MS;
	return 0;
}

static int detect_services(struct pack_config *cfg, const struct project_shape *shape,
                           struct err *err)
{
	struct pack_config det;
	size_t i;
	int r = 0;

	config_init(&det);
	if (detected_services(&det, shape) < 0)
		r = fail_oom(err);
	for (i = 0; r == 0 && i < det.n_services; i++)
		r = config_merge_service(cfg, &det.services[i], err);
	config_release(&det);
	return r;
}

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
static int detect_next_shape(int dfd, const char *project_dir, struct pack_config *cfg,
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
		        is_file_at(dfd, NEXT_CLI) ? "outside the project (a workspace's)"
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
static int check_tsconfig_agent(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *ts = NULL, *inc;
	struct err ignored;
	bool reaches;

	if (!is_file_at(dfd, "tsconfig.json") ||
	    read_package_json(dfd, "tsconfig.json", &ts, &ignored) < 0)
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

/* The major version in a simple engines range (">=24", "^24.1", "24.x", ">= 22.12"), else
 * 0. */
static int engines_major(const char *range)
{
	const char *p = range + strspn(range, ">=^~ v");

	return isdigit((unsigned char)*p) && (range[0] == '>' || range[0] == '^' ||
	                                      range[0] == '~' || isdigit((unsigned char)range[0]))
	           ? atoi(p)
	           : 0;
}

/* The major version of the `node` on PATH here, or 0. */
static int local_node_major(char *version, size_t cap)
{
	FILE *f = popen("node --version 2>/dev/null", "r");
	int major = 0;

	version[0] = '\0';
	if (!f)
		return 0;
	if (fgets(version, (int)cap, f)) {
		version[strcspn(version, "\n")] = '\0';
		major = version[0] == 'v' ? atoi(version + 1) : 0;
	}
	pclose(f);
	return major;
}

/* A Node agent whose "engines" asks for a newer node than the one here (the starter needs
 * Node 24 to run .ts files): said before the build, since the server's node must match. */
static int note_agent_engines(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *pkg = NULL, *engines = NULL;
	const char *range;
	char version[64], *note;
	int want, have, r = 0;

	if (read_package_json(dfd, AGENT_DIR "/package.json", &pkg, err) < 0)
		return -1;
	json_object_object_get_ex(pkg, "engines", &engines);
	range = string_at(engines, "node");
	if (range && (want = engines_major(range)) > 0 &&
	    (have = local_node_major(version, sizeof(version))) > 0 && have < want) {
		if (asprintf(&note,
		             AGENT_DIR
		             "/package.json needs node %s (engines.node), and the node here is "
		             "%s: the server that runs the agent needs node %d or later",
		             range, version, want) < 0 ||
		    strlist_push_owned(&cfg->notes, note) < 0)
			r = fail_oom(err);
	}
	json_object_put(pkg);
	return r;
}

/* A Node agent's dev dependencies stay out of the release (they are most of a starter's
 * node_modules): agent/package-lock.json names every package installed only for development
 * ("dev": true), at any depth; without one, package.json's devDependencies (their own
 * dependencies then stay). Added to exclude, which --print-config shows; a slipway.ini that
 * sets exclude (even empty) keeps them. */
static int exclude_agent_dev_deps(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *lock = NULL, *pkgs = NULL, *pkg = NULL, *dev = NULL;
	const char *from = AGENT_DIR "/package-lock.json";
	struct err ignored;
	size_t before = cfg->exclude.n;
	char *note;
	int r = 0;

	if (is_file_at(dfd, from) && read_package_json(dfd, from, &lock, &ignored) == 0 &&
	    json_object_object_get_ex(lock, "packages", &pkgs) &&
	    json_object_is_type(pkgs, json_type_object)) {
		json_object_object_foreach(pkgs, key, val)
		{
			json_object *flag;
			char *path;

			if (r < 0 || strncmp(key, "node_modules/", 13) ||
			    relpath_check(key, NULL) < 0 ||
			    !json_object_object_get_ex(val, "dev", &flag) ||
			    !json_object_get_boolean(flag))
				continue;
			if (asprintf(&path, AGENT_DIR "/%s", key) < 0 ||
			    strlist_push_owned(&cfg->exclude, path) < 0)
				r = fail_oom(err);
		}
	} else if (read_package_json(dfd, AGENT_DIR "/package.json", &pkg, &ignored) == 0 &&
	           json_object_object_get_ex(pkg, "devDependencies", &dev) &&
	           json_object_is_type(dev, json_type_object)) {
		from = AGENT_DIR "/package.json's devDependencies";
		json_object_object_foreach(dev, key, val)
		{
			char *path;

			(void)val;
			if (r < 0 || relpath_check(key, NULL) < 0)
				continue;
			if (asprintf(&path, AGENT_DIR "/node_modules/%s", key) < 0 ||
			    strlist_push_owned(&cfg->exclude, path) < 0)
				r = fail_oom(err);
		}
	}
	json_object_put(lock);
	json_object_put(pkg);
	if (r == 0 && cfg->exclude.n > before &&
	    (asprintf(&note,
	              "the agent's dev dependencies are left out (%zu, from %s): set [bundle] "
	              "exclude in " CONFIG_NAME " (even empty) to keep them",
	              cfg->exclude.n - before, from) < 0 ||
	     strlist_push_owned(&cfg->notes, note) < 0))
		r = fail_oom(err);
	return r;
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
static int direct_next_start(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *pkg = NULL, *scripts = NULL;
	struct err ignored;
	const char *start = NULL;
	int r = 0;

	if (!is_file_at(dfd, NEXT_CLI))
		return 0;
	if (read_package_json(dfd, "package.json", &pkg, &ignored) == 0 &&
	    json_object_object_get_ex(pkg, "scripts", &scripts))
		start = string_at(scripts, "start");
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

/* A detected LiveKit worker cannot register without these (specs/config.md "Defaults"). */
static int add_livekit_secrets(struct pack_config *cfg, struct err *err)
{
	static const char *const names[] = {"LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strlist_has(&cfg->secrets_required, names[i]) &&
		    !strlist_has(&cfg->secrets_optional, names[i]) &&
		    strlist_push(&cfg->secrets_required, names[i]) < 0)
			return fail_oom(err);
	return 0;
}

/* A Node agent runs from agent/node_modules: without @livekit/agents installed there, the
 * worker cannot start, and no build of the web app installs it. */
static int check_node_agent_deps(int dfd, struct pack_config *cfg, struct err *err)
{
	if (is_dir_at(dfd, AGENT_DIR "/node_modules/" LIVEKIT_AGENTS))
		return 0;
	return strlist_push(&cfg->blockers,
	                    "the Node agent in " AGENT_DIR "/ has no " AGENT_DIR
	                    "/node_modules/" LIVEKIT_AGENTS
	                    ": install its dependencies before packing (cd " AGENT_DIR
	                    " && npm ci --omit=dev)") < 0
	           ? fail_oom(err)
	           : 0;
}

int detect_defaults(int dfd, const char *project_dir, struct pack_config *cfg,
                    struct project_shape *shape, struct err *err)
{
	memset(shape, 0, sizeof(*shape));
	shape->has_package_json = is_file_at(dfd, "package.json");
	if (shape->has_package_json && detect_package_json(dfd, project_dir, cfg, shape, err) < 0)
		return -1;
	if (is_dir_at(dfd, NEXT_STANDALONE))
		shape->nextjs = true;
	if (detect_next_shape(dfd, project_dir, cfg, shape, err) < 0 ||
	    detect_agent(dfd, cfg, shape, err) < 0)
		return -1;
	if (shape->livekit && add_livekit_secrets(cfg, err) < 0)
		return -1;
	if (shape->agent == AGENT_NODE &&
	    (!cfg->include_set || strlist_has(&cfg->include, AGENT_DIR)) &&
	    (check_node_agent_deps(dfd, cfg, err) < 0 || note_agent_engines(dfd, cfg, err) < 0 ||
	     (!cfg->exclude_set && exclude_agent_dev_deps(dfd, cfg, err) < 0)))
		return -1;
	if (shape->nextjs && shape->has_agent && cfg->build && *cfg->build &&
	    check_tsconfig_agent(dfd, cfg, err) < 0)
		return -1;
	if (!cfg->build && !(cfg->build = strdup("")))
		return fail_oom(err);
	if (!cfg->app && app_from_directory(project_dir, cfg, err) < 0)
		return -1;
	if (!cfg->include_set && detect_include(dfd, cfg, shape, err) < 0)
		return -1;
	if (detect_services(cfg, shape, err) < 0 ||
	    (shape->nextjs && direct_next_start(dfd, cfg, err) < 0) ||
	    drain_default(dfd, cfg, shape, NULL, err) < 0)
		return -1;
	return config_finish(cfg, err);
}

/* A member directory of the workspace that is an app slipway runs. */
static bool workspace_app(int dfd, const char *dir)
{
	char path[PATH_MAX];
	struct err err;
	json_object *pkg = NULL;
	bool yes;

	snprintf(path, sizeof(path), "%s/" AGENT_DIR "/package.json", dir);
	if (is_file_at(dfd, path))
		return true;
	snprintf(path, sizeof(path), "%s/package.json", dir);
	if (!is_file_at(dfd, path) || read_package_json(dfd, path, &pkg, &err) < 0)
		return false;
	yes = depends_on(pkg, "next");
	json_object_put(pkg);
	return yes;
}

/* The members a pattern names ("apps/web", or "apps/" then a star), relative to the project (dfd).
 */
static int add_members(int dfd, const char *pattern, struct strlist *apps, struct err *err)
{
	char dir[PATH_MAX], *star;
	struct dirent *de;
	DIR *d;
	int fd;

	if (!*pattern || pattern[0] == '!' || pattern[0] == '/' || strstr(pattern, ".."))
		return 0;
	snprintf(dir, sizeof(dir), "%s", pattern);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	star = strchr(dir, '*');
	if (!star) {
		if (workspace_app(dfd, dir) && !strlist_has(apps, dir) &&
		    strlist_push(apps, dir) < 0)
			return fail_oom(err);
		return 0;
	}
	/* One level below a directory ("apps/" then one or two stars): the common shapes. */
	if (star == dir || star[-1] != '/')
		return 0;
	star[-1] = '\0';
	fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		char member[PATH_MAX];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "node_modules"))
			continue;
		snprintf(member, sizeof(member), "%s/%s", dir, de->d_name);
		if (is_dir_at(dfd, member) && workspace_app(dfd, member) &&
		    !strlist_has(apps, member) && strlist_push(apps, member) < 0) {
			closedir(d);
			return fail_oom(err);
		}
	}
	closedir(d);
	return 0;
}

/* pnpm-workspace.yaml's "packages:" list: its lines "  - PATTERN" under it. */
static int pnpm_members(int dfd, struct strlist *apps, struct err *err)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	bool in_packages = false;
	int rc = 0;

	if (read_file_at(dfd, "pnpm-workspace.yaml", 1u << 20, 0, &text, &len, err) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = line + strspn(line, " \t"), *end;

		if (line[0] != ' ' && line[0] != '\t' && line[0] != '-') {
			in_packages = !strncmp(line, "packages:", 9);
			continue;
		}
		if (!in_packages || *v != '-')
			continue;
		v += 1 + strspn(v + 1, " \t");
		if (*v == '\'' || *v == '"') {
			end = strchr(v + 1, *v);
			v++;
		} else {
			end = v + strcspn(v, " \t#");
		}
		if (!end)
			continue;
		*end = '\0';
		rc = add_members(dfd, v, apps, err);
	}
	free(text);
	return rc;
}

int detect_workspace_apps(int dfd, struct strlist *apps, struct err *err)
{
	json_object *pkg = NULL, *ws = NULL, *list = NULL;
	int rc = 0;

	if (is_file_at(dfd, "pnpm-workspace.yaml") && pnpm_members(dfd, apps, err) < 0)
		return -1;
	if (is_file_at(dfd, "package.json") &&
	    read_package_json(dfd, "package.json", &pkg, err) == 0) {
		/* npm and yarn: "workspaces": [...], or yarn's {"packages": [...]}. */
		if (json_object_object_get_ex(pkg, "workspaces", &ws))
			list =
			    json_object_is_type(ws, json_type_object)
			        ? (json_object_object_get_ex(ws, "packages", &list) ? list : NULL)
			        : ws;
		for (size_t i = 0; rc == 0 && list && json_object_is_type(list, json_type_array) &&
		                   i < json_object_array_length(list);
		     i++) {
			json_object *v = json_object_array_get_idx(list, i);

			if (json_object_is_type(v, json_type_string))
				rc = add_members(dfd, json_object_get_string(v), apps, err);
		}
		json_object_put(pkg);
	}
	if (rc == 0 && apps->n > 1)
		qsort(apps->v, apps->n, sizeof(char *), cmp_str);
	return rc;
}
