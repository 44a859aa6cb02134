/* Kubernetes YAML (specs/oci.md "Kubernetes"); see k8s.h. */
#include "release/oci/k8s.h"
#include "release/base/error.h"
#include "release/base/textbuf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K8S_NAME_MAX    63
#define PROBE_PERIOD_S  2
#define PROBE_TIMEOUT_S 2
#define PROBE_FAILURES  3

/* ---- names ---- */

/* Lowercase, '.' and '_' become '-'. */
static void k8s_word(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++)
		out[i] = in[i] == '.' || in[i] == '_' ? '-' : (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

/* RFC 1035 label, as Kubernetes wants for Service names. */
static bool dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > K8S_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void object_name(const char *app, const char *service, char *out, size_t cap)
{
	char a[MANIFEST_MAX_NAME + 1], s[64];

	k8s_word(app, a, sizeof(a));
	k8s_word(service, s, sizeof(s));
	snprintf(out, cap, "%s-%s", a, s);
}

int oci_k8s_check(const struct oci_k8s *k, struct err *err)
{
	char name[2 * MANIFEST_MAX_NAME + 2], other[sizeof(name)];

	for (size_t i = 0; i < k->n_services; i++) {
		object_name(k->m->app, k->services[i].name, name, sizeof(name));
		if (!dns_label(name))
			return fail(err,
			            "app %s, service %s: the Kubernetes name %s is not a DNS label "
			            "(a letter, then letters, digits or '-', at most %d)",
			            k->m->app, k->services[i].name, name, K8S_NAME_MAX);
		for (size_t j = 0; j < i; j++) {
			object_name(k->m->app, k->services[j].name, other, sizeof(other));
			if (!strcmp(name, other))
				return fail(err,
				            "services %s and %s both become the Kubernetes name %s",
				            k->services[j].name, k->services[i].name, name);
		}
	}
	return 0;
}

/* A Kubernetes label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static bool label_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > K8S_NAME_MAX || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static bool docker_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	return true;
}

char *oci_k8s_image_ref(const char *name, const char *app, const char *tag, const char *digest)
{
	char lower[MANIFEST_MAX_NAME + 1], *ref;
	size_t i;

	if (!name) {
		for (i = 0; app[i] && i < MANIFEST_MAX_NAME; i++)
			lower[i] = (char)tolower((unsigned char)app[i]);
		lower[i] = '\0';
		name = lower;
	}
	if (docker_tag(tag) ? asprintf(&ref, "%s:%s@%s", name, tag, digest) < 0
	                    : asprintf(&ref, "%s@%s", name, digest) < 0)
		return NULL;
	return ref;
}

int oci_k8s_image_name_check(const char *name, struct err *err)
{
	if (!*name || strlen(name) > 255)
		return fail(err, "--k8s-image: 1 to 255 characters");
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("\"'@\\", *p))
			return fail(err,
			            "--k8s-image %.100s: a name such as registry.example/%s, "
			            "without spaces, quotes or '@'",
			            name, "app");
	return 0;
}

/* ---- YAML text ---- */

/* A YAML double-quoted scalar. Everything YAML does not print as itself is escaped: C0 and
 * C1 controls, DEL, and the characters YAML 1.1 treats as line breaks (NEL, LS, PS) or
 * strips (BOM). The input is valid UTF-8 (manifest strings are). */
static void qstr(struct textbuf *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	textbuf_puts(o, "\"");
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			textbuf_printf(o, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			textbuf_printf(o, "\\x%02x", *p);
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			textbuf_printf(o, "\\x%02x", p[1]);
			p++;
		} else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			textbuf_printf(o, "\\u20%02x", p[2] == 0xa8 ? 0x28 : 0x29);
			p += 2;
		} else if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
			textbuf_puts(o, "\\ufeff");
			p += 2;
		} else {
			textbuf_put(o, (const char *)p, 1);
		}
	}
	textbuf_puts(o, "\"");
}

/* indent, "key: ", quoted value, newline */
static void kv(struct textbuf *o, int indent, const char *key, const char *value)
{
	textbuf_printf(o, "%*s%s: ", indent, "", key);
	qstr(o, value);
	textbuf_puts(o, "\n");
}

/* indent, "- ", quoted value, newline */
static void item(struct textbuf *o, int indent, const char *value)
{
	textbuf_printf(o, "%*s- ", indent, "");
	qstr(o, value);
	textbuf_puts(o, "\n");
}

