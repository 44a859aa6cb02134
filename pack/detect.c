#include "pack/detect.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PACKAGE_JSON_MAX (4u << 20)

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

static bool valid_app_name(const char *s)
{
	if (!*s || strlen(s) > 64 || *s == '.')
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static bool has_key(json_object *obj, const char *key)
{
	json_object *v;

	return obj && json_object_is_type(obj, json_type_object) &&
	       json_object_object_get_ex(obj, key, &v);
}

static int read_package_json(int dfd, struct pack_config *cfg, struct project_shape *shape,
                             struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	json_object *root = NULL, *v = NULL, *scripts = NULL, *deps = NULL, *dev = NULL;
	struct json_tokener *tok = NULL;
	int r = -1;

	if (read_file_at(dfd, "package.json", PACKAGE_JSON_MAX, 0, &text, &len, err) < 0)
		return fail_prefix(err, "cannot read package.json");
	tok = json_tokener_new();
	if (!tok) {
		fail_oom(err);
		goto out;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		fail(err, "package.json: not a JSON object");
		goto out;
	}
	if (!cfg->app && json_object_object_get_ex(root, "name", &v) &&
	    json_object_is_type(v, json_type_string)) {
		const char *name = json_object_get_string(v), *slash = strrchr(name, '/');

		if (slash && name[0] == '@')
			name = slash + 1;
		if (!valid_app_name(name)) {
			fail(err,
			     "package.json: name '%s' is not usable as an app name; set [app] "
			     "name in slipway.ini",
			     name);
			goto out;
		}
		cfg->app = strdup(name);
		if (!cfg->app) {
			fail_oom(err);
			goto out;
		}
	}
	json_object_object_get_ex(root, "scripts", &scripts);
	json_object_object_get_ex(root, "dependencies", &deps);
	json_object_object_get_ex(root, "devDependencies", &dev);
	if (!cfg->build) {
		cfg->build = strdup(has_key(scripts, "build") ? "npm run build" : "");
		if (!cfg->build) {
			fail_oom(err);
			goto out;
		}
	}
	if (has_key(deps, "next") || has_key(dev, "next"))
		shape->nextjs = true;
	r = 0;
out:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	free(text);
	return r;
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

int detect_livekit_worker(struct pack_service *s, struct err *err)
{
	free(s->ready_path);
	s->ready_path = NULL;
	free(s->ready_log);
	s->ready = READY_LOG;
	s->ready_set = true;
	s->health_port = LIVEKIT_HEALTH_PORT;
	if (!(s->ready_log = strdup("registered worker")))
		return fail_oom(err);
	return 0;
}

/* Whether the agent's requirements or main file mention livekit. */
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

static int detect_services(struct pack_config *cfg, const struct project_shape *shape,
                           struct err *err)
{
	struct pack_service *s;

	if (shape->nextjs) {
		s = config_add_service(cfg, "web");
		if (!s || !(s->command = strdup("node server.js")) ||
		    strlist_push(&s->argv, "node") < 0 || strlist_push(&s->argv, "server.js") < 0 ||
		    !(s->cwd = strdup(".next/standalone")) || !(s->ready_path = strdup("/")))
			return fail_oom(err);
		s->port = 5000;
		s->ready = READY_HTTP;
		s->ready_set = true;
		s->stop_timeout_ms = 30000;
		s->detected = true;
	}
	if (shape->has_agent && shape->agent_main[0]) {
		char script[64];

		snprintf(script, sizeof(script), AGENT_DIR "/%s", shape->agent_main);
		s = config_add_service(cfg, "agent");
		if (!s || strlist_push(&s->argv, "python3") < 0 ||
		    strlist_push(&s->argv, script) < 0 || strlist_push(&s->argv, "start") < 0)
			return fail_oom(err);
		s->command = malloc(strlen(script) + 16);
		if (!s->command)
			return fail_oom(err);
		sprintf(s->command, "python3 %s start", script);
		s->ready = READY_NONE;
		s->ready_set = true;
		s->stop_timeout_ms = 30 * 60000;
		s->detected = true;
		if (shape->livekit && detect_livekit_worker(s, err) < 0)
			return -1;
		if (shape->has_requirements &&
		    strlist_push(&s->env, "PYTHONPATH=${RELEASE}/" AGENT_DEPS_DIR) < 0)
			return fail_oom(err);
	}
	return 0;
}

int detect_defaults(int dfd, struct pack_config *cfg, struct project_shape *shape, struct err *err)
{
	memset(shape, 0, sizeof(*shape));
	shape->has_package_json = is_file_at(dfd, "package.json");
	if (shape->has_package_json && read_package_json(dfd, cfg, shape, err) < 0)
		return -1;
	if (is_dir_at(dfd, ".next/standalone"))
		shape->nextjs = true;
	shape->has_agent = is_dir_at(dfd, AGENT_DIR);
	shape->has_requirements = is_file_at(dfd, AGENT_REQUIREMENTS);
	if (is_file_at(dfd, AGENT_DIR "/main.py"))
		strcpy(shape->agent_main, "main.py");
	else if (is_file_at(dfd, AGENT_DIR "/agent.py"))
		strcpy(shape->agent_main, "agent.py");
	if (shape->agent_main[0]) {
		char main_path[64];

		snprintf(main_path, sizeof(main_path), AGENT_DIR "/%s", shape->agent_main);
		shape->livekit =
		    (shape->has_requirements && mentions_livekit(dfd, AGENT_REQUIREMENTS)) ||
		    mentions_livekit(dfd, main_path);
	}
	if (!cfg->build && !(cfg->build = strdup("")))
		return fail_oom(err);
	if (!cfg->app)
		return fail(err, "no app name: set name in package.json or [app] name in %s",
		            CONFIG_NAME);
	if (!cfg->include_set && detect_include(dfd, cfg, shape, err) < 0)
		return -1;
	if (!cfg->services_set && detect_services(cfg, shape, err) < 0)
		return -1;
	return 0;
}
