/* manifest_bounds_check: see manifest_bounds.h. The shape below is the format's, table by
 * table (specs/manifest.md); the limits are the header's. */
#include "release/manifest/manifest_bounds.h"
#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum kind { K_STRING, K_NUMBER, K_BOOL, K_NULL, K_OBJECT, K_ARRAY, K_BAD };

struct field;

/* What a value position expects. */
struct slot {
	enum kind kind;
	const struct field *fields; /* K_OBJECT: its keys; NULL: any key (env), up to max */
	const struct slot *elem;    /* K_ARRAY: its elements; K_OBJECT without fields: values */
	size_t max;                 /* K_ARRAY: elements; K_OBJECT without fields: keys */
	const char *name;           /* K_ARRAY of objects: how an element is named, "files" */
};

struct field {
	const char *key;
	const struct slot *slot;
	bool required;
};

static const struct slot string_ = {K_STRING, NULL, NULL, 0, NULL};
static const struct slot number_ = {K_NUMBER, NULL, NULL, 0, NULL};
static const struct slot bool_ = {K_BOOL, NULL, NULL, 0, NULL};
static const struct slot argv_ = {K_ARRAY, NULL, &string_, MANIFEST_MAX_ARGV, NULL};
static const struct slot names_ = {K_ARRAY, NULL, &string_, MANIFEST_MAX_SECRETS, NULL};
static const struct slot env_ = {K_OBJECT, NULL, &string_, MANIFEST_MAX_ENV, NULL};
static const struct slot dirs_ = {K_ARRAY, NULL, &string_, MANIFEST_MAX_DIRS, NULL};

static const struct field secrets_fields[] = {
    {"required", &names_, true}, {"optional", &names_, true}, {NULL, NULL, false}};
static const struct slot secrets_ = {K_OBJECT, secrets_fields, NULL, 0, NULL};

static const struct field service_fields[] = {{"name", &string_, true},
                                              {"argv", &argv_, true},
                                              {"cwd", &string_, true},
                                              {"env", &env_, true},
                                              {"port", &number_, true},
                                              {"health_port", &number_, false},
                                              {"ready", &string_, true},
                                              {"ready_path", &string_, false},
                                              {"ready_log", &string_, false},
                                              {"ready_timeout_ms", &number_, true},
                                              {"stop_timeout_ms", &number_, true},
                                              {"kill_mode", &string_, false},
                                              {NULL, NULL, false}};
static const struct slot service_ = {K_OBJECT, service_fields, NULL, 0, NULL};
static const struct slot services_ = {K_ARRAY, NULL, &service_, MANIFEST_MAX_SERVICES, "services"};

static const struct field file_fields[] = {{"path", &string_, true},    {"type", &string_, true},
                                           {"mode", &string_, true},    {"size", &number_, false},
                                           {"sha256", &string_, false}, {"target", &string_, false},
                                           {NULL, NULL, false}};
static const struct slot file_ = {K_OBJECT, file_fields, NULL, 0, NULL};
static const struct slot files_ = {K_ARRAY, NULL, &file_, MANIFEST_MAX_FILES, "files"};

static const struct field top_fields[] = {
    {"format", &number_, true},     {"app", &string_, true},
    {"version", &string_, true},    {"serial", &number_, true},
    {"commit", &string_, true},     {"dirty", &bool_, true},
    {"build_time", &string_, true}, {"slipway_version", &string_, true},
    {"secrets", &secrets_, true},   {"services", &services_, true},
    {"files", &files_, true},       {"writable_dirs", &dirs_, false},
    {"static_dirs", &dirs_, false}, {NULL, NULL, false}};
static const struct slot top_ = {K_OBJECT, top_fields, NULL, 0, NULL};

struct lexer {
	const char *s;
	size_t len, i;
	struct manifest_bounds *b;
	struct err *err;
};

static int syntax(struct lexer *x, const char *why)
{
	return fail(x->err, "manifest: invalid JSON at byte %zu: %s", x->i,
	            x->i >= x->len ? "unexpected end of input" : why);
}

static void skip_ws(struct lexer *x)
{
	while (x->i < x->len && (x->s[x->i] == ' ' || x->s[x->i] == '\t' || x->s[x->i] == '\n' ||
	                         x->s[x->i] == '\r'))
		x->i++;
}

