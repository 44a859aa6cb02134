/* manifest_validate: the rules of specs/manifest.md ("Validation") on an in-memory manifest.
 * manifest_parse runs it after reading the JSON; manifest_to_json before writing. */
#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/manifest/manifest_check.h"

#include <stdio.h>
#include <string.h>

#define DIGIT "0123456789"

static int printable_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Like printable_ok, but spaces are allowed (text matched against a log line). */
static int text_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int build_time_ok(const char *s)
{
	/* YYYY-MM-DDTHH:MM:SSZ */
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int mon, day, hh, mm, ss;

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return 0;
	if (sscanf(s + 5, "%2d-%2dT%2d:%2d:%2d", &mon, &day, &hh, &mm, &ss) != 5)
		return 0;
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hh <= 23 && mm <= 59 && ss <= 60;
}

static int is_secret(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n_secrets_required; i++)
		if (!strcmp(m->secrets_required[i], name))
			return 1;
	for (size_t i = 0; i < m->n_secrets_optional; i++)
		if (!strcmp(m->secrets_optional[i], name))
			return 1;
	return 0;
}

static int check_secret_list(const struct manifest *m, char **v, size_t n, const char *what,
                             struct err *err)
{
	if (n > MANIFEST_MAX_SECRETS)
		return fail(err, "manifest: more than %d %s secrets", MANIFEST_MAX_SECRETS, what);
	for (size_t i = 0; i < n; i++) {
		size_t count = 0;

		if (!v[i] || secret_name_check(v[i], err) < 0)
			return v[i] ? fail_prefix(err, "manifest: %s secret", what)
			            : fail(err, "manifest: %s secret missing", what);
		for (size_t j = 0; j < m->n_secrets_required; j++)
			count += !strcmp(m->secrets_required[j], v[i]);
		for (size_t j = 0; j < m->n_secrets_optional; j++)
			count += !strcmp(m->secrets_optional[j], v[i]);
		if (count != 1)
			return fail(err, "manifest: secret %.64s is listed more than once", v[i]);
	}
	return 0;
}

static int check_service(const struct manifest *m, size_t idx, struct err *err)
{
	const struct manifest_service *s = &m->services[idx];

	if (!s->name || service_name_check(s->name, err) < 0)
		return s->name ? fail_prefix(err, "services[%zu]", idx)
		               : fail(err, "services[%zu]: missing name", idx);
	for (size_t j = 0; j < idx; j++)
		if (!strcmp(m->services[j].name, s->name))
			return fail(err, "service %s: defined twice", s->name);
	if (s->argc == 0 || s->argc > MANIFEST_MAX_ARGV || !s->argv || !s->argv[0] ||
	    !s->argv[0][0])
		return fail(err, "service %s: argv must have 1..%d words, the first not empty",
		            s->name, MANIFEST_MAX_ARGV);
	for (size_t j = 0; j < s->argc; j++)
		if (!s->argv[j] || strlen(s->argv[j]) > MANIFEST_MAX_STRING)
			return fail(err, "service %s: argv[%zu] missing or longer than %d bytes",
			            s->name, j, MANIFEST_MAX_STRING);
	if (!s->cwd)
		return fail(err, "service %s: missing cwd", s->name);
	if (strcmp(s->cwd, "") && strcmp(s->cwd, ".")) {
		const struct manifest_file *d;

		if (relpath_check(s->cwd, err) < 0)
			return fail_prefix(err, "service %s: cwd", s->name);
		d = m->files ? manifest_find_file(m, s->cwd) : NULL;
		if (!d || d->type != MANIFEST_DIR)
			return fail(err, "service %s: cwd %.200s is not a directory of the release",
			            s->name, s->cwd);
	}
	if (s->n_env > MANIFEST_MAX_ENV)
		return fail(err, "service %s: more than %d env entries", s->name, MANIFEST_MAX_ENV);
	for (size_t j = 0; j < s->n_env; j++) {
		const char *k = s->env[j].key;

		if (!k || env_name_check(k, err) < 0)
			return k ? fail_prefix(err, "service %s", s->name)
			         : fail(err, "service %s: env name missing", s->name);
		if (!s->env[j].value || strlen(s->env[j].value) > MANIFEST_MAX_STRING)
			return fail(err,
			            "service %s: env %s: value missing or longer than %d bytes",
			            s->name, k, MANIFEST_MAX_STRING);
		for (size_t i = 0; i < j; i++)
			if (!strcmp(s->env[i].key, k))
				return fail(err, "service %s: env %s set twice", s->name, k);
		if (is_secret(m, k))
			return fail(
			    err,
			    "service %s: env %s is a declared secret: secrets come from the "
			    "store's shared/env, never from the archive",
			    s->name, k);
	}
	if (s->port < 0 || s->port > 65535)
		return fail(err, "service %s: port must be 0..65535", s->name);
	if (s->health_port < 0 || s->health_port > 65535)
		return fail(err, "service %s: health_port must be 0..65535", s->name);
	if (s->health_port && s->port)
		return fail(err,
		            "service %s: health_port is for services without a port (it is "
		            "probed on its port)",
		            s->name);
	for (size_t j = 0; j < idx; j++) {
		const struct manifest_service *o = &m->services[j];

		/* Two services on one port: the second can never start, and a switch would wait
		 * for the port forever. A health port range starting at another's port would
		 * hand that port out. */
		if (s->port && (s->port == o->port || s->port == o->health_port))
			return fail(err, "services %s and %s both use port %d", o->name, s->name,
			            s->port);
		if (s->health_port && s->health_port == o->port)
			return fail(err, "services %s and %s both use port %d", o->name, s->name,
			            s->health_port);
	}
	if (s->ready != READY_NONE && s->ready != READY_TCP && s->ready != READY_HTTP &&
	    s->ready != READY_LOG)
		return fail(err, "service %s: unknown ready check", s->name);
	if ((s->ready == READY_TCP || s->ready == READY_HTTP) && !s->port && !s->health_port)
		return fail(err,
		            "service %s: a tcp or http ready check needs a port or health_port",
		            s->name);
	if (s->ready == READY_LOG) {
		if (!s->ready_log || !text_ok(s->ready_log, MANIFEST_MAX_READY_LOG))
			return fail(
			    err, "service %s: ready_log must be 1..%d printable ASCII characters",
			    s->name, MANIFEST_MAX_READY_LOG);
	} else if (s->ready_log) {
		return fail(err, "service %s: ready_log is only allowed with ready log", s->name);
	}
	if (s->kill_mode != KILL_DEFAULT && s->kill_mode != KILL_PROCESS &&
	    s->kill_mode != KILL_GROUP)
		return fail(err, "service %s: unknown kill_mode", s->name);
	if (s->ready == READY_HTTP) {
		if (!s->ready_path || s->ready_path[0] != '/' || !printable_ok(s->ready_path, 1024))
			return fail(err,
			            "service %s: ready_path must start with '/' and be 1..1024 "
			            "printable characters without spaces",
			            s->name);
	} else if (s->ready_path) {
		return fail(err, "service %s: ready_path is only allowed with ready http", s->name);
	}
	if (s->ready_timeout_ms > MANIFEST_MAX_TIMEOUT_MS ||
	    s->stop_timeout_ms > MANIFEST_MAX_TIMEOUT_MS)
		return fail(err, "service %s: timeouts must be at most %llu ms", s->name,
		            (unsigned long long)MANIFEST_MAX_TIMEOUT_MS);
	return 0;
}

