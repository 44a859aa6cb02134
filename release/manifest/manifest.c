/* The manifest in memory: lifecycle and lookups (specs/manifest.md). Reading the JSON is
 * manifest_parse.c, the rules manifest_validate.c, writing it manifest_json.c. */
#include "release/manifest/manifest.h"
#include "release/base/bigmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct manifest *manifest_new(void)
{
	struct manifest *m = calloc(1, sizeof(*m));

	if (m)
		m->format = MANIFEST_FORMAT;
	return m;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	free(m->app);
	free(m->version);
	free(m->commit);
	free(m->build_time);
	free(m->slipway_version);
	free_strv(m->secrets_required, m->n_secrets_required);
	free_strv(m->secrets_optional, m->n_secrets_optional);
	free_strv(m->writable_dirs, m->n_writable_dirs);
	free_strv(m->static_dirs, m->n_static_dirs);
	for (size_t i = 0; i < m->n_services; i++) {
		struct manifest_service *s = &m->services[i];

		free(s->name);
		free_strv(s->argv, s->argc);
		free(s->cwd);
		for (size_t j = 0; j < s->n_env; j++) {
			free(s->env[j].key);
			free(s->env[j].value);
		}
		free(s->env);
		free(s->ready_path);
		free(s->ready_log);
	}
	free(m->services);
	for (size_t i = 0; i < m->n_files; i++) {
		free(m->files[i].path);
		free(m->files[i].target);
	}
	bigmem_free(m->files);
	free(m);
}

int manifest_alloc_files(struct manifest *m, size_t n)
{
	m->files = n < SIZE_MAX ? bigmem_calloc(n + 1, sizeof(*m->files)) : NULL;
	return m->files ? 0 : -1;
}

const struct manifest_file *manifest_find_file(const struct manifest *m, const char *path)
{
	size_t lo = 0, hi = m->n_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, m->files[mid].path);

		if (c == 0)
			return &m->files[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct manifest_service *manifest_find_service(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n_services; i++)
		if (!strcmp(m->services[i].name, name))
			return &m->services[i];
	return NULL;
}

enum manifest_kill manifest_kill_mode(const struct manifest_service *s)
{
	if (s->kill_mode != KILL_DEFAULT)
		return s->kill_mode;
	return s->port ? KILL_GROUP : KILL_PROCESS;
}

int manifest_probe_port(const struct manifest_service *s)
{
	return s->port ? s->port : s->health_port;
}

int64_t manifest_build_epoch(const struct manifest *m)
{
	struct tm tm = {0};

	if (!m->build_time ||
	    sscanf(m->build_time, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}
