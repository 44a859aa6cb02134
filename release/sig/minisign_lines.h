/* Internal to the minisign module: splitting a key or signature file into its lines. */
#ifndef SLIPWAY_MINISIGN_LINES_H
#define SLIPWAY_MINISIGN_LINES_H

#include "release/base/error.h"
#include <stddef.h>

struct text_line {
	const char *s; /* not NUL-terminated */
	size_t len;    /* without the "\n" or "\r\n" terminator */
};

/* Splits `text` into exactly `want` lines. Each line ends with "\n" (an "\r" before it is
 * dropped); the last one may lack it. Fails, with a reason in err naming `what`, on an
 * empty text, a NUL byte, fewer lines ("truncated") or more ("trailing data"). */
int minisign_split_lines(const char *text, size_t len, struct text_line *lines, size_t want,
                         const char *what, struct err *err);

/* Whether the line starts with `prefix`. */
int minisign_line_has_prefix(const struct text_line *l, const char *prefix);

#endif
