/* Where `slipway run` writes: every service line as "<name padded> | <line>" and slipway's
 * own lines under the name "slipway", flushed per line, coloured only when asked (a
 * terminal without NO_COLOR). Format: specs/runtime.md, "Logs". */
#ifndef SLIPWAY_RUNTIME_LOGSINK_H
#define SLIPWAY_RUNTIME_LOGSINK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct logsink {
	FILE *out;
	int color;
	int width; /* names are padded to this; grows with the longest name seen */
};

/* One line of a service's output; `color` picks the service's colour. */
void logsink_line(struct logsink *ls, const char *name, unsigned color, const char *text,
                  size_t len);

/* One line of slipway's own. */
void logsink_vsay(struct logsink *ls, const char *fmt, va_list ap);

/* A duration for humans: "30m", "5s", "1.5s". */
void logsink_fmt_ms(uint64_t ms, char *buf, size_t cap);

#endif
