/* Strict JSON reading (see json_strict.h). */
#include "release/base/json_strict.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* RFC 8259 wants control characters in strings escaped; json-c lets some through. */
struct key {
	const char *p;
	size_t n;
};

struct frame {
	bool object, want_key;
	struct key *keys;
	size_t n, cap;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* What json-c lets through and a strict reader must not: a control byte inside a string
 * (RFC 8259 wants it escaped), an object key written with an escape (equal keys must be
 * equal bytes), a repeated key (json-c keeps the last one, another reader the first), more
 * than JSON_MAX_KEYS keys in an object. The text is already valid JSON otherwise. */
static int strict_text(const char *text, size_t len, const char *what, struct err *err)
{
	struct frame stack[JSON_DEPTH + 1];
	int depth = -1, rc = -1;

	for (size_t i = 0; i < len; i++) {
		char ch = text[i];

		if (ch == '{' || ch == '[') {
			if (depth + 1 > JSON_DEPTH) {
				fail(err, "%s: nested too deeply", what);
				goto out;
			}
			stack[++depth] = (struct frame){.object = ch == '{', .want_key = ch == '{'};
		} else if ((ch == '}' || ch == ']') && depth >= 0) {
			struct frame *f = &stack[depth--];

			if (f->n > 1)
				qsort(f->keys, f->n, sizeof(*f->keys), key_cmp);
			for (size_t k = 1; k < f->n; k++)
				if (!key_cmp(&f->keys[k - 1], &f->keys[k])) {
					fail(err, "%s: duplicate key \"%.*s\"", what,
					     (int)(f->keys[k].n > 64 ? 64 : f->keys[k].n),
					     f->keys[k].p);
					free(f->keys);
					goto out;
				}
			free(f->keys);
		} else if (ch == ',' && depth >= 0) {
			stack[depth].want_key = stack[depth].object;
		} else if (ch == '"') {
			size_t start = ++i;
			bool escaped = false;

			for (; i < len && text[i] != '"'; i++) {
				if ((unsigned char)text[i] < 0x20) {
					fail(err, "%s: a control character inside a string", what);
					goto out;
				}
				if (text[i] == '\\') {
					escaped = true;
					i++;
				}
			}
			if (depth >= 0 && stack[depth].want_key) {
				struct frame *f = &stack[depth];

				if (escaped) {
					fail(err, "%s: an object key written with an escape", what);
					goto out;
				}
				if (f->n == f->cap) {
					struct key *grown;

					if (f->cap == JSON_MAX_KEYS) {
						fail(err, "%s: an object with more than %d keys",
						     what, JSON_MAX_KEYS);
						goto out;
					}
					f->cap = f->cap ? 2 * f->cap : 16;
					grown = realloc(f->keys, f->cap * sizeof(*grown));
					if (!grown) {
						fail_oom(err);
						goto out;
					}
					f->keys = grown;
				}
				f->keys[f->n++] = (struct key){text + start, i - start};
				f->want_key = false;
			}
		}
	}
	rc = 0;
out:
	for (; depth >= 0; depth--)
		free(stack[depth].keys);
	return rc;
}

int json_strict_parse(const char *text, size_t len, const char *what, json_object **obj,
                      struct err *err)
{
	struct json_tokener *tok;
	json_object *o;
	size_t end;

	*obj = NULL;
	if (memchr(text, '\0', len))
		return fail(err, "%s: contains a NUL byte", what);
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return fail_oom(err);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		fail(err, "%s: invalid JSON at byte %zu: %s", what, json_tokener_get_parse_end(tok),
		     e == json_tokener_continue ? "unexpected end of input"
		                                : json_tokener_error_desc(e));
		json_object_put(o);
		json_tokener_free(tok);
		return -1;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < len; end++)
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(o);
			return fail(err, "%s: data after the JSON document", what);
		}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(err, "%s: not a JSON object", what);
	}
	if (strict_text(text, len, what, err) < 0) {
		json_object_put(o);
		return -1;
	}
	*obj = o;
	return 0;
}

const char *json_unknown_field(json_object *o, const char *const *names, size_t n, size_t required,
                               size_t *required_seen)
{
	*required_seen = 0;
	json_object_object_foreach(o, key, val)
	{
		size_t i;

		(void)val;
		for (i = 0; i < n && strcmp(key, names[i]); i++)
			;
		if (i == n)
			return key;
		*required_seen += i < required;
	}
	return NULL;
}
