/* The seek table (see seektable.h). */
#include "release/base/seektable.h"

#include <unistd.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t seektable_size(size_t n)
{
	return SEEKTABLE_HEADER_BYTES + n * SEEKTABLE_ENTRY_BYTES + SEEKTABLE_FOOTER_BYTES;
}

void seektable_encode(const struct seek_frame *v, size_t n, uint8_t *out)
{
	size_t content = seektable_size(n) - SEEKTABLE_HEADER_BYTES;

	put32(out, SEEKTABLE_SKIPPABLE_MAGIC);
	put32(out + 4, (uint32_t)content);
	out += SEEKTABLE_HEADER_BYTES;
	for (size_t i = 0; i < n; i++, out += SEEKTABLE_ENTRY_BYTES) {
		put32(out, v[i].csize);
		put32(out + 4, v[i].dsize);
	}
	put32(out, (uint32_t)n);
	out[4] = 0;
	put32(out + 5, SEEKTABLE_FOOTER_MAGIC);
}

int seektable_footer(const uint8_t footer[SEEKTABLE_FOOTER_BYTES], size_t *n, struct err *err)
{
	uint32_t frames = get32(footer);

	if (get32(footer + 5) != SEEKTABLE_FOOTER_MAGIC)
		return fail(err, "no seek table (footer magic %08x)", get32(footer + 5));
	if (footer[4] != 0)
		return fail(err,
		            "seek table descriptor %#x: checksums and reserved bits unsupported",
		            footer[4]);
	if (frames == 0 || frames > SEEKTABLE_MAX_FRAMES)
		return fail(err, "seek table names %u frames (1..%u)", frames,
		            SEEKTABLE_MAX_FRAMES);
	*n = frames;
	return 0;
}

int seektable_parse(const uint8_t *buf, size_t len, size_t n, struct seek_frame *v, struct err *err)
{
	size_t want = seektable_size(n);
	size_t got;

	if (len != want)
		return fail(err, "seek table of %zu bytes, %zu expected for %zu frames", len, want,
		            n);
	if (get32(buf) != SEEKTABLE_SKIPPABLE_MAGIC)
		return fail(err, "seek table: not a skippable frame (magic %08x)", get32(buf));
	if (get32(buf + 4) != want - SEEKTABLE_HEADER_BYTES)
		return fail(err, "seek table: frame size %u, %zu expected", get32(buf + 4),
		            want - SEEKTABLE_HEADER_BYTES);
	if (seektable_footer(buf + len - SEEKTABLE_FOOTER_BYTES, &got, err) < 0)
		return -1;
	if (got != n)
		return fail(err, "seek table names %zu frames, %zu expected", got, n);
	buf += SEEKTABLE_HEADER_BYTES;
	for (size_t i = 0; i < n; i++, buf += SEEKTABLE_ENTRY_BYTES) {
		v[i].csize = get32(buf);
		v[i].dsize = get32(buf + 4);
		if (v[i].csize == 0)
			return fail(err, "seek table: frame %zu is empty", i);
	}
	return 0;
}

uint64_t seektable_file_tail(int fd, uint64_t size)
{
	uint8_t footer[SEEKTABLE_FOOTER_BYTES];
	struct err err;
	size_t n;

	if (size < sizeof(footer) ||
	    pread(fd, footer, sizeof(footer), (off_t)(size - sizeof(footer))) !=
	        (ssize_t)sizeof(footer) ||
	    seektable_footer(footer, &n, &err) < 0 || seektable_size(n) >= size)
		return 0;
	return seektable_size(n);
}
