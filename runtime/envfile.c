#include "runtime/envfile.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void wipe(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
}

static int valid_key(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++) {
		char c = k[i];

		if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* FNV-1a: the index that keeps parsing linear in the number of names. */
static size_t hash_key(const char *k, size_t n)
{
	size_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return h;
}

/* The slot of `k` in the index: the one holding it, or the empty one where it would go. */
static size_t *slot_of(const struct envfile *env, const char *k, size_t n)
{
	size_t mask = env->index_cap - 1, i = hash_key(k, n) & mask;

	for (;; i = (i + 1) & mask) {
		size_t *slot = &env->index[i];

		if (*slot == 0)
			return slot;
		if (!strncmp(env->vars[*slot - 1].key, k, n) && env->vars[*slot - 1].key[n] == '\0')
			return slot;
	}
}

/* Keeps the index at most half full (slots hold var index + 1; 0 is empty). */
static int grow_index(struct envfile *env)
{
	size_t cap = env->index_cap ? env->index_cap * 2 : 64, *old = env->index;

	if (env->index_cap && env->n + 1 <= env->index_cap / 2)
		return 0;
	if (!(env->index = calloc(cap, sizeof(*env->index)))) {
		env->index = old;
		return -1;
	}
	env->index_cap = cap;
	for (size_t i = 0; i < env->n; i++)
		*slot_of(env, env->vars[i].key, strlen(env->vars[i].key)) = i + 1;
	free(old);
	return 0;
}

static int set_var(struct envfile *env, const char *k, size_t kn, const char *v, size_t vn)
{
	char *key = NULL, *value = strndup(v, vn);
	size_t *slot;

	if (!value || grow_index(env) < 0)
		goto oom;
	slot = slot_of(env, k, kn);
	if (*slot) {
		struct manifest_env *e = &env->vars[*slot - 1];

		wipe(e->value);
		free(e->value);
		e->value = value;
		return 0;
	}
	if (env->n == env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 16;
		struct manifest_env *grown = realloc(env->vars, cap * sizeof(*grown));

		if (!grown)
			goto oom;
		env->vars = grown;
		env->cap = cap;
	}
	if (!(key = strndup(k, kn)))
		goto oom;
	env->vars[env->n].key = key;
	env->vars[env->n].value = value;
	*slot = ++env->n;
	return 0;
oom:
	free(key);
	wipe(value);
	free(value);
	return -1;
}

/* Names slipway sets or strips itself (specs/runtime.md "Environment"): from shared/env they
 * would reach services slipway did not mean them for (a health port, a socket, a channel).
 * SLIPWAY_SOCKET is the one SLIPWAY_ name that is the operator's to set. */
static const char *reserved(const char *k, size_t n)
{
	if (n == 14 && !strncmp(k, "SLIPWAY_SOCKET", 14))
		return NULL;
	if (n >= 8 && !strncmp(k, "SLIPWAY_", 8))
		return "SLIPWAY_*";
	if (n >= 7 && !strncmp(k, "LISTEN_", 7))
		return "LISTEN_*";
	if (n == 15 && !strncmp(k, "NODE_CHANNEL_FD", 15))
		return "NODE_CHANNEL_FD";
	return NULL;
}

int envfile_parse(const char *text, size_t len, struct envfile *out, struct err *err)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *k, *eq, *v, *ve;

		if (!eol)
			eol = end;
		line++;
		k = p;
		p = eol + 1;
		while (k < eol && (*k == ' ' || *k == '\t'))
			k++;
		ve = eol;
		if (ve > k && ve[-1] == '\r')
			ve--;
		if (k == ve || *k == '#')
			continue;
		if ((size_t)(ve - k) > 7 && !strncmp(k, "export ", 7))
			k += 7;
		eq = memchr(k, '=', (size_t)(ve - k));
		if (!eq || !valid_key(k, (size_t)(eq - k))) {
			envfile_release(out);
			return fail(
			    err, "line %u: expected KEY=VALUE with KEY made of [A-Za-z0-9_]", line);
		}
		if (reserved(k, (size_t)(eq - k))) {
			const char *what = reserved(k, (size_t)(eq - k));

			envfile_release(out);
			return fail(err,
			            "line %u: %.*s is reserved (%s): slipway sets it for the "
			            "services itself; remove it",
			            line, (int)(eq - k > 64 ? 64 : eq - k), k, what);
		}
		v = eq + 1;
		if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
			v++;
			ve--;
		}
		if (memchr(v, '\0', (size_t)(ve - v))) {
			envfile_release(out);
			return fail(err, "line %u: contains a NUL byte", line);
		}
		if (set_var(out, k, (size_t)(eq - k), v, (size_t)(ve - v)) < 0) {
			envfile_release(out);
			return fail_oom(err);
		}
	}
	return 0;
}

int envfile_load(const char *path, int missing_ok, struct envfile *out, int *missing,
                 struct err *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, rc = -1;

	memset(out, 0, sizeof(*out));
	if (missing)
		*missing = 0;
	/* Never waited for: a FIFO or a device in its place is refused, never opened blocking. */
	fd = open_regular_at(AT_FDCWD, path, 1, &st, err);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok) {
			if (missing)
				*missing = 1;
			return 0;
		}
		if (errno == ELOOP)
			return fail(
			    err, "%s: is a symlink; refusing to read secrets through a link", path);
		return fail_recast(err, ERR_REFUSED);
	}
	if (st.st_uid != geteuid()) {
		fail(err, "%s: owned by uid %u, not by the running user (uid %u); refusing secrets",
		     path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (st.st_mode & 077) {
		fail(err, "%s: mode %04o lets other users read the secrets; run: chmod 600 %s",
		     path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (read_fd_all(fd, ENVFILE_MAX_BYTES, &text, &len, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	if (envfile_parse(text, len, out, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	close(fd);
	return rc;
}

const char *envfile_get(const struct envfile *env, const char *key)
{
	size_t i, *slot;

	if (env->index) {
		slot = slot_of(env, key, strlen(key));
		return *slot ? env->vars[*slot - 1].value : NULL;
	}
	for (i = 0; i < env->n; i++)
		if (!strcmp(env->vars[i].key, key))
			return env->vars[i].value;
	return NULL;
}

bool envfile_has_value(const struct envfile *env, const char *key)
{
	const char *v = envfile_get(env, key);

	return v && *v;
}

size_t envfile_missing(const struct envfile *env, char *const *required, size_t n_required,
                       char *names, size_t cap)
{
	size_t i, missing = 0, used = 0;

	if (cap)
		names[0] = '\0';
	for (i = 0; i < n_required; i++) {
		int w;

		if (envfile_has_value(env, required[i]))
			continue;
		missing++;
		if (used < cap) {
			w = snprintf(names + used, cap - used, "%s%s", used ? " " : "",
			             required[i]);
			if (w > 0)
				used += (size_t)w;
		}
	}
	return missing;
}

void envfile_release(struct envfile *env)
{
	size_t i;

	for (i = 0; i < env->n; i++) {
		wipe(env->vars[i].value);
		free(env->vars[i].key);
		free(env->vars[i].value);
	}
	free(env->vars);
	free(env->index);
	memset(env, 0, sizeof(*env));
}
