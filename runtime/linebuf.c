#include "runtime/linebuf.h"

#include <string.h>

void linebuf_feed(struct linebuf *lb, const char *data, size_t len, linebuf_emit_fn emit, void *ctx)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (take > LINEBUF_MAX - lb->n)
			take = LINEBUF_MAX - lb->n;
		memcpy(lb->buf + lb->n, data, take);
		lb->n += take;
		data += take;
		len -= take;
		if (len > 0 && *data == '\n') {
			data++;
			len--;
			emit(ctx, lb->buf, lb->n);
			lb->n = 0;
		} else if (lb->n == LINEBUF_MAX) {
			emit(ctx, lb->buf, lb->n);
			lb->n = 0;
		}
	}
}

void linebuf_flush(struct linebuf *lb, linebuf_emit_fn emit, void *ctx)
{
	if (lb->n > 0)
		emit(ctx, lb->buf, lb->n);
	lb->n = 0;
}
