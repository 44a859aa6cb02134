/* manifest_to_json, manifest_write_json: the deterministic serialisation described in
 * specs/manifest.md ("Canonical form"): fixed key order, two-space indentation, one file per
 * line. */
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/base/textbuf.h"
#include "release/manifest/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_str(struct textbuf *b, const char *s)
{
	textbuf_put(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			textbuf_put(b, esc, 2);
		} else if (c == '\n') {
			textbuf_put(b, "\\n", 2);
		} else if (c == '\t') {
			textbuf_put(b, "\\t", 2);
		} else if (c < 0x20) {
			textbuf_printf(b, "\\u%04x", c);
		} else {
			textbuf_put(b, p, 1);
		}
	}
	textbuf_put(b, "\"", 1);
}

static void put_strv(struct textbuf *b, char **v, size_t n)
{
	textbuf_put(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			textbuf_put(b, ", ", 2);
		put_str(b, v[i]);
	}
	textbuf_put(b, "]", 1);
}

static void put_service(struct textbuf *b, const struct manifest_service *s)
{
	static const char *const ready[] = {"none", "tcp", "http", "log"};

	textbuf_puts(b, "    {\n      \"name\": ");
	put_str(b, s->name);
	textbuf_puts(b, ",\n      \"argv\": ");
	put_strv(b, s->argv, s->argc);
	textbuf_puts(b, ",\n      \"cwd\": ");
	put_str(b, s->cwd);
	textbuf_puts(b, ",\n      \"env\": {");
	for (size_t i = 0; i < s->n_env; i++) {
		textbuf_puts(b, i ? ", " : "");
		put_str(b, s->env[i].key);
		textbuf_puts(b, ": ");
		put_str(b, s->env[i].value);
	}
	textbuf_printf(b, "},\n      \"port\": %d,\n", s->port);
	if (s->health_port)
		textbuf_printf(b, "      \"health_port\": %d,\n", s->health_port);
	textbuf_printf(b, "      \"ready\": \"%s\",\n", ready[s->ready]);
	if (s->ready == READY_HTTP) {
		textbuf_puts(b, "      \"ready_path\": ");
		put_str(b, s->ready_path);
		textbuf_puts(b, ",\n");
	}
	if (s->ready == READY_LOG) {
		textbuf_puts(b, "      \"ready_log\": ");
		put_str(b, s->ready_log);
		textbuf_puts(b, ",\n");
	}
	textbuf_printf(b, "      \"ready_timeout_ms\": %llu,\n      \"stop_timeout_ms\": %llu",
	               (unsigned long long)s->ready_timeout_ms,
	               (unsigned long long)s->stop_timeout_ms);
	/* Only when set, so manifests that do not use it stay readable by older versions. */
	if (s->kill_mode != KILL_DEFAULT)
		textbuf_printf(b, ",\n      \"kill_mode\": \"%s\"",
		               s->kill_mode == KILL_GROUP ? "group" : "process");
	textbuf_puts(b, "\n    }");
}

static void put_file(struct textbuf *b, const struct manifest_file *f)
{
	textbuf_puts(b, "    {\"path\": ");
	put_str(b, f->path);
	switch (f->type) {
	case MANIFEST_FILE: {
		char digest[65];

		hex_encode(f->sha256, 32, digest);
		textbuf_printf(
		    b,
		    ", \"type\": \"file\", \"mode\": \"%04o\", \"size\": %llu, \"sha256\": \"%s\"}",
		    f->mode, (unsigned long long)f->size, digest);
		break;
	}
	case MANIFEST_DIR:
		textbuf_puts(b, ", \"type\": \"dir\", \"mode\": \"0755\"}");
		break;
	case MANIFEST_SYMLINK:
		textbuf_puts(b, ", \"type\": \"symlink\", \"mode\": \"0777\", \"target\": ");
		put_str(b, f->target);
		textbuf_puts(b, "}");
		break;
	}
}