static int check_file(const struct manifest *m, size_t idx, struct err *err)
{
	const struct manifest_file *f = &m->files[idx];
	const char *slash;

	if (!f->path || relpath_check(f->path, err) < 0)
		return f->path ? fail_prefix(err, "files[%zu]", idx)
		               : fail(err, "files[%zu]: missing path", idx);
	if (!strcmp(f->path, MANIFEST_NAME))
		return fail(err, "files: %s must not list itself", MANIFEST_NAME);
	if (idx > 0 && strcmp(m->files[idx - 1].path, f->path) >= 0)
		return fail(
		    err, "files: %.200s %s %.200s (paths must be sorted bytewise and unique)",
		    f->path, strcmp(m->files[idx - 1].path, f->path) ? "comes after" : "repeats",
		    m->files[idx - 1].path);
	slash = strrchr(f->path, '/');
	if (slash) {
		char parent[MANIFEST_MAX_PATH + 1];
		const struct manifest_file *p;

		memcpy(parent, f->path, (size_t)(slash - f->path));
		parent[slash - f->path] = '\0';
		p = manifest_find_file(m, parent);
		if (!p || p->type != MANIFEST_DIR)
			return fail(err,
			            "files: %.200s: parent %.200s is not listed as a directory",
			            f->path, parent);
	}
	switch (f->type) {
	case MANIFEST_FILE:
		if (f->mode != 0644 && f->mode != 0755)
			return fail(err, "files: %.200s: a file's mode must be 0644 or 0755",
			            f->path);
		if (f->size > MANIFEST_MAX_FILE_SIZE)
			return fail(err, "files: %.200s: size out of range", f->path);
		if (f->target)
			return fail(err, "files: %.200s: only symlinks have a target", f->path);
		break;
	case MANIFEST_DIR:
		if (f->mode != 0755)
			return fail(err, "files: %.200s: a directory's mode must be 0755", f->path);
		if (f->target || f->size)
			return fail(err, "files: %.200s: a directory has no size or target",
			            f->path);
		break;
	case MANIFEST_SYMLINK:
		if (f->mode != 0777)
			return fail(err, "files: %.200s: a symlink's mode must be 0777", f->path);
		if (f->size)
			return fail(err, "files: %.200s: a symlink has no size", f->path);
		if (!f->target)
			return fail(err, "files: %.200s: symlink without target", f->path);
		if (symlink_target_check(f->path, f->target, err) < 0)
			return fail_prefix(err, "files");
		break;
	default:
		return fail(err, "files: %.200s: unknown type", f->path);
	}
	return 0;
}

