#include "pack/detect_agent.h"
#include "pack/detect_fs.h"
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

	if (package_json_read(dfd, AGENT_DIR "/package.json", &pkg, err) < 0)
		return -1;
	if (!package_depends_on(pkg, LIVEKIT_AGENTS)) {
		r = 0;
		goto out;
	}
	json_object_object_get_ex(pkg, "scripts", &scripts);
	start = pkg_string_at(scripts, "start");
	main_file = pkg_string_at(pkg, "main");
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
			if (project_is_file(dfd, path)) {
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

int detect_agent(int dfd, struct pack_config *cfg, struct project_shape *shape, struct err *err)
{
	const char *py = NULL;

	shape->has_agent = project_is_dir(dfd, AGENT_DIR);
	shape->has_requirements = project_is_file(dfd, AGENT_REQUIREMENTS);
	if (!shape->has_agent)
		return 0;
	if (project_is_file(dfd, AGENT_DIR "/package.json") &&
	    detect_node_agent(dfd, cfg, shape, err) < 0)
		return -1;
	if (shape->agent != AGENT_NONE) {
		shape->livekit = true;
		return 0;
	}
	if (project_is_file(dfd, AGENT_DIR "/main.py"))
		py = AGENT_DIR "/main.py";
	else if (project_is_file(dfd, AGENT_DIR "/agent.py"))
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
int note_agent_engines(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *pkg = NULL, *engines = NULL;
	const char *range;
	char version[64], *note;
	int want, have, r = 0;

	if (package_json_read(dfd, AGENT_DIR "/package.json", &pkg, err) < 0)
		return -1;
	json_object_object_get_ex(pkg, "engines", &engines);
	range = pkg_string_at(engines, "node");
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
int exclude_agent_dev_deps(int dfd, struct pack_config *cfg, struct err *err)
{
	json_object *lock = NULL, *pkgs = NULL, *pkg = NULL, *dev = NULL;
	const char *from = AGENT_DIR "/package-lock.json";
	struct err ignored;
	size_t before = cfg->exclude.n;
	char *note;
	int r = 0;

	if (project_is_file(dfd, from) && package_json_read(dfd, from, &lock, &ignored) == 0 &&
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
	} else if (package_json_read(dfd, AGENT_DIR "/package.json", &pkg, &ignored) == 0 &&
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

/* A detected LiveKit worker cannot register without these (specs/config.md "Defaults"). */
int add_livekit_secrets(struct pack_config *cfg, struct err *err)
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
int check_node_agent_deps(int dfd, struct pack_config *cfg, struct err *err)
{
	if (project_is_dir(dfd, AGENT_DIR "/node_modules/" LIVEKIT_AGENTS))
		return 0;
	return strlist_push(&cfg->blockers,
	                    "the Node agent in " AGENT_DIR "/ has no " AGENT_DIR
	                    "/node_modules/" LIVEKIT_AGENTS
	                    ": install its dependencies before packing (cd " AGENT_DIR
	                    " && npm ci --omit=dev)") < 0
	           ? fail_oom(err)
	           : 0;
}