static void labels(struct textbuf *o, int indent, const struct oci_k8s *k, const char *service,
                   bool selector)
{
	kv(o, indent, "app.kubernetes.io/name", k->m->app);
	kv(o, indent, "app.kubernetes.io/component", service);
	if (selector)
		return;
	if (label_value(k->m->version))
		kv(o, indent, "app.kubernetes.io/version", k->m->version);
	kv(o, indent, "app.kubernetes.io/managed-by", "slipway");
}

static void metadata(struct textbuf *o, const struct oci_k8s *k, const char *name,
                     const char *service)
{
	char serial[24];

	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)k->m->serial);
	textbuf_puts(o, "metadata:\n");
	kv(o, 2, "name", name);
	textbuf_puts(o, "  labels:\n");
	labels(o, 4, k, service, false);
	textbuf_puts(o, "  annotations:\n");
	kv(o, 4, "dev.slipway.version", k->m->version);
	kv(o, 4, "dev.slipway.serial", serial);
}

/* An env entry `key` from the Secret's key of the same name. */
static void secret_ref(struct textbuf *o, const char *secret, const char *key, bool optional)
{
	kv(o, 12, "- name", key);
	textbuf_puts(o, "              valueFrom:\n");
	textbuf_puts(o, "                secretKeyRef:\n");
	kv(o, 18, "name", secret);
	kv(o, 18, "key", key);
	if (optional)
		textbuf_puts(o, "                  optional: true\n");
}

static void secret_refs(struct textbuf *o, const struct oci_k8s *k, const char *secret)
{
	const struct manifest *m = k->m;

	for (int pass = 0; pass < 2; pass++) {
		char **names = pass ? m->secrets_optional : m->secrets_required;
		size_t n = pass ? m->n_secrets_optional : m->n_secrets_required;

		for (size_t i = 0; i < n; i++)
			secret_ref(o, secret, names[i], pass);
	}
}

/* Whether the manifest names `key` as a secret (then secret_refs has it). */
static bool is_secret(const struct manifest *m, const char *key)
{
	for (size_t i = 0; i < m->n_secrets_required; i++)
		if (!strcmp(m->secrets_required[i], key))
			return true;
	for (size_t i = 0; i < m->n_secrets_optional; i++)
		if (!strcmp(m->secrets_optional[i], key))
			return true;
	return false;
}

/* Whether service s gets its Server Actions key from the Secret (specs/oci.md "Next.js Server
 * Actions"): a Next.js service, as the image has no key and replicas must share one, unless
 * the manifest already passes it (as a secret, or in the service's own environment). */
static bool takes_action_key(const struct oci_k8s *k, const struct oci_service *s)
{
	const struct manifest_service *ms = manifest_find_service(k->m, s->name);

	return ms && manifest_service_runs_nextjs(k->m, ms) &&
	       !is_secret(k->m, NEXT_ACTION_KEY_ENV) && !oci_env_has(s->envp, NEXT_ACTION_KEY_ENV);
}

/* `name: value` entries of an env list; with `blank`, the value is "". */
static void env_entries(struct textbuf *o, char *const *envp, char *const *skip, bool blank)
{
	for (char *const *e = envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char *key;

		if (!eq || (skip && oci_env_has(skip, *e)))
			continue;
		if (!(key = strndup(*e, (size_t)(eq - *e)))) {
			o->oom = true;
			return;
		}
		kv(o, 12, "- name", key);
		kv(o, 14, "value", blank ? "" : eq + 1);
		free(key);
	}
}

