/* manifest_parse: the strict JSON reader of specs/manifest.md. manifest_bounds_check has
 * already refused unknown, missing and repeated keys (its tables are the format's one list
 * of keys); this reads exact types, then hands the result to manifest_validate for the rules. */
#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/manifest/manifest_bounds.h"
#include "release/manifest/manifest_check.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 16

/* ---- reading JSON values with exact types ---- */

/* The string at key, borrowed from obj (valid while obj is). */
static int get_string_ref(json_object *obj, const char *key, const char *what, const char **out,
                          struct err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return fail(err, "%s: missing key \"%s\"", what, key);
	if (!json_object_is_type(v, json_type_string))
		return fail(err, "%s: \"%s\" must be a string", what, key);
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return fail(err, "%s: \"%s\" contains a NUL character", what, key);
	return 0;
}

static int get_string(json_object *obj, const char *key, const char *what, char **out,
                      struct err *err)
{
	const char *s;

	if (get_string_ref(obj, key, what, &s, err) < 0)
		return -1;
	*out = strdup(s);
	return *out ? 0 : fail_oom(err);
}

static int get_u64(json_object *obj, const char *key, const char *what, uint64_t max, uint64_t *out,
                   struct err *err)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, key, &v))
		return fail(err, "%s: missing key \"%s\"", what, key);
	if (!json_object_is_type(v, json_type_int))
		return fail(err, "%s: \"%s\" must be an integer", what, key);
	errno = 0;
	n = json_object_get_int64(v);
	/* json-c clamps out-of-range literals to INT64_MIN/MAX; the u64 form tells them apart. */
	if (n < 0 || (uint64_t)n > max ||
	    (n == INT64_MAX && json_object_get_uint64(v) != INT64_MAX))
		return fail(err, "%s: \"%s\" out of range (0..%llu)", what, key,
		            (unsigned long long)max);
	*out = (uint64_t)n;
	return 0;
}

