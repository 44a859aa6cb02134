#include "pack/release_manifest.h"
#include "release/base/error.h"
#include "release/base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int copy_list(const struct strlist *l, char ***out, size_t *n)
{
	size_t i;

	*n = 0;
	*out = calloc(l->n + 1, sizeof(char *));
	if (!*out)
		return -1;
	for (i = 0; i < l->n; i++) {
		(*out)[i] = strdup(l->v[i]);
		if (!(*out)[i])
			return -1;
		(*n)++;
	}
	return 0;
}

static int copy_service(const struct pack_service *s, struct manifest_service *ms)
{
	size_t i;

	if (!(ms->name = strdup(s->name)) || copy_list(&s->argv, &ms->argv, &ms->argc) < 0 ||
	    !(ms->cwd = strdup(s->cwd ? s->cwd : ".")))
		return -1;
	ms->env = calloc(s->env.n + 1, sizeof(*ms->env));
	if (!ms->env)
		return -1;
	for (i = 0; i < s->env.n; i++) {
		const char *eq = strchr(s->env.v[i], '=');

		ms->env[i].key = strndup(s->env.v[i], (size_t)(eq - s->env.v[i]));
		ms->env[i].value = strdup(eq + 1);
		ms->n_env++;
		if (!ms->env[i].key || !ms->env[i].value)
			return -1;
	}
	ms->port = s->port;
	ms->health_port = s->health_port;
	ms->ready = s->ready;
	ms->kill_mode = s->kill_mode;
	if (s->ready == READY_HTTP &&
	    !(ms->ready_path = strdup(s->ready_path ? s->ready_path : "/")))
		return -1;
	if (s->ready == READY_LOG && !(ms->ready_log = strdup(s->ready_log)))
		return -1;
	ms->ready_timeout_ms = s->ready_timeout_ms;
	ms->stop_timeout_ms = s->stop_timeout_ms;
	return 0;
}

int release_manifest_build(const struct pack_config *cfg, const struct pack_tree *tree,
                           const struct release_facts *facts, struct manifest **out,
                           struct err *err)
{
	struct manifest *m = manifest_new();
	char when[CLOCK_ISO_SIZE];
	size_t i;

	if (!m)
		return fail_oom(err);
	if (!clock_iso_utc((time_t)facts->build_time, when)) {
		manifest_free(m);
		return fail_kind(err, ERR_SYSTEM, "build time %lld is out of range",
		                 (long long)facts->build_time);
	}
	m->serial = facts->serial;
	m->dirty = facts->dirty;
	if (!(m->app = strdup(facts->app)) || !(m->version = strdup(facts->version)) ||
	    !(m->commit = strdup(facts->commit ? facts->commit : "")) ||
	    !(m->build_time = strdup(when)) || !(m->slipway_version = strdup(SLIPWAY_VERSION)) ||
	    copy_list(&cfg->secrets_required, &m->secrets_required, &m->n_secrets_required) < 0 ||
	    copy_list(&cfg->secrets_optional, &m->secrets_optional, &m->n_secrets_optional) < 0)
		goto oom;
	if (facts->writable_dirs && facts->writable_dirs->n) {
		m->writable_declared = true;
		if (copy_list(facts->writable_dirs, &m->writable_dirs, &m->n_writable_dirs) < 0)
			goto oom;
	}
	if (facts->static_dirs && facts->static_dirs->n) {
		m->static_declared = true;
		if (copy_list(facts->static_dirs, &m->static_dirs, &m->n_static_dirs) < 0)
			goto oom;
	}
	m->services = calloc(cfg->n_services + 1, sizeof(*m->services));
	if (!m->services)
		goto oom;
	for (i = 0; i < cfg->n_services; i++) {
		m->n_services++;
		if (copy_service(&cfg->services[i], &m->services[i]) < 0)
			goto oom;
	}
	if (manifest_alloc_files(m, tree->n) < 0)
		goto oom;
	for (i = 0; i < tree->n; i++) {
		const struct pack_entry *e = &tree->v[i];
		struct manifest_file *f = &m->files[i];

		m->n_files++;
		f->type = e->type;
		f->mode = e->mode;
		f->size = e->type == MANIFEST_FILE ? e->size : 0;
		if (e->type == MANIFEST_FILE)
			memcpy(f->sha256, e->sha256, sizeof(f->sha256));
		if (!(f->path = strdup(e->path)))
			goto oom;
		if (e->type == MANIFEST_SYMLINK && !(f->target = dup_or_null(e->target)))
			goto oom;
	}
	*out = m;
	return 0;
oom:
	manifest_free(m);
	return fail_oom(err);
}
