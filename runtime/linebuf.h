/* Splits a service's output stream into lines so each can be printed with the service's
 * prefix (specs/runtime.md, "Logs"). A line longer than LINEBUF_MAX is emitted in pieces;
 * a partial last line is emitted by linebuf_flush. Lines are passed without the '\n'. */
#ifndef SLIPWAY_RUNTIME_LINEBUF_H
#define SLIPWAY_RUNTIME_LINEBUF_H

#include <stddef.h>

#define LINEBUF_MAX 4096

struct linebuf {
	char buf[LINEBUF_MAX];
	size_t n;
};

typedef void (*linebuf_emit_fn)(void *ctx, const char *line, size_t len);

void linebuf_feed(struct linebuf *lb, const char *data, size_t len, linebuf_emit_fn emit,
                  void *ctx);
void linebuf_flush(struct linebuf *lb, linebuf_emit_fn emit, void *ctx);

#endif
