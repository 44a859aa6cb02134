#include "pack/detect.h"
#include "pack/detect_agent.h"
#include "pack/detect_fs.h"
#include "pack/detect_next.h"
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

#define APP_NAME_MADE_MAX 64 /* a made-up name stays short; the rule allows more */

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
	const char *field = pkg_string_at(pkg, "packageManager");
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

	if (package_json_read(dfd, "package.json", &root, err) < 0)
		return -1;
	name = pkg_string_at(root, "name");
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
	          pkg_has_key(scripts, "build") ? build_command(project_dir, root) : strdup(""))) {
		fail_oom(err);
		goto out;
	}
	if (package_depends_on(root, "next"))
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
		if (!fnmatch("start*.sh", de->d_name, 0) && project_is_file(dfd, de->d_name) &&
		    strlist_push(&found, de->d_name) < 0) {
			closedir(d);
			strlist_clear(&found);
			return fail_oom(err);
		}
	closedir(d);
	strlist_sort(&found);
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
	if (shape->next != NEXT_NONE && project_is_dir(dfd, NEXT_PUBLIC) &&
	    strlist_push(inc, NEXT_PUBLIC) < 0)
		return fail_oom(err);
	if (shape->has_agent && strlist_push(inc, AGENT_DIR) < 0)
		return fail_oom(err);
	return add_start_scripts(dfd, inc, err);
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

int detect_defaults(int dfd, const char *project_dir, struct pack_config *cfg,
                    struct project_shape *shape, struct err *err)
{
	memset(shape, 0, sizeof(*shape));
	shape->has_package_json = project_is_file(dfd, "package.json");
	if (shape->has_package_json && detect_package_json(dfd, project_dir, cfg, shape, err) < 0)
		return -1;
	if (project_is_dir(dfd, NEXT_STANDALONE))
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
