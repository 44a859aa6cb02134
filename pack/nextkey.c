/* The Server Actions key stripper (see nextkey.h). */
#include "pack/nextkey.h"
#include "release/base/fileio.h"
#include "release/base/textbuf.h"
#include "release/manifest/manifest.h"
#include "release/sig/base64.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const carriers[] = {"server-reference-manifest.json",
                                       "server-reference-manifest.js", "middleware-manifest.json"};
static const char *const names[] = {"encryptionKey", NEXT_ACTION_KEY_ENV};

bool nextkey_carrier(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t dir_len;

	if (!base)
		return false;
	dir_len = (size_t)(base - path);
	base++;
	/* The directory is `.next/server`, at the root or below (.next/standalone/...). */
	if (!(dir_len == 12 || (dir_len > 12 && path[dir_len - 13] == '/')) ||
	    strncmp(path + dir_len - 12, ".next/server", 12))
		return false;
	for (size_t i = 0; i < sizeof(carriers) / sizeof(carriers[0]); i++)
		if (!strcmp(base, carriers[i]))
			return true;
	return false;
}

/* A key as Next imports it (AES-GCM raw key, atob): canonical base64 of 16, 24 or 32 bytes. */
static bool key_like(const char *v, size_t n)
{
	uint8_t raw[32];
	size_t want = n == 24 ? 16 : n == 32 ? 24 : n == 44 ? 32 : 0;
	bool yes = want && base64_decode_exact(v, n, raw, want) == 0;

	memset(raw, 0, sizeof(raw));
	return yes;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* A member `Q name Q : Q value Q` starting at text[start] (Q is `"` or `\"`): its end, the
 * value's offset and length. false when text[start] does not start one. */
static bool member_at(const char *t, size_t n, size_t start, const char *name, size_t *end,
                      size_t *val, size_t *val_len)
{
	size_t nl = strlen(name), q = t[start] == '\\' ? 2 : 1, i = start;
	const char *quote = q == 2 ? "\\\"" : "\"";

	if (i + q + nl + q > n || memcmp(t + i, quote, q) || memcmp(t + i + q, name, nl) ||
	    memcmp(t + i + q + nl, quote, q))
		return false;
	i += q + nl + q;
	while (i < n && is_space(t[i]))
		i++;
	if (i >= n || t[i] != ':')
		return false;
	i++;
	while (i < n && is_space(t[i]))
		i++;
	if (i + q > n || memcmp(t + i, quote, q))
		return false;
	i += q;
	*val = i;
	while (i < n && b64_char(t[i]))
		i++;
	if (i + q > n || memcmp(t + i, quote, q))
		return false;
	*val_len = i - *val;
	*end = i + q;
	return true;
}

static int push_key(struct strlist *keys, const char *v, size_t n)
{
	char *s;

	if (!keys)
		return 0;
	if (!(s = strndup(v, n)))
		return -1;
	if (strlist_has(keys, s)) {
		free(s);
		return 0;
	}
	return strlist_push_owned(keys, s);
}

int nextkey_strip_text(const char *t, size_t n, char **out, size_t *out_n, struct strlist *keys)
{
	struct textbuf b = {0};
	size_t copied = 0, i;
	int removed = 0;

	*out = NULL;
	*out_n = 0;
	for (i = 0; i < n; i++) {
		size_t end, val, val_len, from, to, k;
		bool found = false;

		if (t[i] != '"' && !(t[i] == '\\' && i + 1 < n && t[i + 1] == '"'))
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]) && !found; k++)
			found = member_at(t, n, i, names[k], &end, &val, &val_len) &&
			        key_like(t + val, val_len);
		if (!found)
			continue;
		if (push_key(keys, t + val, val_len) < 0)
			goto oom;
		/* The member and one comma: the one before it, else the one after it. */
		from = i;
		to = end;
		for (k = i; k > copied && is_space(t[k - 1]); k--)
			;
		if (k > copied && t[k - 1] == ',') {
			from = k - 1;
		} else {
			for (k = end; k < n && is_space(t[k]); k++)
				;
			if (k < n && t[k] == ',')
				to = k + 1;
		}
		textbuf_put(&b, t + copied, from - copied);
		copied = to;
		i = to - 1;
		removed++;
	}
	if (!removed)
		return 0;
	textbuf_put(&b, t + copied, n - copied);
	if (b.oom || !b.p)
		goto oom;
	*out = b.p;
	*out_n = b.len;
	return removed;
oom:
	free(b.p);
	return -1;
}

int nextkey_strip_tree(struct pack_tree *tree, struct strlist *paths, struct strlist *keys,
                       struct err *err)
{
	for (size_t i = 0; i < tree->n; i++) {
		struct pack_entry *e = &tree->v[i];
		char *text = NULL, *stripped = NULL;
		size_t len = 0, out_len = 0;
		int r;

		if (e->type != MANIFEST_FILE || !e->src || e->data || !nextkey_carrier(e->path))
			continue;
		if (read_file_at(AT_FDCWD, e->src, NEXTKEY_MAX_BYTES, 1, &text, &len, err) < 0)
			return fail_recast(err, ERR_SYSTEM);
		r = nextkey_strip_text(text, len, &stripped, &out_len, keys);
		free(text);
		if (r < 0)
			return fail_oom(err);
		if (r == 0)
			continue;
		if (strlist_push(paths, e->path) < 0) {
			free(stripped);
			return fail_oom(err);
		}
		e->data = stripped;
		e->size = out_len;
	}
	return 0;
}