static int get_bool(json_object *obj, const char *key, const char *what, bool *out, struct err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return fail(err, "%s: missing key \"%s\"", what, key);
	if (!json_object_is_type(v, json_type_boolean))
		return fail(err, "%s: \"%s\" must be true or false", what, key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_array(json_object *obj, const char *key, const char *what, size_t max,
                     json_object **out, struct err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return fail(err, "%s: missing key \"%s\"", what, key);
	if (!json_object_is_type(v, json_type_array))
		return fail(err, "%s: \"%s\" must be an array", what, key);
	if (json_object_array_length(v) > max)
		return fail(err, "%s: \"%s\" has more than %zu elements", what, key, max);
	*out = v;
	return 0;
}

static int get_string_array(json_object *obj, const char *key, const char *what, size_t max,
                            char ***out, size_t *n, struct err *err)
{
	json_object *arr;
	size_t len;

	if (get_array(obj, key, what, max, &arr, err) < 0)
		return -1;
	len = json_object_array_length(arr);
	*out = calloc(len + 1, sizeof(char *));
	if (!*out)
		return fail_oom(err);
	for (size_t i = 0; i < len; i++) {
		json_object *v = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(v, json_type_string))
			return fail(err, "%s: \"%s\"[%zu] must be a string", what, key, i);
		if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return fail(err, "%s: \"%s\"[%zu] contains a NUL character", what, key, i);
		(*out)[i] = strdup(json_object_get_string(v));
		if (!(*out)[i])
			return fail_oom(err);
		*n = i + 1;
	}
	return 0;
}

/* ---- the document ---- */

static int parse_env(json_object *svc, struct manifest_service *s, const char *what,
                     struct err *err)
{
	json_object *env;
	size_t i = 0;

	if (!json_object_object_get_ex(svc, "env", &env) ||
	    !json_object_is_type(env, json_type_object))
		return fail(err, "%s: \"env\" must be an object", what);
	if ((size_t)json_object_object_length(env) > MANIFEST_MAX_ENV)
		return fail(err, "%s: more than %d env entries", what, MANIFEST_MAX_ENV);
	s->env = calloc((size_t)json_object_object_length(env) + 1, sizeof(*s->env));
	if (!s->env)
		return fail_oom(err);
	json_object_object_foreach(env, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return fail(err, "%s: env \"%.64s\" must be a string", what, key);
		if (strlen(json_object_get_string(val)) != (size_t)json_object_get_string_len(val))
			return fail(err, "%s: env \"%.64s\" contains a NUL character", what, key);
		s->env[i].key = strdup(key);
		s->env[i].value = strdup(json_object_get_string(val));
		s->n_env = ++i;
		if (!s->env[i - 1].key || !s->env[i - 1].value)
			return fail_oom(err);
	}
	return 0;
}

static int parse_service(json_object *svc, size_t idx, struct manifest_service *s, struct err *err)
{
	char what[64];
	uint64_t port, health_port = 0;
	char *ready = NULL, *kill = NULL;
	json_object *rp;
	int rc = -1;

	snprintf(what, sizeof(what), "services[%zu]", idx);
	if (!json_object_is_type(svc, json_type_object))
		return fail(err, "%s: must be an object", what);
	if (get_string(svc, "name", what, &s->name, err) < 0 ||
	    get_string_array(svc, "argv", what, MANIFEST_MAX_ARGV, &s->argv, &s->argc, err) < 0 ||
	    get_string(svc, "cwd", what, &s->cwd, err) < 0 || parse_env(svc, s, what, err) < 0 ||
	    get_u64(svc, "port", what, 65535, &port, err) < 0 ||
	    get_string(svc, "ready", what, &ready, err) < 0 ||
	    get_u64(svc, "ready_timeout_ms", what, MANIFEST_MAX_TIMEOUT_MS, &s->ready_timeout_ms,
	            err) < 0 ||
	    get_u64(svc, "stop_timeout_ms", what, MANIFEST_MAX_TIMEOUT_MS, &s->stop_timeout_ms,
	            err) < 0)
		goto out;
	s->port = (int)port;
	if (json_object_object_get_ex(svc, "health_port", &rp) &&
	    get_u64(svc, "health_port", what, 65535, &health_port, err) < 0)
		goto out;
	s->health_port = (int)health_port;
	if (!strcmp(ready, "none"))
		s->ready = READY_NONE;
	else if (!strcmp(ready, "tcp"))
		s->ready = READY_TCP;
	else if (!strcmp(ready, "http"))
		s->ready = READY_HTTP;
	else if (!strcmp(ready, "log"))
		s->ready = READY_LOG;
	else {
		fail(err, "%s: \"ready\" must be \"none\", \"tcp\", \"http\" or \"log\"", what);
		goto out;
	}
	if (json_object_object_get_ex(svc, "ready_log", &rp)) {
		if (s->ready != READY_LOG) {
			fail(err, "%s: \"ready_log\" is only allowed with \"ready\": \"log\"",
			     what);
			goto out;
		}
		if (get_string(svc, "ready_log", what, &s->ready_log, err) < 0)
			goto out;
	} else if (s->ready == READY_LOG) {
		fail(err, "%s: missing key \"ready_log\"", what);
		goto out;
	}
	if (json_object_object_get_ex(svc, "kill_mode", &rp)) {
		if (get_string(svc, "kill_mode", what, &kill, err) < 0)
			goto out;
		if (!strcmp(kill, "process"))
			s->kill_mode = KILL_PROCESS;
		else if (!strcmp(kill, "group"))
			s->kill_mode = KILL_GROUP;
		else {
			fail(err, "%s: \"kill_mode\" must be \"process\" or \"group\"", what);
			goto out;
		}
	}
	if (json_object_object_get_ex(svc, "ready_path", &rp)) {
		if (s->ready != READY_HTTP) {
			fail(err, "%s: \"ready_path\" is only allowed with \"ready\": \"http\"",
			     what);
			goto out;
		}
		if (get_string(svc, "ready_path", what, &s->ready_path, err) < 0)
			goto out;
	} else if (s->ready == READY_HTTP) {
		fail(err, "%s: missing key \"ready_path\"", what);
		goto out;
	}
	rc = 0;
out:
	free(ready);
	free(kill);
	return rc;
}

static int parse_mode(const char *s, unsigned *mode)
{
	if (!strcmp(s, "0644"))
		*mode = 0644;
	else if (!strcmp(s, "0755"))
		*mode = 0755;
	else if (!strcmp(s, "0777"))
		*mode = 0777;
	else
		return -1;
	return 0;
}

/* A lowercase hex digit's value plus one; 0 for any other byte. */
static const uint8_t hex_digit[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

static int parse_hex32(const char *s, uint8_t out[32])
{
	unsigned bad = 0;

	if (strnlen(s, 65) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned hi = hex_digit[(unsigned char)s[2 * i]],
		         lo = hex_digit[(unsigned char)s[2 * i + 1]];

		bad |= (hi == 0) | (lo == 0);
		out[i] = (uint8_t)(((hi - 1) << 4) | ((lo - 1) & 0xf));
	}
	return bad ? -1 : 0;
}

/* "files[IDX]", then with ` "PATH"` (its first 32 bytes) when path is not NULL: what error
 * messages name, written for every entry, so without printf. */
static void file_what(char what[64], size_t idx, const char *path)
{
	size_t at = manifest_name_index(what, 64, "files", idx), len;

	if (path) {
		len = strnlen(path, 32);
		what[at++] = ' ';
		what[at++] = '"';
		memcpy(what + at, path, len);
		at += len;
		what[at++] = '"';
		what[at] = 0;
	}
}

static int parse_file(json_object *fo, size_t idx, struct manifest_file *f, struct err *err)
{
	const char *type, *mode, *hex, *forbidden = NULL;
	char what[64];

	file_what(what, idx, NULL);
	if (!json_object_is_type(fo, json_type_object))
		return fail(err, "%s: must be an object", what);
	if (get_string(fo, "path", what, &f->path, err) < 0 ||
	    get_string_ref(fo, "type", what, &type, err) < 0 ||
	    get_string_ref(fo, "mode", what, &mode, err) < 0)
		return -1;
	file_what(what, idx, f->path);
	if (parse_mode(mode, &f->mode) < 0)
		return fail(err, "%s: \"mode\" must be \"0644\", \"0755\" or \"0777\"", what);
	if (!strcmp(type, "file")) {
		f->type = MANIFEST_FILE;
		if (get_u64(fo, "size", what, MANIFEST_MAX_FILE_SIZE, &f->size, err) < 0 ||
		    get_string_ref(fo, "sha256", what, &hex, err) < 0)
			return -1;
		if (parse_hex32(hex, f->sha256) < 0)
			return fail(err, "%s: \"sha256\" must be 64 lowercase hex digits", what);
		if (json_object_object_get_ex(fo, "target", NULL))
			forbidden = "target";
	} else if (!strcmp(type, "dir") || !strcmp(type, "symlink")) {
		f->type = type[0] == 'd' ? MANIFEST_DIR : MANIFEST_SYMLINK;
		if (json_object_object_get_ex(fo, "size", NULL))
			forbidden = "size";
		else if (json_object_object_get_ex(fo, "sha256", NULL))
			forbidden = "sha256";
		if (f->type == MANIFEST_SYMLINK) {
			if (get_string(fo, "target", what, &f->target, err) < 0)
				return -1;
		} else if (json_object_object_get_ex(fo, "target", NULL)) {
			forbidden = "target";
		}
	} else {
		return fail(err, "%s: \"type\" must be \"file\", \"dir\" or \"symlink\"", what);
	}
	if (forbidden)
		return fail(err, "%s: \"%s\" is not allowed for type \"%s\"", what, forbidden,
		            type);
	return 0;
}

/* ---- the canonical form of a "files" element, read without json-c ---- */

/* The canonical form's text of a string value that needs no escape: printable ASCII but '"'
 * and '\\'. Returns the length of the run at s (ending at end), which the caller checks is
 * followed by the closing '"'. */
static size_t plain_run(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && *p >= 0x20 && *p <= 0x7e && *p != '"' && *p != '\\')
		p++;
	return (size_t)(p - s);
}

/* Matches the literal lit at *p (before end), moving past it. */
static bool literal(const char **p, const char *end, const char *lit, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return false;
	*p += n;
	return true;
}

#define LIT(p, end, s) literal(p, end, s, sizeof(s) - 1)

/* A plain string value at *p, closed by '"' (not consumed): its text and length. */
static bool plain_string(const char **p, const char *end, const char **s, size_t *n)
{
	*s = *p;
	*n = plain_run(*p, end);
	*p += *n;
	return *p < end && **p == '"';
}

/* The mode's four characters: one of parse_mode's. */
static bool plain_mode(const char **p, const char *end, unsigned *mode)
{
	char m[5];

	if (end - *p < 5 || (*p)[4] != '"')
		return false;
	memcpy(m, *p, 4);
	m[4] = '\0';
	if (parse_mode(m, mode) < 0)
		return false;
	*p += 4;
	return true;
}

/* A size as JSON writes it and get_u64 accepts: digits, no leading zero but "0", at most
 * MANIFEST_MAX_FILE_SIZE. */
static bool plain_size(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s == end || *s < '0' || *s > '9' ||
	    (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (MANIFEST_MAX_FILE_SIZE - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	*p = s;
	return true;
}

/* One "files" element at json + at, when it is exactly in the canonical form that
 * manifest_to_json writes (key order, spacing, strings that need no escape, a valid mode and
 * digest): the entry filled as parse_file fills it, and *len, the bytes it takes. 1: read;
 * 0: not in that form (nothing kept: json-c reads it, and says what is wrong); -1: out of
 * memory. The form is a subset of what json-c and parse_file accept, read to the same values:
 * the two ways cannot disagree. */
static int parse_file_canonical(const char *json, size_t at, size_t end_at, struct manifest_file *f,
                                size_t *len)
{
	const char *p = json + at, *end = json + end_at, *path, *target = NULL;
	size_t path_len, target_len = 0;
	uint8_t digest[32];
	uint64_t size = 0;
	unsigned mode;
	enum manifest_file_type type;

	if (!LIT(&p, end, "{\"path\": \"") || !plain_string(&p, end, &path, &path_len) ||
	    !LIT(&p, end, "\", \"type\": \""))
		return 0;
	if (LIT(&p, end, "file\", \"mode\": \"")) {
		const char *hex;
		size_t hex_len;
		char h[65];

		type = MANIFEST_FILE;
		if (!plain_mode(&p, end, &mode) || !LIT(&p, end, "\", \"size\": ") ||
		    !plain_size(&p, end, &size) || !LIT(&p, end, ", \"sha256\": \"") ||
		    !plain_string(&p, end, &hex, &hex_len) || hex_len != 64)
			return 0;
		memcpy(h, hex, 64);
		h[64] = '\0';
		if (parse_hex32(h, digest) < 0)
			return 0;
	} else if (LIT(&p, end, "dir\", \"mode\": \"")) {
		type = MANIFEST_DIR;
		if (!plain_mode(&p, end, &mode))
			return 0;
	} else if (LIT(&p, end, "symlink\", \"mode\": \"")) {
		type = MANIFEST_SYMLINK;
		if (!plain_mode(&p, end, &mode) || !LIT(&p, end, "\", \"target\": \"") ||
		    !plain_string(&p, end, &target, &target_len))
			return 0;
	} else {
		return 0;
	}
	if (!LIT(&p, end, "\"}"))
		return 0;
	if (!(f->path = strndup(path, path_len)) ||
	    (target && !(f->target = strndup(target, target_len)))) {
		free(f->path);
		f->path = NULL;
		return -1;
	}
	f->type = type;
	f->mode = mode;
	if (type == MANIFEST_FILE) {
		f->size = size;
		memcpy(f->sha256, digest, 32);
	}
	*len = (size_t)(p - (json + at));
	return 1;
}

static int parse_document(json_object *root, struct manifest *m, struct err *err)
{
	json_object *secrets, *arr;
	uint64_t format;

	if (!json_object_is_type(root, json_type_object))
		return fail(err, "manifest: must be a JSON object");
	if (get_u64(root, "format", "manifest", 1000, &format, err) < 0)
		return -1;
	if (format != MANIFEST_FORMAT)
		return fail(err, "manifest: unsupported format %llu (this slipway reads format %d)",
		            (unsigned long long)format, MANIFEST_FORMAT);
	m->format = (int)format;
	if (get_string(root, "app", "manifest", &m->app, err) < 0 ||
	    get_string(root, "version", "manifest", &m->version, err) < 0 ||
	    get_u64(root, "serial", "manifest", MANIFEST_MAX_SERIAL, &m->serial, err) < 0 ||
	    get_string(root, "commit", "manifest", &m->commit, err) < 0 ||
	    get_bool(root, "dirty", "manifest", &m->dirty, err) < 0 ||
	    get_string(root, "build_time", "manifest", &m->build_time, err) < 0 ||
	    get_string(root, "slipway_version", "manifest", &m->slipway_version, err) < 0)
		return -1;
	json_object_object_get_ex(root, "secrets", &secrets);
	if (!json_object_is_type(secrets, json_type_object))
		return fail(err, "manifest: \"secrets\" must be an object");
	if (get_string_array(secrets, "required", "secrets", MANIFEST_MAX_SECRETS,
	                     &m->secrets_required, &m->n_secrets_required, err) < 0 ||
	    get_string_array(secrets, "optional", "secrets", MANIFEST_MAX_SECRETS,
	                     &m->secrets_optional, &m->n_secrets_optional, err) < 0)
		return -1;
	/* Optional: absent, manifest_parse fills them with format 1's defaults. */
	if (json_object_object_get_ex(root, "writable_dirs", NULL)) {
		m->writable_declared = true;
		if (get_string_array(root, "writable_dirs", "manifest", MANIFEST_MAX_DIRS,
		                     &m->writable_dirs, &m->n_writable_dirs, err) < 0)
			return -1;
	}
	if (json_object_object_get_ex(root, "static_dirs", NULL)) {
		m->static_declared = true;
		if (get_string_array(root, "static_dirs", "manifest", MANIFEST_MAX_DIRS,
		                     &m->static_dirs, &m->n_static_dirs, err) < 0)
			return -1;
	}

	if (get_array(root, "services", "manifest", MANIFEST_MAX_SERVICES, &arr, err) < 0)
		return -1;
	m->services = calloc(json_object_array_length(arr) + 1, sizeof(*m->services));
	if (!m->services)
		return fail_oom(err);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		m->n_services = i + 1;
		if (parse_service(json_object_array_get_idx(arr, i), i, &m->services[i], err) < 0)
			return -1;
	}

	return 0;
}

static int json_error(struct json_tokener *tok, size_t base, struct err *err)
{
	enum json_tokener_error e = json_tokener_get_error(tok);

	return fail(
	    err, "manifest: invalid JSON at byte %zu: %s", base + json_tokener_get_parse_end(tok),
	    e == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(e));
}

/* The elements of "files": each in the canonical form read directly (parse_file_canonical),
 * any other through json-c, one object at a time: a tree of them all would cost several
 * hundred bytes per entry (specs/manifest.md "Encoding"). */
static int parse_files(const char *json, const struct manifest_bounds *b, struct manifest *m,
                       bool canonical_fast, struct err *err)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	size_t p = b->files_open + 1;
	int rc = -1;

	if (!tok || manifest_alloc_files(m, b->n_files) < 0) {
		fail_oom(err);
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
	                                JSON_TOKENER_VALIDATE_UTF8);
	for (size_t i = 0; i < b->n_files; i++) {
		json_object *fo;
		size_t used;
		int r;

		p += strspn(json + p, " \t\r\n");
		r = canonical_fast
		        ? parse_file_canonical(json, p, b->files_close, &m->files[i], &used)
		        : 0;
		if (r < 0) {
			fail_oom(err);
			goto out;
		}
		if (r > 0) {
			m->n_files = i + 1;
			p += used;
			p += strspn(json + p, " \t\r\n");
			p += json[p] == ',';
			continue;
		}
		json_tokener_reset(tok);
		fo = json_tokener_parse_ex(tok, json + p, (int)(b->files_close - p));
		if (!fo || json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(fo);
			json_error(tok, p, err);
			goto out;
		}
		m->n_files = i + 1;
		r = parse_file(fo, i, &m->files[i], err);
		json_object_put(fo);
		if (r < 0)
			goto out;
		/* The structure was checked by manifest_bounds_check: a ',' or the ']' follows. */
		p += json_tokener_get_parse_end(tok);
		p += strspn(json + p, " \t\r\n");
		p += json[p] == ',';
	}
	rc = 0;
out:
	json_tokener_free(tok);
	return rc;
}

static int parse(const char *json, size_t len, bool canonical_fast, struct manifest **out,
                 struct err *err)
{
	struct manifest_bounds bounds;
	struct json_tokener *tok = NULL;
	json_object *root = NULL;
	struct manifest *m = NULL;
	int rc = -1;

	*out = NULL;
	if (len > MANIFEST_MAX_BYTES)
		return fail(err, "manifest: larger than %u bytes", MANIFEST_MAX_BYTES);
	if (len == 0)
		return fail(err, "manifest: empty");
	if (memchr(json, '\0', len))
		return fail(err, "manifest: contains a NUL byte");
	/* Bounded before json-c builds anything (specs/manifest.md "Encoding"). */
	if (manifest_bounds_check(json, len, &bounds, err) < 0)
		return -1;
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok)
		return fail_oom(err);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* The document with an empty "files": its elements are read one by one below. */
	root = json_tokener_parse_ex(tok, json, (int)(bounds.files_open + 1));
	if (root || json_tokener_get_error(tok) != json_tokener_continue) {
		json_error(tok, 0, err);
		goto out;
	}
	root =
	    json_tokener_parse_ex(tok, json + bounds.files_close, (int)(len - bounds.files_close));
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		json_error(tok, bounds.files_close, err);
		goto out;
	}
	m = manifest_new();
	if (!m) {
		fail_oom(err);
		goto out;
	}
	if (parse_document(root, m, err) < 0 ||
	    parse_files(json, &bounds, m, canonical_fast, err) < 0 ||
	    manifest_validate(m, err) < 0 || manifest_dirs_infer(m, err) < 0)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	manifest_free(m);
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

int manifest_parse(const char *json, size_t len, struct manifest **out, struct err *err)
{
	return parse(json, len, true, out, err);
}

int manifest_parse_json_c(const char *json, size_t len, struct manifest **out, struct err *err)
{
	return parse(json, len, false, out, err);
}
