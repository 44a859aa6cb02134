/* One frame decoded in pieces (see framestream.h). */
#include "release/store/framestream.h"

#include "release/base/bigmem.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: its window from bigmem */
#include <zstd.h>

#define STREAM_IN  (128u << 10)
#define STREAM_OUT ((size_t)ZSTD_BLOCKSIZE_MAX)

struct frame_stream {
	ZSTD_DCtx *d;
	uint8_t *in, *out;
};

int frame_stream_new(struct frame_stream **out, struct err *err)
{
	static const ZSTD_customMem mem = {bigmem_zstd_alloc, bigmem_zstd_free, NULL};
	struct frame_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->d = ZSTD_createDCtx_advanced(mem)) || !(s->in = malloc(STREAM_IN)) ||
	    !(s->out = malloc(STREAM_OUT))) {
		frame_stream_free(s);
		return fail_oom(err);
	}
	/* A window as large as the largest frame the map accepts, no larger. */
	if (ZSTD_isError(ZSTD_DCtx_setParameter(s->d, ZSTD_d_windowLogMax, 26))) {
		frame_stream_free(s);
		return fail(err, "zstd refuses a 64 MiB window");
	}
	*out = s;
	return 0;
}

void frame_stream_free(struct frame_stream *s)
{
	if (!s)
		return;
	ZSTD_freeDCtx(s->d);
	free(s->in);
	free(s->out);
	free(s);
}

static int read_exact(int fd, uint8_t *buf, size_t n, uint64_t at, size_t f, struct err *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(at + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_sys(err, "cannot read frame %zu", f);
		if (r == 0)
			return fail(err, "frame %zu is missing from the download", f);
		got += (size_t)r;
	}
	return 0;
}

static int not_one_frame(size_t f, uint64_t csize, uint64_t dsize, struct err *err)
{
	return fail(err, "frame %zu is not one zstd frame of %llu bytes decompressing to %llu", f,
	            (unsigned long long)csize, (unsigned long long)dsize);
}

int frame_stream_decode(struct frame_stream *s, int fd, const struct frame_map *fm, size_t f,
                        uint64_t stop, frame_sink_fn sink, void *ctx, struct err *err)
{
	uint64_t csize = fm->coff[f + 1] - fm->coff[f], dsize = fm->doff[f + 1] - fm->doff[f];
	uint64_t read = 0, done = 0;
	ZSTD_inBuffer in = {s->in, 0, 0};
	size_t ret = 1;

	if (stop > dsize)
		stop = dsize;
	/* Sizes bounded by frame_map_build; a frame compresses to at most its bound. */
	if (csize > ZSTD_compressBound(dsize))
		return fail(err, "frame %zu: %llu bytes for %llu of data", f,
		            (unsigned long long)csize, (unsigned long long)dsize);
	if (ZSTD_isError(ZSTD_DCtx_reset(s->d, ZSTD_reset_session_only)))
		return fail(err, "cannot reset the zstd decoder");
	/* Whole, it runs on past the data to the frame's end (its checksum, if any). */
	while (ret != 0 && (done < stop || stop == dsize)) {
		ZSTD_outBuffer o = {s->out, STREAM_OUT, 0};

		if (in.pos == in.size) {
			size_t want = csize - read < STREAM_IN ? (size_t)(csize - read) : STREAM_IN;

			if (want == 0)
				break; /* the frame's bytes end before its data does */
			if (read_exact(fd, s->in, want, fm->coff[f] + read, f, err) < 0)
				return -1;
			if (read == 0 && ZSTD_getFrameContentSize(s->in, want) != dsize)
				return not_one_frame(f, csize, dsize, err);
			read += want;
			in = (ZSTD_inBuffer){s->in, want, 0};
		}
		ret = ZSTD_decompressStream(s->d, &o, &in);
		if (ZSTD_isError(ret))
			return fail(err, "frame %zu does not decompress: %s", f,
			            ZSTD_getErrorName(ret));
		if (o.pos == 0)
			continue;
		if (done + o.pos > dsize)
			return not_one_frame(f, csize, dsize, err);
		if (sink(ctx, done, s->out, done + o.pos > stop ? (size_t)(stop - done) : o.pos,
		         err) < 0)
			return -1;
		done += o.pos;
	}
	if (done < stop)
		return not_one_frame(f, csize, dsize, err);
	/* Whole: the frame ends exactly where the table says, with nothing after it. */
	if (stop == dsize && (ret != 0 || read != csize || in.pos != in.size))
		return not_one_frame(f, csize, dsize, err);
	return 0;
}

int frame_stream_decode_whole(struct frame_stream *s, int fd, const struct frame_map *fm, size_t f,
                              uint8_t **out, size_t *len, struct err *err)
{
	uint64_t csize = fm->coff[f + 1] - fm->coff[f], dsize = fm->doff[f + 1] - fm->doff[f];
	uint8_t *in = NULL, *buf = NULL;
	size_t got;

	*out = NULL;
	*len = 0;
	/* Sizes bounded by frame_map_build; a frame compresses to at most its bound. */
	if (csize > ZSTD_compressBound(dsize))
		return fail(err, "frame %zu: %llu bytes for %llu of data", f,
		            (unsigned long long)csize, (unsigned long long)dsize);
	if (!(in = bigmem_alloc(csize ? csize : 1)) || !(buf = bigmem_alloc(dsize ? dsize : 1))) {
		bigmem_free(in);
		return fail_oom(err);
	}
	if (read_exact(fd, in, csize, fm->coff[f], f, err) < 0)
		goto fail;
	/* One frame, exactly the table's sizes, nothing after it. */
	if (ZSTD_getFrameContentSize(in, csize) != dsize ||
	    ZSTD_findFrameCompressedSize(in, csize) != csize) {
		not_one_frame(f, csize, dsize, err);
		goto fail;
	}
	got = ZSTD_decompressDCtx(s->d, buf, dsize, in, csize);
	if (ZSTD_isError(got)) {
		fail(err, "frame %zu does not decompress: %s", f, ZSTD_getErrorName(got));
		goto fail;
	}
	if (got != dsize) {
		not_one_frame(f, csize, dsize, err);
		goto fail;
	}
	bigmem_free(in);
	*out = buf;
	*len = dsize;
	return 0;
fail:
	bigmem_free(in);
	bigmem_free(buf);
	return -1;
}
