#include "pack/words.h"
#include "release/base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int words_split(const char *s, struct strlist *out, struct err *err)
{
	size_t len = strlen(s);
	char *word = malloc(len + 1);
	size_t n = 0;
	int in_word = 0;

	if (!word)
		return fail_oom(err);
	while (*s) {
		if (is_blank(*s)) {
			if (in_word) {
				word[n] = '\0';
				if (strlist_push(out, word) < 0)
					goto oom;
				n = 0;
				in_word = 0;
			}
			s++;
			continue;
		}
		in_word = 1;
		if (*s == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (!end) {
				free(word);
				return fail(err, "unterminated single quote");
			}
			memcpy(word + n, s + 1, (size_t)(end - s - 1));
			n += (size_t)(end - s - 1);
			s = end + 1;
		} else if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				word[n++] = *s++;
			}
			if (*s != '"') {
				free(word);
				return fail(err, "unterminated double quote");
			}
			s++;
		} else if (*s == '\\') {
			if (!s[1]) {
				free(word);
				return fail(err, "trailing backslash");
			}
			word[n++] = s[1];
			s += 2;
		} else {
			word[n++] = *s++;
		}
	}
	if (in_word) {
		word[n] = '\0';
		if (strlist_push(out, word) < 0)
			goto oom;
	}
	free(word);
	return 0;
oom:
	free(word);
	return fail_oom(err);
}

char *words_quote(const char *word)
{
	size_t len = strlen(word), n = 0;
	char *out;
	const char *p;
	/* Quoted also when it could read as an INI section or comment at a line start. */
	int plain = len > 0 && word[0] != '[';

	for (p = word; *p; p++)
		if (is_blank(*p) || *p == '\'' || *p == '"' || *p == '\\' || *p == ';' || *p == '#')
			plain = 0;
	if (plain)
		return strdup(word);
	/* Double quotes: only " and \ need escaping inside them. A ';' is written as "';'"
	 * (leave the double quotes for a single-quoted ';') so that no blank ever precedes
	 * it: libinih would take " ;" for an inline comment, even inside quotes. */
	out = malloc(5 * len + 3);
	if (!out)
		return NULL;
	out[n++] = '"';
	for (p = word; *p; p++) {
		if (*p == ';') {
			memcpy(out + n, "\"';'\"", 5);
			n += 5;
			continue;
		}
		if (*p == '"' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

char *words_join(const struct strlist *l)
{
	char *out = strdup(""), *q, *grown;
	size_t len = 0;

	for (size_t i = 0; out && i < l->n; i++) {
		if (!(q = words_quote(l->v[i]))) {
			free(out);
			return NULL;
		}
		grown = realloc(out, len + strlen(q) + 2);
		if (!grown) {
			free(q);
			free(out);
			return NULL;
		}
		out = grown;
		len += (size_t)sprintf(out + len, "%s%s", i ? " " : "", q);
		free(q);
	}
	return out;
}
