#include "pack/drain.h"
#include "release/base/fileio.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOURCE_MAX (8u << 20)
#define STOP_NOTE  "; stop_timeout: "

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* A product of number literals at p ("60 * 60 * 1e3", "1_800", "1800.0") ending the
 * expression; 1 and its value, else 0. */
static int product(const char *p, double *out)
{
	double v = 1;

	for (;;) {
		char num[64], *end;
		size_t k = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (k < sizeof(num) - 1 && (isdigit((unsigned char)*p) || *p == '.' ||
		                               *p == '_' || *p == 'e' || *p == 'E' ||
		                               ((*p == '+' || *p == '-') && k > 0 &&
		                                (num[k - 1] == 'e' || num[k - 1] == 'E')))) {
			if (*p != '_')
				num[k++] = *p;
			p++;
		}
		num[k] = '\0';
		v *= strtod(num, &end);
		if (*end)
			return 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '*' && p[1] != '*') {
			p++;
			continue;
		}
		break;
	}
	if (!strchr(",;)}\r\n#", *p) && !(*p == '/' && p[1] == '/'))
		return 0;
	*out = v;
	return 1;
}

/* The default of the first `key = EXPR` (also `key: TYPE = EXPR`, `const key = EXPR`) in text
 * whose EXPR is a product of literals, or an identifier whose own definition is one
 * (followed once). */
static int find_default(const char *text, const char *key, int follow, double *out)
{
	size_t kl = strlen(key);
	const char *p;

	for (p = strstr(text, key); p; p = strstr(p + 1, key)) {
		const char *q = p + kl, *id;
		char name[128];

		if ((p > text && (ident_char(p[-1]) || p[-1] == '.')) || ident_char(*q))
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == ':' || *q == '?') /* an annotation: `drain_timeout: int = 1800` */
			while (*q && !strchr("=;,\n)", *q))
				q++;
		if (*q != '=' || q[1] == '=')
			continue;
		q++;
		if (product(q, out))
			return 1;
		while (*q == ' ' || *q == '\t')
			q++;
		for (id = q; ident_char(*q); q++)
			;
		if (!follow || q == id || (size_t)(q - id) >= sizeof(name) ||
		    isdigit((unsigned char)*id))
			continue;
		memcpy(name, id, (size_t)(q - id));
		name[q - id] = '\0';
		if (find_default(text, name, 0, out))
			return 1;
	}
	return 0;
}

/* Reads pkg/files[i] for the first that holds the default of `key`. */
static int read_default(int dfd, const char *pkg, const char *const *files, const char *key,
                        double unit_ms, struct drain_found *out)
{
	struct err err;
	char path[1024], *text;
	size_t len;
	double v;

	for (; *files; files++) {
		snprintf(path, sizeof(path), "%s/%s", pkg, *files);
		text = NULL;
		if (read_file_at(dfd, path, SOURCE_MAX, 0, &text, &len, &err) < 0)
			continue;
		if (find_default(text, key, 1, &v) && v * unit_ms >= 1000 &&
		    v * unit_ms <= 7 * 24 * 3600e3) {
			out->drain_ms = (uint64_t)(v * unit_ms + 0.5);
			snprintf(out->file, sizeof(out->file), "%s", path);
			free(text);
			return 1;
		}
		free(text);
	}
	return 0;
}

int drain_read_node(int dfd, const char *pkg, struct drain_found *out)
{
	static const char *const files[] = {"dist/worker.cjs", "dist/worker.js", "src/worker.ts",
	                                    NULL};
	struct err err;
	char path[1024], *text = NULL;
	json_object *o = NULL, *v;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!read_default(dfd, pkg, files, "drainTimeout", 1, out))
		return 0;
	snprintf(out->version, sizeof(out->version), "?");
	snprintf(path, sizeof(path), "%s/package.json", pkg);
	if (read_file_at(dfd, path, 1u << 20, 0, &text, &len, &err) == 0 &&
	    (o = json_tokener_parse(text)) && json_object_object_get_ex(o, "version", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(out->version, sizeof(out->version), "%s", json_object_get_string(v));
	json_object_put(o);
	free(text);
	return 1;
}

int drain_read_python(int dfd, const char *pkg, struct drain_found *out)
{
	static const char *const files[] = {"worker.py", NULL};
	struct err err;
	char path[1024], *text = NULL, *p, *q;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!read_default(dfd, pkg, files, "drain_timeout", 1000, out))
		return 0;
	snprintf(out->version, sizeof(out->version), "?");
	snprintf(path, sizeof(path), "%s/version.py", pkg);
	if (read_file_at(dfd, path, 1u << 20, 0, &text, &len, &err) == 0 &&
	    (p = strstr(text, "__version__")) && (p = strpbrk(p, "\"'")) &&
	    (q = strchr(p + 1, *p)) && q - p - 1 < (long)sizeof(out->version))
		snprintf(out->version, sizeof(out->version), "%.*s", (int)(q - p - 1), p + 1);
	free(text);
	return 1;
}