/* `inner` is `outer` or lies below it. */
static bool within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	return !strncmp(inner, outer, n) && (inner[n] == '\0' || inner[n] == '/');
}

/* A declared list of directories (specs/manifest.md "Writable and static directories"). */
static int check_dirs(const struct manifest *m, char **v, size_t n, bool writable, struct err *err)
{
	const char *what = writable ? "writable_dirs" : "static_dirs";

	if (n > MANIFEST_MAX_DIRS)
		return fail(err, "manifest: more than %d %s", MANIFEST_MAX_DIRS, what);
	for (size_t i = 0; i < n; i++) {
		const struct manifest_file *f;
		const char *slash;

		if (!v[i] || relpath_check(v[i], err) < 0)
			return v[i] ? fail_prefix(err, "manifest: %s", what)
			            : fail(err, "manifest: %s: entry missing", what);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v[i], v[j]))
				return fail(err, "manifest: %s: %.200s is listed twice", what,
				            v[i]);
		f = manifest_find_file(m, v[i]);
		if (!writable && (!f || f->type != MANIFEST_DIR))
			return fail(
			    err, "manifest: static_dirs: %.200s is not a directory of the release",
			    v[i]);
		if (!writable)
			continue;
		if (f && f->type != MANIFEST_DIR)
			return fail(err,
			            "manifest: writable_dirs: %.200s is a file or a symlink in the "
			            "release",
			            v[i]);
		slash = strrchr(v[i], '/');
		if (slash) {
			char parent[MANIFEST_MAX_PATH + 1];

			snprintf(parent, sizeof(parent), "%.*s", (int)(slash - v[i]), v[i]);
			f = manifest_find_file(m, parent);
			if (!f || f->type != MANIFEST_DIR)
				return fail(err,
				            "manifest: writable_dirs: %.200s: its parent is not a "
				            "directory of the release",
				            v[i]);
		}
		for (size_t j = 0; j < m->n_static_dirs && m->static_declared; j++)
			if (within(v[i], m->static_dirs[j]) || within(m->static_dirs[j], v[i]))
				return fail(err,
				            "manifest: writable_dirs: %.200s overlaps the static "
				            "directory %.200s",
				            v[i], m->static_dirs[j]);
	}
	return 0;
}

int manifest_validate(const struct manifest *m, struct err *err)
{
	if (m->format != MANIFEST_FORMAT)
		return fail(err, "manifest: unsupported format %d", m->format);
	if (!m->app || app_name_check(m->app, err) < 0)
		return m->app ? fail_prefix(err, "manifest") : fail(err, "manifest: no app");
	if (!m->version || version_check(m->version, err) < 0)
		return m->version ? fail_prefix(err, "manifest")
		                  : fail(err, "manifest: no version");
	if (m->serial > MANIFEST_MAX_SERIAL)
		return fail(err, "manifest: serial out of range");
	if (!m->commit || (strlen(m->commit) != 0 &&
	                   !(strlen(m->commit) == 40 && strspn(m->commit, DIGIT "abcdef") == 40)))
		return fail(err, "manifest: commit must be 40 lowercase hex digits or empty");
	if (!m->build_time || !build_time_ok(m->build_time))
		return fail(err,
		            "manifest: build_time must be RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)");
	if (!m->slipway_version || !printable_ok(m->slipway_version, 64))
		return fail(err, "manifest: slipway_version must be 1..64 printable characters");
	if (check_secret_list(m, m->secrets_required, m->n_secrets_required, "required", err) < 0 ||
	    check_secret_list(m, m->secrets_optional, m->n_secrets_optional, "optional", err) < 0)
		return -1;
	if (m->n_files > MANIFEST_MAX_FILES)
		return fail(err, "manifest: more than %d files", MANIFEST_MAX_FILES);
	for (size_t i = 0; i < m->n_files; i++)
		if (check_file(m, i, err) < 0)
			return -1;
	if (m->n_services > MANIFEST_MAX_SERVICES)
		return fail(err, "manifest: more than %d services", MANIFEST_MAX_SERVICES);
	for (size_t i = 0; i < m->n_services; i++)
		if (check_service(m, i, err) < 0)
			return -1;
	/* Lists filled by manifest_dirs_infer are format 1's defaults, not the packer's word. */
	if ((m->static_declared &&
	     check_dirs(m, m->static_dirs, m->n_static_dirs, false, err) < 0) ||
	    (m->writable_declared &&
	     check_dirs(m, m->writable_dirs, m->n_writable_dirs, true, err) < 0))
		return -1;
	return 0;
}
