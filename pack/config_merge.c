/* Services after slipway.ini is read: a [service NAME] section over the detected service of
 * the same name, key by key, then the defaults of what neither set (specs/config.md). */
#include "pack/config.h"
#include "release/base/error.h"

#include <stdlib.h>
#include <string.h>

static struct pack_service *find_service(struct pack_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	return NULL;
}

static int copy_list(struct strlist *dst, const struct strlist *src)
{
	size_t i;

	strlist_clear(dst);
	for (i = 0; i < src->n; i++)
		if (strlist_push(dst, src->v[i]) < 0)
			return -1;
	return 0;
}

static int replace(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = strdup(src)))
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* The word of `env` whose KEY is the KEY of `word` ("KEY=..."), or NULL. */
static const char *env_lookup(const struct strlist *env, const char *word)
{
	size_t klen = strcspn(word, "="), i;

	for (i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], word, klen + 1))
			return env->v[i];
	return NULL;
}

/* The detected variables in their order, each replaced by the file's value when the file
 * sets it, then the file's other variables. */
static int merge_env(struct strlist *file_env, const struct strlist *det_env)
{
	struct strlist merged = {0};
	const char *w;
	size_t i;

	for (i = 0; i < det_env->n; i++) {
		w = env_lookup(file_env, det_env->v[i]);
		if (strlist_push(&merged, w ? w : det_env->v[i]) < 0)
			goto oom;
	}
	for (i = 0; i < file_env->n; i++)
		if (!env_lookup(det_env, file_env->v[i]) &&
		    strlist_push(&merged, file_env->v[i]) < 0)
			goto oom;
	strlist_clear(file_env);
	*file_env = merged;
	return 0;
oom:
	strlist_clear(&merged);
	return -1;
}

int config_merge_service(struct pack_config *cfg, const struct pack_service *det, struct err *err)
{
	struct pack_service *s = find_service(cfg, det->name);

	if (!s && !(s = config_add_service(cfg, det->name)))
		return fail(err, "too many services (at most %d) or out of memory",
		            CONFIG_MAX_SERVICES);
	if (!(s->set & SVC_COMMAND) &&
	    (replace(&s->command, det->command) < 0 || copy_list(&s->argv, &det->argv) < 0))
		goto oom;
	if (!(s->set & SVC_CWD) && replace(&s->cwd, det->cwd) < 0)
		goto oom;
	if (merge_env(&s->env, &det->env) < 0)
		goto oom;
	if (!(s->set & SVC_PORT))
		s->port = det->port;
	if (!(s->set & SVC_HEALTH_PORT))
		s->health_port = det->health_port;
	if (!(s->set & SVC_READY)) {
		s->ready = det->ready;
		if (replace(&s->ready_path, det->ready_path) < 0 ||
		    replace(&s->ready_log, det->ready_log) < 0)
			goto oom;
	}
	if (!(s->set & SVC_KILL_MODE))
		s->kill_mode = det->kill_mode;
	if (!(s->set & SVC_READY_TIMEOUT))
		s->ready_timeout_ms = det->ready_timeout_ms;
	if (!(s->set & SVC_STOP_TIMEOUT))
		s->stop_timeout_ms = det->stop_timeout_ms;
	if (!(s->set & SVC_ENABLED))
		s->enabled = det->enabled;
	if (replace(&s->detected, det->detected ? det->detected : "detected") < 0)
		goto oom;
	return 0;
oom:
	return fail_oom(err);
}

static bool same_argv(const struct strlist *a, const struct strlist *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

int config_finish(struct pack_config *cfg, struct err *err)
{
	const char *file = cfg->file ? cfg->file : CONFIG_NAME;
	size_t i, j;

	for (i = 0; i < cfg->n_services;) {
		struct pack_service *s = &cfg->services[i];

		if (s->enabled) {
			i++;
			continue;
		}
		if (!s->detected)
			return fail(err,
			            "%s: [service %s]: enabled = no, but no service %s is detected",
			            file, s->name, s->name);
		if (strlist_push(&cfg->disabled, s->name) < 0)
			return fail_oom(err);
		config_remove_service(cfg, i);
	}
	for (i = 0; i < cfg->n_services; i++) {
		struct pack_service *s = &cfg->services[i];

		if (!s->command)
			return fail(
			    err,
			    "%s: [service %s] has no command (no service %s is detected to take it "
			    "from; --print-config shows what is)",
			    file, s->name, s->name);
		if (s->health_port && s->port)
			return fail(err,
			            "%s: [service %s]: health_port is for services without a port "
			            "(a service with a port is probed on it)",
			            file, s->name);
		if ((s->ready == READY_TCP || s->ready == READY_HTTP) && !s->port &&
		    !s->health_port)
			return fail(err, "%s: [service %s]: ready = %s needs a port or health_port",
			            file, s->name, s->ready == READY_TCP ? "tcp" : "http");
		if (!s->detected && !(s->set & SVC_READY)) {
			s->ready = s->port ? READY_HTTP : READY_NONE;
			if (s->port && replace(&s->ready_path, "/") < 0)
				return fail_oom(err);
		}
		if (!s->stop_timeout_ms)
			s->stop_timeout_ms = s->port ? SERVICE_DEFAULT_STOP_TIMEOUT_MS
			                             : SERVICE_WORKER_STOP_TIMEOUT_MS;
		if (!s->ready_timeout_ms)
			s->ready_timeout_ms = SERVICE_DEFAULT_READY_TIMEOUT_MS;
	}
	/* A section of its own that repeats a detected service would run it twice. */
	for (i = 0; i < cfg->n_services; i++)
		for (j = 0; j < cfg->n_services; j++) {
			const struct pack_service *a = &cfg->services[i], *d = &cfg->services[j];

			if (!a->detected && d->detected && same_argv(&a->argv, &d->argv))
				return fail(
				    err,
				    "%s: [service %s] runs the same command as the detected "
				    "service "
				    "%s (%s): to change that one, name the section [service %s]; "
				    "to replace it, also add [service %s] with enabled = no",
				    file, a->name, d->name, d->command, d->name, d->name);
		}
	return 0;
}