/* livekit/agents in a virtualenv of the project: ROOT/lib/python3.* /site-packages. */
static int python_in_venv(int dfd, const char *root, struct drain_found *out)
{
	char lib[256], pkg[512];
	struct dirent *e;
	DIR *d;
	int fd, found = 0;

	snprintf(lib, sizeof(lib), "%s/lib", root);
	fd = openat(dfd, lib, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (!found && (e = readdir(d)))
		if (!strncmp(e->d_name, "python3", 7)) {
			snprintf(pkg, sizeof(pkg), "%s/%s/site-packages/livekit/agents", lib,
			         e->d_name);
			found = drain_read_python(dfd, pkg, out);
		}
	closedir(d);
	return found;
}

static int find_python(int dfd, const char *vendored, struct drain_found *out)
{
	static const char *const venvs[] = {AGENT_DIR "/.venv", AGENT_DIR "/venv", ".venv", "venv"};
	char file[sizeof(out->file)];
	size_t i;
	int fd, found;

	if (vendored) {
		/* The copy pack vendored, which lands in AGENT_DEPS_DIR. */
		fd = open(vendored, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		found = fd >= 0 && drain_read_python(fd, "livekit/agents", out);
		if (fd >= 0)
			close(fd);
		if (found) {
			snprintf(file, sizeof(file), "%s", out->file);
			snprintf(out->file, sizeof(out->file), AGENT_DEPS_DIR "/%s", file);
		}
		return found;
	}
	if (drain_read_python(dfd, AGENT_DEPS_DIR "/livekit/agents", out))
		return 1;
	for (i = 0; i < sizeof(venvs) / sizeof(venvs[0]); i++)
		if (python_in_venv(dfd, venvs[i], out))
			return 1;
	return 0;
}

int drain_default(int project_fd, struct pack_config *cfg, const struct project_shape *shape,
                  const char *vendored, struct err *err)
{
	struct pack_service *s = NULL;
	struct drain_found f;
	const char *fw = shape->agent == AGENT_NODE ? "@livekit/agents" : "livekit-agents";
	char note[1024], *why, *cut;
	size_t i, keep;
	int found;

	if (!shape->livekit || shape->agent == AGENT_NONE)
		return 0;
	for (i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, AGENT_DIR) && cfg->services[i].detected)
			s = &cfg->services[i];
	if (!s || (s->set & SVC_STOP_TIMEOUT))
		return 0;
	if (shape->agent == AGENT_NODE)
		found =
		    drain_read_node(project_fd, AGENT_DIR "/node_modules/@livekit/agents", &f) ||
		    drain_read_node(project_fd, "node_modules/@livekit/agents", &f);
	else
		found = find_python(project_fd, vendored, &f);
	if (found) {
		s->stop_timeout_ms = f.drain_ms + DRAIN_MARGIN_MS;
		snprintf(note, sizeof(note),
		         STOP_NOTE "%s %s's drain timeout (%llu ms, read from %s) + %u s", fw,
		         f.version, (unsigned long long)f.drain_ms, f.file, DRAIN_MARGIN_MS / 1000);
	} else {
		s->stop_timeout_ms = SERVICE_WORKER_STOP_TIMEOUT_MS;
		snprintf(note, sizeof(note),
		         STOP_NOTE "%u s, the fallback: %s's drain timeout could not be read (%s)",
		         SERVICE_WORKER_STOP_TIMEOUT_MS / 1000, fw,
		         shape->agent == AGENT_NODE ? "not installed in " AGENT_DIR
		                                      "/node_modules or node_modules"
		         : vendored ? "not in the vendored dependencies"
		                    : "not vendored yet: pack reads the copy it vendors");
	}
	cut = strstr(s->detected, STOP_NOTE);
	keep = cut ? (size_t)(cut - s->detected) : strlen(s->detected);
	if (!(why = malloc(keep + strlen(note) + 1)))
		return fail_oom(err);
	memcpy(why, s->detected, keep);
	strcpy(why + keep, note);
	free(s->detected);
	s->detected = why;
	return 0;
}
