/* manifest_to_json: the deterministic serialisation described in specs/manifest.md
 * ("Canonical form"): fixed key order, two-space indentation, one file per line. */
#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *grown;

		while (b->len + n + 1 > cap)
			cap *= 2;
		grown = realloc(b->p, cap);
		if (!grown) {
			b->oom = 1;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(tmp)) {
		put(b, tmp, (size_t)n);
		return;
	}
	/* vsnprintf returns the length it wanted: never copy more than was written. */
	big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	put(b, big, (size_t)n);
	free(big);
}

/* JSON string: escapes '"', '\\' and bytes below 0x20; other bytes (UTF-8) pass through. */
static void put_str(struct buf *b, const char *s)
{
	put(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			put(b, esc, 2);
		} else if (c == '\n') {
			put(b, "\\n", 2);
		} else if (c == '\t') {
			put(b, "\\t", 2);
		} else if (c < 0x20) {
			putf(b, "\\u%04x", c);
		} else {
			put(b, p, 1);
		}
	}
	put(b, "\"", 1);
}

static void put_strv(struct buf *b, char **v, size_t n)
{
	put(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(b, ", ", 2);
		put_str(b, v[i]);
	}
	put(b, "]", 1);
}

static void put_service(struct buf *b, const struct manifest_service *s)
{
	static const char *const ready[] = {"none", "tcp", "http", "log"};

	puts_(b, "    {\n      \"name\": ");
	put_str(b, s->name);
	puts_(b, ",\n      \"argv\": ");
	put_strv(b, s->argv, s->argc);
	puts_(b, ",\n      \"cwd\": ");
	put_str(b, s->cwd);
	puts_(b, ",\n      \"env\": {");
	for (size_t i = 0; i < s->n_env; i++) {
		puts_(b, i ? ", " : "");
		put_str(b, s->env[i].key);
		puts_(b, ": ");
		put_str(b, s->env[i].value);
	}
	putf(b, "},\n      \"port\": %d,\n", s->port);
	if (s->health_port)
		putf(b, "      \"health_port\": %d,\n", s->health_port);
	putf(b, "      \"ready\": \"%s\",\n", ready[s->ready]);
	if (s->ready == READY_HTTP) {
		puts_(b, "      \"ready_path\": ");
		put_str(b, s->ready_path);
		puts_(b, ",\n");
	}
	if (s->ready == READY_LOG) {
		puts_(b, "      \"ready_log\": ");
		put_str(b, s->ready_log);
		puts_(b, ",\n");
	}
	putf(b, "      \"ready_timeout_ms\": %llu,\n      \"stop_timeout_ms\": %llu",
	     (unsigned long long)s->ready_timeout_ms, (unsigned long long)s->stop_timeout_ms);
	/* Only when set, so manifests that do not use it stay readable by older versions. */
	if (s->kill_mode != KILL_DEFAULT)
		putf(b, ",\n      \"kill_mode\": \"%s\"",
		     s->kill_mode == KILL_GROUP ? "group" : "process");
	puts_(b, "\n    }");
}

static void put_file(struct buf *b, const struct manifest_file *f)
{
	static const char hex[] = "0123456789abcdef";

	puts_(b, "    {\"path\": ");
	put_str(b, f->path);
	switch (f->type) {
	case MANIFEST_FILE: {
		char digest[65];

		for (int i = 0; i < 32; i++) {
			digest[2 * i] = hex[f->sha256[i] >> 4];
			digest[2 * i + 1] = hex[f->sha256[i] & 15];
		}
		digest[64] = '\0';
		putf(
		    b,
		    ", \"type\": \"file\", \"mode\": \"%04o\", \"size\": %llu, \"sha256\": \"%s\"}",
		    f->mode, (unsigned long long)f->size, digest);
		break;
	}
	case MANIFEST_DIR:
		puts_(b, ", \"type\": \"dir\", \"mode\": \"0755\"}");
		break;
	case MANIFEST_SYMLINK:
		puts_(b, ", \"type\": \"symlink\", \"mode\": \"0777\", \"target\": ");
		put_str(b, f->target);
		puts_(b, "}");
		break;
	}
}

int manifest_to_json(const struct manifest *m, char **out, size_t *len, struct err *err)
{
	struct buf b = {0};

	*out = NULL;
	if (manifest_validate(m, err) < 0)
		return -1;
	putf(&b, "{\n  \"format\": %d,\n  \"app\": ", m->format);
	put_str(&b, m->app);
	puts_(&b, ",\n  \"version\": ");
	put_str(&b, m->version);
	putf(&b, ",\n  \"serial\": %llu,\n  \"commit\": ", (unsigned long long)m->serial);
	put_str(&b, m->commit);
	putf(&b, ",\n  \"dirty\": %s,\n  \"build_time\": ", m->dirty ? "true" : "false");
	put_str(&b, m->build_time);
	puts_(&b, ",\n  \"slipway_version\": ");
	put_str(&b, m->slipway_version);
	puts_(&b, ",\n  \"secrets\": {\"required\": ");
	put_strv(&b, m->secrets_required, m->n_secrets_required);
	puts_(&b, ", \"optional\": ");
	put_strv(&b, m->secrets_optional, m->n_secrets_optional);
	puts_(&b, "},\n  \"services\": [");
	for (size_t i = 0; i < m->n_services; i++) {
		puts_(&b, i ? ",\n" : "\n");
		put_service(&b, &m->services[i]);
	}
	puts_(&b, m->n_services ? "\n  ],\n  \"files\": [" : "],\n  \"files\": [");
	for (size_t i = 0; i < m->n_files; i++) {
		puts_(&b, i ? ",\n" : "\n");
		put_file(&b, &m->files[i]);
	}
	puts_(&b, m->n_files ? "\n  ]\n}\n" : "]\n}\n");
	if (b.oom) {
		free(b.p);
		return fail_oom(err);
	}
	if (b.len > MANIFEST_MAX_BYTES) {
		free(b.p);
		return fail(err, "manifest: larger than %u bytes", MANIFEST_MAX_BYTES);
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return 0;
}
