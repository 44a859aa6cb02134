/* libFuzzer target: frame_stream_decode on untrusted frame bytes. The first 8 bytes give the
 * seek table's decompressed size (1 byte to 1 MiB) and how much of it is asked for; the rest
 * is the frame. Whatever the input: pieces arrive in order, never past what was asked for,
 * never past the table's size, and an accepted whole decode delivered exactly that size. */
#include "release/base/error.h"
#include "release/store/framestream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct seen {
	uint64_t next, stop;
};

static int check(void *ctx, uint64_t at, const uint8_t *buf, size_t n, struct err *err)
{
	struct seen *s = ctx;

	(void)buf;
	(void)err;
	if (at != s->next || n == 0 || at + n > s->stop)
		abort();
	s->next = at + n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame_stream *fs;
	struct seek_frame v;
	struct frame_map fm;
	struct seen s = {0};
	uint32_t dsize, stop;
	struct err err;
	int fd, r;

	if (size < 9 || size - 8 > UINT32_MAX)
		return 0;
	if (!fs && frame_stream_new(&fs, NULL) < 0)
		abort();
	memcpy(&dsize, data, 4);
	memcpy(&stop, data + 4, 4);
	dsize = dsize % (1u << 20) + 1;
	stop = stop % (dsize + 1) + 1; /* 1 .. dsize + 1: dsize + 1 means whole */
	v = (struct seek_frame){.csize = (uint32_t)(size - 8), .dsize = dsize};
	if (frame_map_build(&v, 1, size - 8, 0, &fm, NULL) < 0)
		return 0;
	fd = memfd_create("frame", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data + 8, size - 8) != (ssize_t)(size - 8))
		abort();
	s.stop = stop > dsize ? dsize : stop;
	r = frame_stream_decode(fs, fd, &fm, 0, stop, check, &s, &err);
	if (r == 0 && s.next != s.stop)
		abort();
	close(fd);
	frame_map_release(&fm);
	return 0;
}