static enum kind peek(struct lexer *x)
{
	skip_ws(x);
	if (x->i >= x->len)
		return K_BAD;
	switch (x->s[x->i]) {
	case '"':
		return K_STRING;
	case '{':
		return K_OBJECT;
	case '[':
		return K_ARRAY;
	case 't':
	case 'f':
		return K_BOOL;
	case 'n':
		return K_NULL;
	default:
		return x->s[x->i] == '-' || (x->s[x->i] >= '0' && x->s[x->i] <= '9') ? K_NUMBER
		                                                                     : K_BAD;
	}
}

/* A string at x->i; *escaped tells whether it holds a backslash escape. */
static int skip_string(struct lexer *x, bool *escaped)
{
	*escaped = false;
	for (x->i++; x->i < x->len; x->i++) {
		unsigned char c = (unsigned char)x->s[x->i];

		if (c == '"') {
			x->i++;
			return 0;
		}
		if (c < 0x20)
			return syntax(x, "control character in a string");
		if (c == '\\') {
			*escaped = true;
			x->i++;
		}
	}
	return syntax(x, "unterminated string");
}

static int skip_scalar(struct lexer *x, enum kind k)
{
	bool escaped;
	size_t start = x->i;

	if (k == K_STRING)
		return skip_string(x, &escaped);
	if (k == K_NUMBER) {
		while (x->i < x->len && memchr("+-0123456789.eE", x->s[x->i], 15))
			x->i++;
		return 0;
	}
	for (const char *lit = k == K_NULL         ? "null"
	                       : x->s[x->i] == 't' ? "true"
	                                           : "false";
	     *lit; lit++, x->i++)
		if (x->i >= x->len || x->s[x->i] != *lit) {
			x->i = start;
			return syntax(x, "invalid literal");
		}
	return 0;
}

static const char *kind_text(enum kind k)
{
	switch (k) {
	case K_STRING:
		return "must be a string";
	case K_NUMBER:
		return "must be an integer";
	case K_BOOL:
		return "must be true or false";
	case K_OBJECT:
		return "must be an object";
	case K_ARRAY:
		return "must be an array";
	default:
		return "has the wrong type";
	}
}

static int value(struct lexer *x, const struct slot *slot, const char *what, const char *key,
                 long idx);

/* An object at x->i (its '{' not yet consumed). Fixed keys: a bitmask of those seen; any
 * keys (env): the keys themselves, to find a repeated one. */
static int object(struct lexer *x, const struct slot *slot, const char *what)
{
	struct {
		const char *p;
		size_t n;
	} seen_keys[MANIFEST_MAX_ENV];
	uint64_t seen = 0;
	size_t n_keys = 0;

	x->i++;
	if (peek(x) == K_BAD && x->i < x->len && x->s[x->i] == '}')
		goto close;
	for (;;) {
		const char *k;
		size_t kn, f = 0;
		bool escaped;
		char keyname[72];
		const char *key = keyname;

		if (peek(x) != K_STRING)
			return syntax(x, "expected a key");
		k = x->s + x->i + 1;
		if (skip_string(x, &escaped) < 0)
			return -1;
		kn = (size_t)(x->s + x->i - 1 - k);
		if (escaped)
			return fail(x->err, "%s: object key with a backslash escape: %.*s", what,
			            (int)(kn > 64 ? 64 : kn), k);
		if (slot->fields) {
			for (f = 0; slot->fields[f].key; f++)
				if (strlen(slot->fields[f].key) == kn &&
				    !memcmp(slot->fields[f].key, k, kn))
					break;
			if (!slot->fields[f].key)
				return fail(x->err, "%s: unknown key \"%.*s\"", what,
				            (int)(kn > 64 ? 64 : kn), k);
			if (seen & (1ull << f))
				return fail(x->err, "%s: duplicate key \"%s\"", what,
				            slot->fields[f].key);
			seen |= 1ull << f;
			key = slot->fields[f].key;
		} else {
			snprintf(keyname, sizeof(keyname), "%.*s", (int)(kn > 64 ? 64 : kn), k);
			if (n_keys == slot->max)
				return fail(x->err, "%s: more than %zu keys", what, slot->max);
			for (size_t j = 0; j < n_keys; j++)
				if (seen_keys[j].n == kn && !memcmp(seen_keys[j].p, k, kn))
					return fail(x->err, "%s: duplicate key \"%s\"", what,
					            keyname);
			seen_keys[n_keys].p = k;
			seen_keys[n_keys++].n = kn;
		}
		skip_ws(x);
		if (x->i >= x->len || x->s[x->i] != ':')
			return syntax(x, "expected ':'");
		x->i++;
		if (value(x, slot->fields ? slot->fields[f].slot : slot->elem, what, key, -1) < 0)
			return -1;
		skip_ws(x);
		if (x->i < x->len && x->s[x->i] == ',') {
			x->i++;
			continue;
		}
		if (x->i < x->len && x->s[x->i] == '}')
			break;
		return syntax(x, "expected ',' or '}'");
	}
close:
	x->i++;
	for (size_t f = 0; slot->fields && slot->fields[f].key; f++)
		if (slot->fields[f].required && !(seen & (1ull << f)))
			return fail(x->err, "%s: missing key \"%s\"", what, slot->fields[f].key);
	return 0;
}

