/* esc_text: see escape.h. */
#include "release/base/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Characters that are valid but act on the terminal or on the order of what follows. */
static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

struct sink {
	char *out;
	size_t cap, len;
	bool full;
};

/* Appends n bytes as one unit: all of them or, once one unit did not fit, nothing more. */
static void emit(struct sink *k, const char *p, size_t n)
{
	if (!k->full && k->len + n < k->cap)
		memcpy(k->out + k->len, p, n);
	else
		k->full = true;
	if (!k->full)
		k->out[k->len + n] = '\0';
	k->len += n;
}

size_t esc_text(char *out, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	struct sink k = {out, cap, 0, false};
	size_t i = 0;

	out[0] = '\0';
	while (i < len) {
		uint32_t c = 0;
		size_t n = utf8_seq(p + i, len - i, &c);

		if (n && !is_control(c) && c != '\\') {
			emit(&k, s + i, n);
			i += n;
			continue;
		}
		if (n == 1 && (c == '\\' || c == '\n' || c == '\r' || c == '\t')) {
			char e[2] = {'\\', c == '\\'   ? '\\'
			                   : c == '\n' ? 'n'
			                   : c == '\r' ? 'r'
			                               : 't'};

			emit(&k, e, 2);
			i++;
			continue;
		}
		/* An invalid byte, or every byte of a control character's sequence. */
		for (size_t j = 0; j < (n ? n : 1); j++) {
			char e[4] = {'\\', 'x', hex[p[i + j] >> 4], hex[p[i + j] & 15]};

			emit(&k, e, 4);
		}
		i += n ? n : 1;
	}
	return k.len;
}

void esc_fputs(const char *s, FILE *f)
{
	enum { SLICE = 256 };
	char buf[4 * SLICE + 1];
	size_t len = strlen(s);

	/* In slices that end on a character boundary, so no sequence is cut in two. */
	while (len > 0) {
		size_t n = len < SLICE ? len : SLICE;

		while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = len < SLICE ? len : SLICE;
		esc_text(buf, sizeof(buf), s, n);
		fputs(buf, f);
		s += n;
		len -= n;
	}
}
