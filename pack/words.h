/* Splits a command line from slipway.ini into argv words, without a shell.
 *
 * Words are separated by blanks (space, tab). Single quotes keep everything up to the next
 * single quote literally; double quotes keep everything literally except \" and \\; outside
 * quotes a backslash keeps the next character literally. No variables, globs or operators:
 * `a;b`, `$X` and `*` are ordinary characters. An unterminated quote or a trailing backslash
 * is an error. Format: specs/config.md. */
#ifndef SLIPWAY_PACK_WORDS_H
#define SLIPWAY_PACK_WORDS_H

#include "release/base/error.h"
#include "pack/strlist.h"

/* Appends the words of `s` to `out` (which keeps ownership of what it held before). */
int words_split(const char *s, struct strlist *out, struct err *err);

/* Writes `word` to a new heap string quoted so that words_split gives it back unchanged
 * (bare when it needs no quoting). NULL when out of memory. */
char *words_quote(const char *word);

/* The words of `l` quoted (words_quote) and joined by single spaces: a command line that
 * words_split reads back as `l`. Heap string, NULL when out of memory. */
char *words_join(const struct strlist *l);

#endif