static int array(struct lexer *x, const struct slot *slot, const char *what, const char *key)
{
	size_t n = 0, open = x->i;

	x->i++;
	if (peek(x) == K_BAD && x->i < x->len && x->s[x->i] == ']')
		goto close;
	for (;;) {
		if (n == slot->max)
			return fail(x->err, "%s: \"%s\" has more than %zu elements", what, key,
			            slot->max);
		if (value(x, slot->elem, slot->name ? slot->name : what, key, (long)n++) < 0)
			return -1;
		skip_ws(x);
		if (x->i < x->len && x->s[x->i] == ',') {
			x->i++;
			continue;
		}
		if (x->i < x->len && x->s[x->i] == ']')
			break;
		return syntax(x, "expected ',' or ']'");
	}
close:
	if (slot == &files_) {
		x->b->files_open = open;
		x->b->files_close = x->i;
		x->b->n_files = n;
	}
	x->i++;
	return 0;
}

/* A value at x->i for `slot`: the key `key` of the object `what`, or element idx (>= 0) of
 * the array `key` of `what` (of an array of objects: the element is named `what`[idx]). */
static int value(struct lexer *x, const struct slot *slot, const char *what, const char *key,
                 long idx)
{
	enum kind k = peek(x);
	char name[96];

	if (k == K_BAD)
		return syntax(x, "expected a value");
	if (k != slot->kind) {
		if (idx < 0)
			return fail(x->err, "%s: \"%s\" %s", what, key, kind_text(slot->kind));
		if (slot->kind == K_OBJECT)
			return fail(x->err, "%s[%ld]: %s", what, idx, kind_text(slot->kind));
		return fail(x->err, "%s: \"%s\"[%ld] %s", what, key, idx, kind_text(slot->kind));
	}
	if (k == K_ARRAY)
		return array(x, slot, what, key);
	if (k != K_OBJECT)
		return skip_scalar(x, k);
	if (idx >= 0)
		manifest_name_index(name, sizeof(name), what, (size_t)idx);
	else if (slot->fields)
		snprintf(name, sizeof(name), "%s", slot == &secrets_ ? "secrets" : what);
	else
		snprintf(name, sizeof(name), "%s: \"%s\"", what, key);
	return object(x, slot, name);
}

size_t manifest_name_index(char *out, size_t cap, const char *name, size_t idx)
{
	char digits[24];
	size_t n = 0, at = 0;

	do
		digits[n++] = (char)('0' + idx % 10);
	while ((idx /= 10) > 0);
	for (; *name && at + 1 < cap; name++)
		out[at++] = *name;
	if (at + 1 < cap)
		out[at++] = '[';
	while (n > 0 && at + 1 < cap)
		out[at++] = digits[--n];
	if (at + 1 < cap)
		out[at++] = ']';
	out[at] = 0;
	return at;
}

int manifest_bounds_check(const char *json, size_t len, struct manifest_bounds *b, struct err *err)
{
	struct lexer x = {json, len, 0, b, err};

	memset(b, 0, sizeof(*b));
	if (peek(&x) != K_OBJECT)
		return x.i >= len ? syntax(&x, "") : fail(err, "manifest: must be a JSON object");
	if (object(&x, &top_, "manifest") < 0)
		return -1;
	skip_ws(&x);
	if (x.i != len)
		return syntax(&x, "trailing data after the JSON document");
	return 0;
}
