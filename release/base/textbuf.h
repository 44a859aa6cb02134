/* A growing NUL-terminated text buffer for writers of generated documents (the manifest's
 * JSON, the Kubernetes YAML). An allocation failure is sticky: later writes do nothing and
 * `oom` tells the caller, who checks once at the end and frees `p` either way. */
#ifndef SLIPWAY_TEXTBUF_H
#define SLIPWAY_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *p; /* NUL-terminated once anything was written; the caller frees it */
	size_t len, cap;
	bool oom;
};

void textbuf_put(struct textbuf *b, const char *s, size_t n);
void textbuf_puts(struct textbuf *b, const char *s);
void textbuf_printf(struct textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
