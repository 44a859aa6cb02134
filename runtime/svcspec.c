#include "runtime/svcspec.h"
#include "release/base/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct envv {
	char **v;
	size_t n, cap;
	size_t *index, index_cap; /* hash index of the names (entry + 1; 0 empty), or NULL */
};

static void wipe_free(char *s)
{
	volatile char *p = s;

	while (p && *p)
		*p++ = '\0';
	free(s);
}

char *svc_expand_release(const char *s, const char *release_dir)
{
	static const char tok[] = "${RELEASE}";
	size_t tl = sizeof(tok) - 1, rl = strlen(release_dir), n = 0, cap;
	const char *p;
	char *out, *w;

	for (p = strstr(s, tok); p; p = strstr(p + tl, tok))
		n++;
	cap = strlen(s) + n * rl + 1;
	out = malloc(cap);
	if (!out)
		return NULL;
	w = out;
	while ((p = strstr(s, tok))) {
		memcpy(w, s, (size_t)(p - s));
		w += p - s;
		memcpy(w, release_dir, rl);
		w += rl;
		s = p + tl;
	}
	strcpy(w, s);
	return out;
}

const char *svc_env_get(char *const *envp, const char *key)
{
	size_t kl = strlen(key);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, key, kl) && (*envp)[kl] == '=')
			return *envp + kl + 1;
	return NULL;
}

static size_t hash_name(const char *k, size_t n)
{
	size_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return h;
}

static bool same_name(const char *kv, const char *key, size_t kl)
{
	return !strncmp(kv, key, kl) && kv[kl] == '=';
}

/* The index slot of `key`: the one naming it, or the empty one where it would go. */
static size_t *envv_slot(const struct envv *e, const char *key, size_t kl)
{
	size_t mask = e->index_cap - 1, i = hash_name(key, kl) & mask;

	for (; e->index[i] && !same_name(e->v[e->index[i] - 1], key, kl); i = (i + 1) & mask)
		;
	return &e->index[i];
}

/* Keeps the index at most half full, so a file of many names is merged in linear time. */
static int envv_grow_index(struct envv *e)
{
	size_t cap = e->index_cap ? e->index_cap : 64, *old = e->index;

	if (e->index && e->n + 1 <= e->index_cap / 2)
		return 0;
	while (e->n + 1 > cap / 2)
		cap *= 2;
	if (!(e->index = calloc(cap, sizeof(*e->index)))) {
		e->index = old;
		return -1;
	}
	e->index_cap = cap;
	for (size_t i = 0; i < e->n; i++)
		*envv_slot(e, e->v[i], strcspn(e->v[i], "=")) = i + 1;
	free(old);
	return 0;
}

static int envv_set(struct envv *e, const char *key, size_t kl, const char *value)
{
	char *kv = malloc(kl + strlen(value) + 2), **grown;
	size_t *slot;

	if (!kv)
		return -1;
	memcpy(kv, key, kl);
	kv[kl] = '=';
	strcpy(kv + kl + 1, value);
	if (envv_grow_index(e) < 0) {
		wipe_free(kv);
		return -1;
	}
	slot = envv_slot(e, key, kl);
	if (*slot) {
		wipe_free(e->v[*slot - 1]);
		e->v[*slot - 1] = kv;
		return 0;
	}
	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;

		if (!(grown = realloc(e->v, cap * sizeof(*grown)))) {
			wipe_free(kv);
			return -1;
		}
		e->v = grown;
		e->cap = cap;
	}
	e->v[e->n++] = kv;
	e->v[e->n] = NULL;
	*slot = e->n;
	return 0;
}

static int inherited(const char *kv, size_t kl)
{
	static const char *const drop[] = {"NOTIFY_SOCKET",
	                                   "HOSTNAME",
	                                   "PORT",
	                                   "SLIPWAY_PASSWORD",
	                                   "SLIPWAY_SECRET_KEY",
	                                   "WATCHDOG_PID",
	                                   "WATCHDOG_USEC",
	                                   "SLIPWAY_HEALTH_PORT",
	                                   "SLIPWAY_SECRET_KEY_DATA",
	                                   "SLIPWAY_GATE_FD",
	                                   "NODE_CHANNEL_FD",
	                                   NULL};
	size_t i;

	if (!strncmp(kv, "LISTEN_", 7))
		return 0;
	for (i = 0; drop[i]; i++)
		if (strlen(drop[i]) == kl && !strncmp(kv, drop[i], kl))
			return 0;
	return 1;
}

