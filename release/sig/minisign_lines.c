#include "release/sig/minisign_lines.h"
#include "release/base/error.h"

#include <string.h>

int minisign_split_lines(const char *text, size_t len, struct text_line *lines, size_t want,
                         const char *what, struct err *err)
{
	size_t n = 0, pos = 0;

	if (len == 0)
		return fail(err, "%s is empty", what);
	if (memchr(text, '\0', len))
		return fail(err, "%s contains a NUL byte", what);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (n == want)
			return fail(err, "%s has trailing data after line %zu", what, want);
		lines[n].s = text + pos;
		lines[n].len = end - pos;
		if (lines[n].len > 0 && lines[n].s[lines[n].len - 1] == '\r')
			lines[n].len--;
		n++;
		pos = nl ? end + 1 : len;
	}
	if (n < want)
		return fail(err, "%s is truncated: %zu of %zu lines", what, n, want);
	return 0;
}

int minisign_line_has_prefix(const struct text_line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->len >= n && memcmp(l->s, prefix, n) == 0;
}
