/* Decoding fetched frames (framestream.h, framefiles.h): a frame must be one zstd frame of exactly
 * its seek-table sizes, and frame 0 must start with the manifest entry. */
#include "release/store/framefiles.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

/* A file holding `n` bytes of `data`, compressed as one frame (content size written), and a
 * frame map of it claiming `dsize` decompressed bytes. */
static int one_frame(const void *data, size_t n, uint32_t dsize, struct frame_map *fm)
{
	char path[] = "/tmp/framefiles_test.XXXXXX";
	size_t cap = ZSTD_compressBound(n);
	void *out = malloc(cap);
	size_t c = ZSTD_compress(out, cap, data, n, 3);
	struct seek_frame v = {.csize = (uint32_t)c, .dsize = dsize};
	int fd = mkstemp(path);

	cr_assert(!ZSTD_isError(c));
	cr_assert_eq(write(fd, out, c), (ssize_t)c);
	unlink(path);
	free(out);
	cr_assert_eq(frame_map_build(&v, 1, c, 0, fm, NULL), 0);
	return fd;
}

/* Frame 0 of fd decodes, with s, to the n bytes at data. */
static void decodes_to(struct frame_stream *s, int fd, const struct frame_map *fm, const void *data,
                       size_t n)
{
	uint8_t *buf;
	size_t len;

	cr_assert_eq(frame_stream_decode_whole(s, fd, fm, 0, &buf, &len, NULL), 0);
	cr_assert_eq(len, n);
	cr_assert_eq(memcmp(buf, data, len), 0);
	bigmem_free(buf);
}

Test(framefiles, decodes_a_frame_of_its_sizes)
{
	char data[3000];
	struct frame_stream *s;
	struct frame_map fm;
	int fd;

	memset(data, 'q', sizeof(data));
	fd = one_frame(data, sizeof(data), sizeof(data), &fm);
	cr_assert_eq(frame_stream_new(&s, NULL), 0);
	decodes_to(s, fd, &fm, data, sizeof(data));
	frame_stream_free(s);
	frame_map_release(&fm);
	close(fd);
}

Test(framefiles, refuses_a_frame_whose_content_size_is_not_the_tables)
{
	char data[3000];
	struct frame_stream *s;
	struct frame_map fm;
	struct err err;
	uint8_t *buf;
	size_t len;
	int fd;

	memset(data, 'q', sizeof(data));
	fd = one_frame(data, sizeof(data), sizeof(data) + 1, &fm);
	cr_assert_eq(frame_stream_new(&s, NULL), 0);
	cr_assert_eq(frame_stream_decode_whole(s, fd, &fm, 0, &buf, &len, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "is not one zstd frame"), "%s", err.msg);
	frame_stream_free(s);
	frame_map_release(&fm);
	close(fd);
}

Test(framefiles, refuses_a_frame_missing_from_the_download)
{
	char data[3000];
	struct frame_stream *s;
	struct frame_map fm;
	struct err err;
	uint8_t *buf;
	size_t len;
	int fd;

	memset(data, 'q', sizeof(data));
	fd = one_frame(data, sizeof(data), sizeof(data), &fm);
	cr_assert_eq(ftruncate(fd, 5), 0);
	cr_assert_eq(frame_stream_new(&s, NULL), 0);
	cr_assert_eq(frame_stream_decode_whole(s, fd, &fm, 0, &buf, &len, &err), -1);
	cr_assert(strstr(err.msg, "missing from the download"), "%s", err.msg);
	frame_stream_free(s);
	frame_map_release(&fm);
	close(fd);
}

Test(framefiles, one_stream_decodes_frame_after_frame_past_a_refusal)
{
	char data[3000];
	struct frame_stream *s;
	struct frame_map bad, good;
	struct err err;
	uint8_t *buf;
	size_t len;
	int badfd, goodfd;

	memset(data, 'q', sizeof(data));
	badfd = one_frame(data, sizeof(data), sizeof(data) + 1, &bad);
	goodfd = one_frame(data, sizeof(data), sizeof(data), &good);
	cr_assert_eq(frame_stream_new(&s, NULL), 0);
	cr_assert_eq(frame_stream_decode_whole(s, badfd, &bad, 0, &buf, &len, &err), -1);
	decodes_to(s, goodfd, &good, data, sizeof(data));
	decodes_to(s, goodfd, &good, data, sizeof(data));
	frame_stream_free(s);
	frame_map_release(&bad);
	frame_map_release(&good);
	close(badfd);
	close(goodfd);
}

static size_t tar_of(const char *name, const char *data, unsigned char *out, size_t cap)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t used = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_per_block(a, 0);
	cr_assert_eq(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(data));
	cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
	cr_assert_eq(archive_write_data(a, data, strlen(data)), (la_ssize_t)strlen(data));
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	return used;
}

Test(framefiles, frame0_gives_the_manifest_and_nothing_else)
{
	unsigned char tar[8192], garbage[] = "garbage";
	size_t n, jlen;
	struct err err;

	n = tar_of(MANIFEST_NAME, "{\"format\":1}", tar, sizeof(tar));
	cr_assert_eq(frame_manifest(tar, n, &jlen, NULL), 0);
	cr_assert_eq(jlen, 12);
	cr_assert_str_eq((char *)tar, "{\"format\":1}", "moved to the start, NUL-terminated");
	n = tar_of("other.json", "{}", tar, sizeof(tar));
	cr_assert_eq(frame_manifest(tar, n, &jlen, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "does not hold the manifest"), "%s", err.msg);
	cr_assert_eq(frame_manifest(garbage, 7, &jlen, &err), -1);
}