static int cwd_escapes(const char *cwd)
{
	const char *p = cwd;

	if (*cwd == '/')
		return 1;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* name, argv and cwd; -1 when out of memory (what was filled is svc_spec_release's). */
static int build_command(const struct manifest_service *ms, const char *release_dir,
                         struct svc_spec *out)
{
	out->name = strdup(ms->name);
	out->argv = calloc(ms->argc + 1, sizeof(char *));
	if (!out->name || !out->argv)
		return -1;
	for (size_t i = 0; i < ms->argc; i++)
		if (!(out->argv[i] = svc_expand_release(ms->argv[i], release_dir)))
			return -1;
	if (ms->cwd && *ms->cwd && strcmp(ms->cwd, ".")) {
		size_t n = strlen(release_dir) + strlen(ms->cwd) + 2;

		if (!(out->cwd = malloc(n)))
			return -1;
		snprintf(out->cwd, n, "%s/%s", release_dir, ms->cwd);
	} else if (!(out->cwd = strdup(release_dir))) {
		return -1;
	}
	return 0;
}

int svc_spec_build(const struct manifest_service *ms, const char *release_dir, const char *version,
                   const struct envfile *env, char *const *base, struct svc_spec *out,
                   struct err *err)
{
	struct envv e = {0};
	char portbuf[16];
	const char *host = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (ms->cwd && cwd_escapes(ms->cwd))
		return fail_kind(err, ERR_SYSTEM, "service %s: cwd %s leaves the release", ms->name,
		                 ms->cwd);
	if (build_command(ms, release_dir, out) < 0)
		goto oom;
	for (; base && *base; base++) {
		const char *eq = strchr(*base, '=');

		if (eq && inherited(*base, (size_t)(eq - *base)) &&
		    envv_set(&e, *base, (size_t)(eq - *base), eq + 1) < 0)
			goto oom;
	}
	for (i = 0; i < ms->n_env; i++) {
		char *v = svc_expand_release(ms->env[i].value, release_dir);
		int r;

		if (!v)
			goto oom;
		r = envv_set(&e, ms->env[i].key, strlen(ms->env[i].key), v);
		free(v);
		if (r < 0)
			goto oom;
		if (!strcmp(ms->env[i].key, "HOSTNAME"))
			host = ms->env[i].value;
	}
	for (i = 0; env && i < env->n; i++)
		if (envv_set(&e, env->vars[i].key, strlen(env->vars[i].key), env->vars[i].value) <
		    0)
			goto oom;
	if (env && envfile_get(env, "HOSTNAME"))
		host = envfile_get(env, "HOSTNAME");
	if (envv_set(&e, "SLIPWAY_RELEASE", 15, release_dir) < 0 ||
	    envv_set(&e, "SLIPWAY_VERSION", 15, version) < 0 ||
	    envv_set(&e, "SLIPWAY_SERVICE", 15, ms->name) < 0)
		goto oom;
	if (ms->port > 0) {
		if (!host || !*host)
			host = SVC_DEFAULT_HOST;
		snprintf(portbuf, sizeof(portbuf), "%d", ms->port);
		if (envv_set(&e, "PORT", 4, portbuf) < 0 || envv_set(&e, "HOSTNAME", 8, host) < 0 ||
		    !(out->host = strdup(host)))
			goto oom;
	}
	free(e.index);
	e.index = NULL;
	if (!e.v && !(e.v = calloc(1, sizeof(char *))))
		goto oom;
	out->envp = e.v;
	out->port = ms->port;
	out->health_base = ms->port ? 0 : ms->health_port;
	out->ready = ms->ready;
	out->kill_mode = manifest_kill_mode(ms);
	if ((ms->ready_path && !(out->ready_path = strdup(ms->ready_path))) ||
	    (ms->ready_log && !(out->ready_log = strdup(ms->ready_log))))
		goto oom_env;
	out->ready_timeout_ms =
	    ms->ready_timeout_ms ? ms->ready_timeout_ms : SVC_DEFAULT_READY_TIMEOUT_MS;
	out->stop_timeout_ms =
	    ms->stop_timeout_ms ? ms->stop_timeout_ms : SVC_DEFAULT_STOP_TIMEOUT_MS;
	return 0;
oom:
	free(e.index);
	if (e.v) {
		for (i = 0; i < e.n; i++)
			wipe_free(e.v[i]);
		free(e.v);
	}
oom_env:
	svc_spec_release(out);
	return fail_oom(err);
}

void svc_spec_release(struct svc_spec *s)
{
	size_t i;

	for (i = 0; s->argv && s->argv[i]; i++)
		free(s->argv[i]);
	for (i = 0; s->envp && s->envp[i]; i++)
		wipe_free(s->envp[i]);
	free(s->argv);
	free(s->envp);
	free(s->name);
	free(s->cwd);
	free(s->host);
	free(s->ready_path);
	free(s->ready_log);
	memset(s, 0, sizeof(*s));
}

int svc_spec_set_env(struct svc_spec *s, const char *key, const char *value, struct err *err)
{
	struct envv e = {.v = s->envp};
	int rc;

	while (e.v && e.v[e.n])
		e.n++;
	e.cap = e.n + 1; /* what envp holds, its NULL included */
	rc = envv_set(&e, key, strlen(key), value);
	free(e.index);
	if (rc < 0)
		return fail_oom(err);
	s->envp = e.v;
	return 0;
}

int svc_spec_add_action_key(struct svc_spec *s, const struct manifest *m,
                            const struct manifest_service *ms, const struct envfile *env,
                            const char *key, struct err *err)
{
	if (!key || !*key || !manifest_service_runs_nextjs(m, ms) ||
	    (env && envfile_get(env, NEXT_ACTION_KEY_ENV)))
		return 0;
	return svc_spec_set_env(s, NEXT_ACTION_KEY_ENV, key, err);
}
