/* Image config and labels (specs/oci.md); see image.h. */
#include "release/oci/image.h"
#include "release/base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_PREFIX "dev.slipway."

static json_object *string_array(char *const *v)
{
	json_object *a = json_object_new_array();

	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

bool oci_env_has(char *const *envp, const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, kv, n) && ((*envp)[n] == '=' || !(*envp)[n]))
			return true;
	return false;
}

/* Adds "NAME=value" strings to o as "NAME": "value" (or "" with `blank`), in order,
 * skipping names `skip` sets. */
static void env_add(json_object *o, char *const *envp, char *const *skip, bool blank)
{
	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		char *key;

		if (!eq || (skip && oci_env_has(skip, *envp)) ||
		    !(key = strndup(*envp, (size_t)(eq - *envp))))
			continue;
		json_object_object_add(o, key, json_object_new_string(blank ? "" : eq + 1));
		free(key);
	}
}

/* The environment to set to run service i from the image: its own, plus the default
 * service's other variables blanked. */
static json_object *env_override(const struct oci_export *x, size_t i)
{
	json_object *o = json_object_new_object();

	env_add(o, x->services[i].envp, NULL, false);
	if (i != x->main)
		env_add(o, x->services[x->main].envp, x->services[i].envp, true);
	return o;
}

/* How to run each service from this image: what a command override needs. */
static char *services_json(const struct oci_export *x)
{
	json_object *a = json_object_new_array();
	char *text;

	for (size_t i = 0; i < x->n_services; i++) {
		const struct oci_service *s = &x->services[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "command", string_array(s->argv));
		json_object_object_add(o, "workdir", json_object_new_string(s->workdir));
		json_object_object_add(o, "env", env_override(x, i));
		json_object_object_add(o, "port", json_object_new_int(s->port));
		json_object_array_add(a, o);
	}
	text = oci_json_text(a, NULL);
	json_object_put(a);
	return text;
}

json_object *oci_labels(const struct oci_export *x, const char *base_digest)
{
	json_object *o = json_object_new_object();
	const struct manifest *m = x->m;
	char serial[24], *services = services_json(x);

	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)m->serial);
	json_object_object_add(o, "org.opencontainers.image.title", json_object_new_string(m->app));
	json_object_object_add(o, "org.opencontainers.image.version",
	                       json_object_new_string(m->version));
	if (m->commit && *m->commit)
		json_object_object_add(o, "org.opencontainers.image.revision",
		                       json_object_new_string(m->commit));
	json_object_object_add(o, "org.opencontainers.image.created",
	                       json_object_new_string(m->build_time));
	json_object_object_add(o, "org.opencontainers.image.base.digest",
	                       json_object_new_string(base_digest));
	json_object_object_add(o, LABEL_PREFIX "serial", json_object_new_string(serial));
	json_object_object_add(o, LABEL_PREFIX "archive.blake2b",
	                       json_object_new_string(x->archive_blake2b));
	json_object_object_add(o, LABEL_PREFIX "service",
	                       json_object_new_string(x->services[x->main].name));
	json_object_object_add(o, LABEL_PREFIX "services",
	                       json_object_new_string(services ? services : "[]"));
	free(services);
	return o;
}

static size_t key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');

	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* The base image's Env with the service's variables set: replaced in place when the base
 * has them, appended in the service's order otherwise. */
static json_object *merge_env(json_object *base, char *const *envp)
{
	json_object *out = json_object_new_array();
	size_t n =
	    base && json_object_is_type(base, json_type_array) ? json_object_array_length(base) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(base, i);
		const char *kv = json_object_get_string(e);
		char *const *p;

		if (!json_object_is_type(e, json_type_string))
			continue;
		for (p = envp; p && *p; p++)
			if (key_len(*p) == key_len(kv) && !strncmp(*p, kv, key_len(kv)))
				break;
		json_object_array_add(out, json_object_new_string(p && *p ? *p : kv));
	}
	for (char *const *p = envp; p && *p; p++) {
		bool seen = false;

		for (size_t i = 0; i < n && !seen; i++) {
			const char *kv = json_object_get_string(json_object_array_get_idx(base, i));

			seen = kv && key_len(kv) == key_len(*p) && !strncmp(*p, kv, key_len(kv));
		}
		if (!seen)
			json_object_array_add(out, json_object_new_string(*p));
	}
	return out;
}

static json_object *child(json_object *parent, const char *key)
{
	json_object *o;

	if (json_object_object_get_ex(parent, key, &o) && json_object_is_type(o, json_type_object))
		return o;
	o = json_object_new_object();
	json_object_object_add(parent, key, o);
	return o;
}

int oci_config_apply(json_object *config, const struct oci_export *x, const char *base_digest,
                     const char *diff_id, size_t base_layers, struct err *err)
{
	const struct oci_service *s = &x->services[x->main];
	json_object *rootfs, *diff_ids, *cfg, *env = NULL, *labels, *ours, *hist;
	char port[16], comment[512];

	if (!json_object_object_get_ex(config, "rootfs", &rootfs) ||
	    !json_object_is_type(rootfs, json_type_object) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &diff_ids) ||
	    !json_object_is_type(diff_ids, json_type_array))
		return fail(err, "the base image config has no rootfs.diff_ids");
	if (json_object_array_length(diff_ids) != base_layers)
		return fail(err, "the base image config lists %zu layers, its manifest %zu",
		            json_object_array_length(diff_ids), base_layers);
	json_object_array_add(diff_ids, json_object_new_string(diff_id));
	json_object_object_add(config, "created", json_object_new_string(x->m->build_time));

	cfg = child(config, "config");
	json_object_object_get_ex(cfg, "Env", &env);
	json_object_object_add(cfg, "Env", merge_env(env, s->envp));
	json_object_object_del(cfg, "Entrypoint");
	json_object_object_add(cfg, "Cmd", string_array(s->argv));
	json_object_object_add(cfg, "WorkingDir", json_object_new_string(s->workdir));
	json_object_object_del(cfg, "ExposedPorts");
	if (s->port > 0) {
		json_object *ports = json_object_new_object();

		snprintf(port, sizeof(port), "%d/tcp", s->port);
		json_object_object_add(ports, port, json_object_new_object());
		json_object_object_add(cfg, "ExposedPorts", ports);
	}
	json_object_object_add(cfg, "StopSignal", json_object_new_string("SIGTERM"));
	labels = child(cfg, "Labels");
	ours = oci_labels(x, base_digest);
	json_object_object_foreach(ours, k, v)
	    json_object_object_add(labels, k, json_object_get(v));
	json_object_put(ours);

	if (json_object_object_get_ex(config, "history", &hist) &&
	    json_object_is_type(hist, json_type_array)) {
		json_object *h = json_object_new_object();

		snprintf(comment, sizeof(comment), "release %s %s (serial %llu)", x->m->app,
		         x->m->version, (unsigned long long)x->m->serial);
		json_object_object_add(h, "created", json_object_new_string(x->m->build_time));
		json_object_object_add(h, "created_by",
		                       json_object_new_string("slipway export-oci"));
		json_object_object_add(h, "comment", json_object_new_string(comment));
		json_object_array_add(hist, h);
	}
	return 0;
}
