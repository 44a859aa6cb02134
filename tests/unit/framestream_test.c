/* Decoding one frame in pieces (framestream.h): a prefix is handed over in order and decoding
 * stops there; decoded whole, a frame must end exactly where the seek table says. */
#include "release/store/framestream.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define DATA_BYTES (600u << 10) /* several 128 KiB pieces */

/* A file holding one frame of `data` (content size written, checksum on), `extra` junk bytes
 * after it that the seek table counts as part of the frame, and its frame map. */
static int one_frame(const uint8_t *data, size_t n, size_t extra, struct frame_map *fm)
{
	char path[] = "/tmp/framestream_test.XXXXXX";
	size_t cap = ZSTD_compressBound(n) + extra;
	uint8_t *out = malloc(cap);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t c;
	struct seek_frame v;
	int fd = mkstemp(path);

	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	c = ZSTD_compress2(cc, out, cap, data, n);
	cr_assert(!ZSTD_isError(c));
	memset(out + c, 0x5a, extra);
	v = (struct seek_frame){.csize = (uint32_t)(c + extra), .dsize = (uint32_t)n};
	cr_assert_eq(write(fd, out, c + extra), (ssize_t)(c + extra));
	unlink(path);
	free(out);
	ZSTD_freeCCtx(cc);
	cr_assert_eq(frame_map_build(&v, 1, c + extra, 0, fm, NULL), 0);
	return fd;
}

struct collected {
	uint8_t *buf;
	uint64_t next; /* the offset the next piece must start at */
	size_t calls;
};

static int collect(void *ctx, uint64_t at, const uint8_t *buf, size_t n, struct err *err)
{
	struct collected *c = ctx;

	(void)err;
	cr_assert_eq(at, c->next, "pieces in order");
	memcpy(c->buf + at, buf, n);
	c->next = at + n;
	c->calls++;
	return 0;
}

static uint8_t *pattern(void)
{
	uint8_t *d = malloc(DATA_BYTES);

	srand(7);
	for (size_t i = 0; i < DATA_BYTES; i++)
		d[i] = (uint8_t)(i % 251 < 40 ? (size_t)rand() : 'a' + i % 13);
	return d;
}

Test(framestream, hands_over_a_prefix_in_order_and_stops_there)
{
	uint8_t *data = pattern();
	struct collected c = {.buf = calloc(1, DATA_BYTES)};
	struct frame_stream *s;
	struct frame_map fm;
	int fd = one_frame(data, DATA_BYTES, 0, &fm);

	cr_assert_eq(frame_stream_new(&s, NULL), 0);
	cr_assert_eq(frame_stream_decode(s, fd, &fm, 0, 200000, collect, &c, NULL), 0);
	cr_assert_eq(c.next, 200000, "exactly the prefix asked for");
	cr_assert_eq(memcmp(c.buf, data, 200000), 0);
	cr_assert_lt(c.calls, 4, "stopped after the prefix (%zu pieces)", c.calls);
	/* The same stream again, whole. */
	c.next = 0;
	cr_assert_eq(frame_stream_decode(s, fd, &fm, 0, UINT64_MAX, collect, &c, NULL), 0);
	cr_assert_eq(c.next, DATA_BYTES);
	cr_assert_eq(memcmp(c.buf, data, DATA_BYTES), 0);
	frame_stream_free(s);
	frame_map_release(&fm);
	close(fd);
	free(c.buf);
	free(data);
}

/* Decodes whole the frame one_frame makes of pattern() with `extra` junk bytes, after
 * damage (NULL: none) altered the file: it must be refused; the error. */
static struct err refused_whole(size_t extra, void (*damage)(int fd, const struct frame_map *fm))
{
	uint8_t *data = pattern();
	struct collected c = {.buf = calloc(1, DATA_BYTES)};
	struct frame_stream *s;
	struct frame_map fm;
	struct err err;
	int fd = one_frame(data, DATA_BYTES, extra, &fm);

	if (damage)
		damage(fd, &fm);
	cr_assert_eq(frame_stream_new(&s, NULL), 0);
	cr_assert_eq(frame_stream_decode(s, fd, &fm, 0, UINT64_MAX, collect, &c, &err), -1);
	frame_stream_free(s);
	frame_map_release(&fm);
	close(fd);
	free(c.buf);
	free(data);
	return err;
}

Test(framestream, refuses_bytes_after_the_frame_when_decoded_whole)
{
	struct err err = refused_whole(3, NULL);

	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "is not one zstd frame"), "%s", err.msg);
}

/* One byte flipped in the middle: the checksum (or the block structure) says no. */
static void flip_a_middle_byte(int fd, const struct frame_map *fm)
{
	off_t mid = (off_t)(fm->coff[1] / 2);
	uint8_t byte;

	cr_assert_eq(pread(fd, &byte, 1, mid), 1);
	byte ^= 0x20;
	cr_assert_eq(pwrite(fd, &byte, 1, mid), 1);
}

Test(framestream, refuses_a_frame_that_decodes_to_other_bytes)
{
	cr_assert_eq(refused_whole(0, flip_a_middle_byte).kind, ERR_REFUSED);
}
