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

static int detect_package_json(int dfd, struct pack_config *cfg, struct project_shape *shape,
                               struct err *err)
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
	    !(cfg->build = strdup(has_key(scripts, "build") ? "npm run build" : ""))) {
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

	if (shape->nextjs) {
		if (strlist_push(inc, ".next/standalone") < 0 ||
		    strlist_push(inc, ".next/static") < 0)
			return fail_oom(err);
		if (is_dir_at(dfd, "public") && strlist_push(inc, "public") < 0)
			return fail_oom(err);
	}
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

	if (shape->nextjs) {
		s = config_add_service(det, "web");
		if (!s || set_command(s, "node server.js") < 0 ||
		    !(s->cwd = strdup(".next/standalone")) || !(s->ready_path = strdup("/")) ||
		    !(s->detected = strdup("a Next.js project (its standalone server)")))
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

/* The config file Next.js reads (its own order of CONFIG_FILES), for hints. */
static void detect_next_config(int dfd, struct project_shape *shape)
{
	static const char *const names[] = {"next.config.js", "next.config.mjs", "next.config.ts"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (is_file_at(dfd, names[i])) {
			snprintf(shape->next_config, sizeof(shape->next_config), "%s", names[i]);
			return;
		}
}

int detect_defaults(int dfd, const char *project_dir, struct pack_config *cfg,
                    struct project_shape *shape, struct err *err)
{
	memset(shape, 0, sizeof(*shape));
	shape->has_package_json = is_file_at(dfd, "package.json");
	if (shape->has_package_json && detect_package_json(dfd, cfg, shape, err) < 0)
		return -1;
	if (is_dir_at(dfd, ".next/standalone"))
		shape->nextjs = true;
	detect_next_config(dfd, shape);
	if (detect_agent(dfd, cfg, shape, err) < 0)
		return -1;
	if (!cfg->build && !(cfg->build = strdup("")))
		return fail_oom(err);
	if (!cfg->app && app_from_directory(project_dir, cfg, err) < 0)
		return -1;
	if (!cfg->include_set && detect_include(dfd, cfg, shape, err) < 0)
		return -1;
	if (detect_services(cfg, shape, err) < 0 || drain_default(dfd, cfg, shape, NULL, err) < 0)
		return -1;
	return config_finish(cfg, err);
}
