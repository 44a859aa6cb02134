/* The tar layout computed from a manifest (tarlayout.h) and the frames a partial pull fetches
 * (frameplan.h). */
#include "release/store/frameplan.h"
#include "release/store/tarlayout.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char long_path[] =
    "a/"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.js";

static struct manifest_file files[] = {
    {.path = "a", .type = MANIFEST_DIR, .mode = 0755},
    {.path = "a/e", .type = MANIFEST_FILE, .mode = 0644, .size = 0},
    {.path = "a/l", .type = MANIFEST_SYMLINK, .mode = 0777, .target = "x"},
    {.path = long_path, .type = MANIFEST_FILE, .mode = 0644, .size = 700},
    {.path = "a/x", .type = MANIFEST_FILE, .mode = 0755, .size = 10},
};

struct mem {
	unsigned char *b;
	size_t len, cap;
};

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	(void)a;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->b = realloc(m->b, m->cap);
	}
	memcpy(m->b + m->len, buf, len);
	m->len += len;
	return (la_ssize_t)len;
}

/* Entry i's data: its size in bytes of the letter 'A' + i. */
static void fill(char *buf, size_t i, size_t n)
{
	memset(buf, 'A' + (int)i, n);
}

Test(tarlayout, offsets_are_where_the_pax_writer_puts_headers_and_data)
{
	struct manifest m = {.files = files, .n_files = 5};
	struct tar_layout l;
	struct mem out = {0};
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	char buf[1024];
	const size_t mlen = 33;

	cr_assert_eq(tar_layout_compute(&m, mlen, &l, NULL), 0);
	cr_assert_eq(l.n, 6);
	/* The real stream, written by the rule pack uses, with data. */
	cr_assert_eq(tar_format_setup(a, 0, NULL), 0);
	cr_assert_eq(archive_write_open2(a, &out, NULL, mem_write, NULL, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < 6; i++) {
		const struct manifest_file *f = i ? &files[i - 1] : NULL;
		size_t n = f ? (f->type == MANIFEST_FILE ? f->size : 0) : mlen;

		if (f)
			tar_entry_set(ae, f->path, f->type, f->mode, f->size, f->target);
		else
			tar_entry_set(ae, MANIFEST_NAME, MANIFEST_FILE, 0644, mlen, NULL);
		cr_assert_eq(out.len, l.header[i], "entry %zu header at %zu, layout %llu", i,
		             out.len, (unsigned long long)l.header[i]);
		cr_assert(archive_write_header(a, ae) >= ARCHIVE_WARN);
		cr_assert_eq(out.len, l.data[i], "entry %zu data", i);
		fill(buf, i, n);
		cr_assert_eq(archive_write_data(a, buf, n), (la_ssize_t)n);
		cr_assert_eq(archive_write_finish_entry(a), ARCHIVE_OK);
	}
	cr_assert_eq(out.len, l.trailer);
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
	cr_assert_eq(out.len, l.total);
	/* The long name needs a pax header: more than one block before its data. */
	cr_assert_gt(l.data[4] - l.header[4], 512);
	/* The data sits at the layout's offsets. */
	fill(buf, 4, 700);
	cr_assert_eq(memcmp(out.b + l.data[4], buf, 700), 0);
	fill(buf, 5, 10);
	cr_assert_eq(memcmp(out.b + l.data[5], buf, 10), 0);
	archive_entry_free(ae);
	archive_write_free(a);
	free(out.b);
	tar_layout_release(&l);
}

/* A layout of 6 entries and 5 frames (offsets in units that make the cases easy to read). */
static struct tar_layout layout6(void)
{
	static uint64_t header[6] = {0, 1024, 2048, 2560, 8192, 9216};
	static uint64_t data[6] = {512, 1536, 2560, 3072, 8704, 9728};
	/* entry 3 (data 3072..8191) spans frames 2..3; entry 2 has no data */
	return (struct tar_layout){
	    .n = 6, .header = header, .data = data, .trailer = 10240, .total = 11264};
}

static const struct seek_frame frames5[5] = {
    {.csize = 100, .dsize = 1024}, /* 0: the manifest entry */
    {.csize = 200, .dsize = 1536}, /* 1: entries 1, 2 */
    {.csize = 300, .dsize = 4096}, /* 2: entry 3's header and first bytes */
    {.csize = 400, .dsize = 1536}, /* 3: the rest of entry 3 */
    {.csize = 500, .dsize = 3072}, /* 4: entries 4, 5, trailer */
};

Test(frameplan, selects_the_frames_holding_the_needed_data_in_runs)
{
	struct tar_layout l = layout6();
	struct frame_map fm;
	struct frame_plan p;
	bool need[6] = {false, true, false, false, false, true};

	cr_assert_eq(frame_map_build(frames5, 5, 1500 + 33, 33, &fm, NULL), 0);
	cr_assert_eq(fm.doff[5], 11264);
	cr_assert_eq(frame_map_find(&fm, 0), 0);
	cr_assert_eq(frame_map_find(&fm, 1023), 0);
	cr_assert_eq(frame_map_find(&fm, 1024), 1);
	cr_assert_eq(frame_map_find(&fm, 11263), 4);
	cr_assert_eq(frame_plan_make(&l, &fm, need, &p, NULL), 0);
	cr_assert_eq(p.frames, 2);
	cr_assert(!p.frame[0] && p.frame[1] && !p.frame[2] && !p.frame[3] && p.frame[4]);
	cr_assert_eq(p.n_runs, 2);
	cr_assert_eq(p.run[0].first, 1);
	cr_assert_eq(p.run[0].offset, 100);
	cr_assert_eq(p.run[0].length, 200);
	cr_assert_eq(p.run[1].offset, 1000);
	cr_assert_eq(p.run[1].length, 500);
	cr_assert_eq(p.bytes, 700);
	frame_plan_release(&p);
	frame_map_release(&fm);
}

/* p fetches frames first .. first + count - 1, bytes offset .. offset + length - 1, as one run. */
static void assert_one_run(const struct frame_plan *p, size_t first, size_t count, uint64_t offset,
                           uint64_t length)
{
	cr_assert_eq(p->n_runs, 1);
	cr_assert_eq(p->run[0].first, first);
	cr_assert_eq(p->run[0].count, count);
	cr_assert_eq(p->run[0].offset, offset);
	cr_assert_eq(p->run[0].length, length);
}

Test(frameplan, a_file_across_frames_takes_them_all_as_one_run)
{
	struct tar_layout l = layout6();
	struct frame_map fm;
	struct frame_plan p;
	bool need[6] = {false, false, false, true, true, false};

	cr_assert_eq(frame_map_build(frames5, 5, 1500, 0, &fm, NULL), 0);
	cr_assert_eq(frame_plan_make(&l, &fm, need, &p, NULL), 0);
	cr_assert(!p.frame[0] && !p.frame[1] && p.frame[2] && p.frame[3] && p.frame[4]);
	assert_one_run(&p, 2, 3, 300, 1200);
	frame_plan_release(&p);
	frame_map_release(&fm);
}

Test(frameplan, entries_without_data_and_nothing_needed_fetch_nothing)
{
	struct tar_layout l = layout6();
	struct frame_map fm;
	struct frame_plan p;
	bool need[6] = {false, false, true, false, false, false}; /* entry 2: no data */

	cr_assert_eq(frame_map_build(frames5, 5, 1500, 0, &fm, NULL), 0);
	cr_assert_eq(frame_plan_make(&l, &fm, need, &p, NULL), 0);
	cr_assert_eq(p.frames, 0);
	cr_assert_eq(p.n_runs, 0);
	cr_assert_eq(p.bytes, 0);
	frame_plan_release(&p);
	frame_map_release(&fm);
}

Test(frameplan, refuses_a_layout_other_than_the_seek_tables)
{
	struct tar_layout l = layout6();
	struct frame_map fm;
	struct frame_plan p;
	struct err err;
	bool need[6] = {false};

	l.total += 512;
	cr_assert_eq(frame_map_build(frames5, 5, 1500, 0, &fm, NULL), 0);
	cr_assert_eq(frame_plan_make(&l, &fm, need, &p, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "not written by this tar rule"), "%s", err.msg);
	frame_map_release(&fm);
}

Test(frameplan, map_refuses_sizes_that_disagree_with_the_archive_or_are_unbounded)
{
	struct frame_map fm;
	struct seek_frame big[1] = {{.csize = 10, .dsize = FRAME_DSIZE_MAX + 1}};
	struct seek_frame empty[1] = {{.csize = 10, .dsize = 0}};
	struct err err;

	cr_assert_eq(frame_map_build(frames5, 5, 1501, 0, &fm, &err), -1);
	cr_assert(strstr(err.msg, "frames of 1500 bytes"), "%s", err.msg);
	cr_assert_eq(frame_map_build(frames5, 5, 10, 20, &fm, &err), -1);
	cr_assert_eq(frame_map_build(big, 1, 10, 0, &fm, &err), -1);
	cr_assert(strstr(err.msg, "decompresses to"), "%s", err.msg);
	cr_assert_eq(frame_map_build(empty, 1, 10, 0, &fm, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
}