static void put_head(struct textbuf *b, const struct manifest *m)
{
	textbuf_printf(b, "{\n  \"format\": %d,\n  \"app\": ", m->format);
	put_str(b, m->app);
	textbuf_puts(b, ",\n  \"version\": ");
	put_str(b, m->version);
	textbuf_printf(b, ",\n  \"serial\": %llu,\n  \"commit\": ", (unsigned long long)m->serial);
	put_str(b, m->commit);
	textbuf_printf(b, ",\n  \"dirty\": %s,\n  \"build_time\": ", m->dirty ? "true" : "false");
	put_str(b, m->build_time);
	textbuf_puts(b, ",\n  \"slipway_version\": ");
	put_str(b, m->slipway_version);
	textbuf_puts(b, ",\n  \"secrets\": {\"required\": ");
	put_strv(b, m->secrets_required, m->n_secrets_required);
	textbuf_puts(b, ", \"optional\": ");
	put_strv(b, m->secrets_optional, m->n_secrets_optional);
	textbuf_puts(b, "},\n  \"services\": [");
	for (size_t i = 0; i < m->n_services; i++) {
		textbuf_puts(b, i ? ",\n" : "\n");
		put_service(b, &m->services[i]);
	}
	textbuf_puts(b, m->n_services ? "\n  ]," : "],");
	/* Only when declared, so a manifest without them stays readable by older versions. */
	if (m->writable_declared) {
		textbuf_puts(b, "\n  \"writable_dirs\": ");
		put_strv(b, m->writable_dirs, m->n_writable_dirs);
		textbuf_puts(b, ",");
	}
	if (m->static_declared) {
		textbuf_puts(b, "\n  \"static_dirs\": ");
		put_strv(b, m->static_dirs, m->n_static_dirs);
		textbuf_puts(b, ",");
	}
}

/* Where the text goes: kept whole in b (fd < 0), or written to fd whenever b holds FLUSH_AT
 * bytes, so that a release of many files is never held whole. */
#define FLUSH_AT ((size_t)64 << 10)

struct json_out {
	struct textbuf b;
	int fd;
	size_t written; /* to fd */
	bool failed;    /* err says why */
};

static void flush(struct json_out *o, size_t at_least, struct err *err)
{
	if (o->fd < 0 || o->failed || o->b.oom || o->b.len < at_least)
		return;
	if (o->written + o->b.len > MANIFEST_MAX_BYTES) {
		fail(err, "manifest: larger than %u bytes", MANIFEST_MAX_BYTES);
		o->failed = true;
		return;
	}
	if (write_all(o->fd, o->b.p, o->b.len, err) < 0) {
		o->failed = true;
		return;
	}
	o->written += o->b.len;
	o->b.len = 0;
}

static void put_manifest(struct json_out *o, const struct manifest *m, struct err *err)
{
	struct textbuf *b = &o->b;

	put_head(b, m);
	textbuf_puts(b, "\n  \"files\": [");
	for (size_t i = 0; i < m->n_files; i++) {
		textbuf_puts(b, i ? ",\n" : "\n");
		put_file(b, &m->files[i]);
		flush(o, FLUSH_AT, err);
	}
	textbuf_puts(b, m->n_files ? "\n  ]\n}\n" : "]\n}\n");
	flush(o, 0, err);
}

int manifest_to_json(const struct manifest *m, char **out, size_t *len, struct err *err)
{
	struct json_out o = {.fd = -1};

	*out = NULL;
	if (manifest_validate(m, err) < 0)
		return -1;
	put_manifest(&o, m, err);
	if (o.b.oom) {
		free(o.b.p);
		return fail_oom(err);
	}
	if (o.b.len > MANIFEST_MAX_BYTES) {
		free(o.b.p);
		return fail(err, "manifest: larger than %u bytes", MANIFEST_MAX_BYTES);
	}
	*out = o.b.p;
	if (len)
		*len = o.b.len;
	return 0;
}

int manifest_write_json(const struct manifest *m, int fd, struct err *err)
{
	struct json_out o = {.fd = fd};
	int rc = -1;

	if (manifest_validate(m, err) < 0)
		return -1;
	put_manifest(&o, m, err);
	if (o.b.oom)
		fail_oom(err);
	else if (!o.failed)
		rc = 0;
	free(o.b.p);
	return rc;
}
