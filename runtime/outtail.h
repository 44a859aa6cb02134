/* The last lines an instance printed, kept so `status`, `status --json` and a failing
 * `--wait` can say why it died (specs/runtime.md, "State file"). stdout and stderr share
 * one pipe (runtime/spawn.h), so the tail is of both, in the order they were read.
 *
 * Bounded: OUTTAIL_LINES lines of at most OUTTAIL_LINE_MAX bytes each, escaped with the one
 * escaping rule (release/base/escape.h) as they are added, so a line holds no control byte
 * and is valid UTF-8. Blank lines are not kept (they would push out the reason). Nothing is
 * kept beyond what the service itself printed. */
#ifndef SLIPWAY_RUNTIME_OUTTAIL_H
#define SLIPWAY_RUNTIME_OUTTAIL_H

#include <stddef.h>

#define OUTTAIL_LINES    5
#define OUTTAIL_LINE_MAX 200 /* bytes of escaped text, without the NUL */

struct outtail {
	char line[OUTTAIL_LINES][OUTTAIL_LINE_MAX + 1];
	unsigned n;    /* lines held, <= OUTTAIL_LINES */
	unsigned head; /* index of the oldest line */
};

void outtail_reset(struct outtail *t);

/* Adds `len` raw bytes (one line, without its '\n'), escaped and cut at OUTTAIL_LINE_MAX;
 * the oldest line goes when the tail is full. */
void outtail_add(struct outtail *t, const char *text, size_t len);

/* The i-th line, oldest first (i < t->n). */
const char *outtail_line(const struct outtail *t, unsigned i);

/* Adds a line read back from the state file: kept as it is when it is already safe to print
 * (escaping it would change nothing but double its backslashes, so escaped text is not
 * escaped twice), escaped otherwise, and cut at OUTTAIL_LINE_MAX either way: a reader never
 * passes on a control byte. */
void outtail_add_escaped(struct outtail *t, const char *text);

#endif
