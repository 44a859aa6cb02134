#include "release/base/json_keys.h"
#include "release/base/error.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct key {
	const char *p;
	size_t n;
};

struct frame {
	bool object;
	bool want_key;
	size_t n_keys;
	struct key *keys;
};

/* Returns the index just past the closing quote of the string starting at json[i] == '"'. */
static size_t skip_string(const char *json, size_t len, size_t i, bool *escaped)
{
	*escaped = false;
	for (i++; i < len; i++) {
		if (json[i] == '\\') {
			*escaped = true;
			i++;
		} else if (json[i] == '"') {
			return i + 1;
		}
	}
	return len;
}

int json_check_duplicate_keys(const char *json, size_t len, size_t max_keys, struct err *err)
{
	struct frame stack[MAX_DEPTH];
	int depth = -1, rc = -1;
	size_t i = 0;

	while (i < len) {
		char c = json[i];

		if (c == '{' || c == '[') {
			if (depth + 1 >= MAX_DEPTH) {
				fail(err, "JSON nested too deeply");
				goto out;
			}
			depth++;
			stack[depth] = (struct frame){.object = c == '{', .want_key = c == '{'};
			if (c == '{' &&
			    !(stack[depth].keys = malloc(max_keys * sizeof(struct key)))) {
				fail_oom(err);
				goto out;
			}
			i++;
		} else if (c == '}' || c == ']') {
			if (depth < 0) {
				fail(err, "unbalanced JSON");
				goto out;
			}
			free(stack[depth].keys);
			depth--;
			i++;
		} else if (c == ',') {
			if (depth >= 0 && stack[depth].object)
				stack[depth].want_key = true;
			i++;
		} else if (c == '"') {
			bool escaped;
			size_t end = skip_string(json, len, i, &escaped);

			if (depth >= 0 && stack[depth].object && stack[depth].want_key) {
				struct frame *f = &stack[depth];
				struct key k = {json + i + 1, end - i - 2};

				if (escaped) {
					fail(err, "object key with a backslash escape: %.*s",
					     (int)(k.n > 64 ? 64 : k.n), k.p);
					goto out;
				}
				for (size_t j = 0; j < f->n_keys; j++)
					if (f->keys[j].n == k.n &&
					    !memcmp(f->keys[j].p, k.p, k.n)) {
						fail(err, "duplicate key \"%.*s\"",
						     (int)(k.n > 64 ? 64 : k.n), k.p);
						goto out;
					}
				if (f->n_keys == max_keys) {
					fail(err, "object with more than %zu keys", max_keys);
					goto out;
				}
				f->keys[f->n_keys++] = k;
				f->want_key = false;
			}
			i = end;
		} else {
			i++;
		}
	}
	rc = 0;
out:
	for (; depth >= 0; depth--)
		free(stack[depth].keys);
	return rc;
}