static void container(struct textbuf *o, const struct oci_k8s *k, const struct oci_service *s,
                      const char *secret)
{
	const struct oci_service *dflt = &k->services[k->main];

	kv(o, 8, "- name", s->name);
	kv(o, 10, "image", k->image);
	textbuf_puts(o, "          command:\n");
	for (char *const *a = s->argv; *a; a++)
		item(o, 12, *a);
	kv(o, 10, "workingDir", s->workdir);
	textbuf_puts(o, "          env:\n");
	env_entries(o, s->envp, NULL, false);
	/* The image's Env is the default service's: blank what this one does not set. */
	if (s != dflt)
		env_entries(o, dflt->envp, s->envp, true);
	secret_refs(o, k, secret);
	if (takes_action_key(k, s))
		secret_ref(o, secret, NEXT_ACTION_KEY_ENV, true);
	if (s->port > 0) {
		textbuf_puts(o, "          ports:\n");
		textbuf_printf(o, "            - containerPort: %d\n", s->port);
		textbuf_puts(o, "              protocol: TCP\n");
	}
	if (s->ready == READY_HTTP || s->ready == READY_TCP) {
		textbuf_puts(o, "          readinessProbe:\n");
		if (s->ready == READY_HTTP) {
			textbuf_puts(o, "            httpGet:\n");
			kv(o, 14, "path", s->ready_path);
		} else {
			textbuf_puts(o, "            tcpSocket:\n");
		}
		textbuf_printf(o, "              port: %d\n", s->port);
		textbuf_printf(o, "            periodSeconds: %d\n", PROBE_PERIOD_S);
		textbuf_printf(o, "            timeoutSeconds: %d\n", PROBE_TIMEOUT_S);
		textbuf_printf(o, "            failureThreshold: %d\n", PROBE_FAILURES);
	}
}

static void deployment(struct textbuf *o, const struct oci_k8s *k, const struct oci_service *s,
                       const char *name, const char *secret)
{
	textbuf_puts(o, "---\napiVersion: apps/v1\nkind: Deployment\n");
	metadata(o, k, name, s->name);
	textbuf_puts(o, "spec:\n  replicas: 1\n  selector:\n    matchLabels:\n");
	labels(o, 6, k, s->name, true);
	textbuf_puts(o, "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n");
	textbuf_puts(o, "      maxUnavailable: 0\n      maxSurge: 1\n");
	textbuf_puts(o, "  template:\n    metadata:\n      labels:\n");
	labels(o, 8, k, s->name, false);
	textbuf_puts(o, "    spec:\n");
	textbuf_printf(o, "      terminationGracePeriodSeconds: %llu\n",
	               (unsigned long long)((s->stop_timeout_ms + 999) / 1000));
	textbuf_puts(o, "      containers:\n");
	container(o, k, s, secret);
}

static void service(struct textbuf *o, const struct oci_k8s *k, const struct oci_service *s,
                    const char *name)
{
	textbuf_puts(o, "---\napiVersion: v1\nkind: Service\n");
	metadata(o, k, name, s->name);
	textbuf_puts(o, "spec:\n  selector:\n");
	labels(o, 4, k, s->name, true);
	textbuf_puts(o, "  ports:\n");
	textbuf_printf(o, "    - port: %d\n      targetPort: %d\n      protocol: TCP\n", s->port,
	               s->port);
}

int oci_k8s_yaml(const struct oci_k8s *k, char **out, size_t *len, struct err *err)
{
	struct textbuf o = {0};
	char name[2 * MANIFEST_MAX_NAME + 2], secret[MANIFEST_MAX_NAME + 16],
	    app[MANIFEST_MAX_NAME + 1];

	if (oci_k8s_check(k, err) < 0)
		return -1;
	k8s_word(k->m->app, app, sizeof(app));
	snprintf(secret, sizeof(secret), "%s-secrets", app);
	textbuf_printf(
	    &o, "# Kubernetes objects for %s %s (serial %llu), written by slipway export-oci.\n",
	    k->m->app, k->m->version, (unsigned long long)k->m->serial);
	textbuf_printf(&o, "# Secrets come from the Secret \"%s\" (never written here), e.g.\n",
	               secret);
	textbuf_printf(&o, "#   kubectl create secret generic %s --from-env-file=shared/env\n",
	               secret);
	for (size_t i = 0; i < k->n_services; i++)
		if (takes_action_key(k, &k->services[i])) {
			textbuf_puts(
			    &o, "# Next.js reads " NEXT_ACTION_KEY_ENV " from it too, when there:\n"
			        "# base64 of 32 random bytes, the same for every replica.\n");
			break;
		}
	for (size_t i = 0; i < k->n_services; i++) {
		object_name(k->m->app, k->services[i].name, name, sizeof(name));
		deployment(&o, k, &k->services[i], name, secret);
		if (k->services[i].port > 0)
			service(&o, k, &k->services[i], name);
	}
	if (o.oom) {
		free(o.p);
		return fail_oom(err);
	}
	*out = o.p;
	*len = o.len;
	return 0;
}
