/* The groups of frames a local delta install's workers take in turn (framebuild.h), and the
 * layout lookup they start from (tarlayout.h). */
#include "release/store/framebuild.h"
#include "release/store/tarlayout.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Six frames of 100 bytes of tar stream each. */
static uint64_t coff6[] = {0, 40, 80, 120, 160, 200, 240};
static uint64_t doff6[] = {0, 100, 200, 300, 400, 500, 600};
static struct frame_map fm6 = {.n = 6, .coff = coff6, .doff = doff6};

/* Entry 0 is the manifest; the files' data: b in frame 0, c from frame 1 into frames 2 and 3
 * (a file cut across frames), an empty file and a directory at the start of frame 4, d in 4
 * ending exactly at its end, e in frame 5. */
static struct manifest_file files[] = {
    {.path = "b", .type = MANIFEST_FILE, .size = 30},
    {.path = "c", .type = MANIFEST_FILE, .size = 250},
    {.path = "d0", .type = MANIFEST_FILE, .size = 0},
    {.path = "dir", .type = MANIFEST_DIR},
    {.path = "dir/d", .type = MANIFEST_FILE, .size = 90},
    {.path = "e", .type = MANIFEST_FILE, .size = 10},
};
static uint64_t header7[] = {0, 50, 130, 400, 400, 400, 510};
static uint64_t data7[] = {10, 60, 140, 400, 400, 410, 520};

static struct tar_layout layout7(void)
{
	return (struct tar_layout){
	    .n = 7, .header = header7, .data = data7, .trailer = 540, .total = 600};
}

Test(framebuild, a_file_cut_across_frames_keeps_them_in_one_group)
{
	struct manifest m = {.files = files, .n_files = 6};
	struct tar_layout l = layout7();
	size_t *first = NULL, n = 0;

	cr_assert_eq(frame_groups(&fm6, &l, &m, &first, &n, NULL), 0);
	/* c (140..390) runs from frame 1 into frames 2 and 3: they are not groups of their own. */
	cr_assert_eq(n, 4);
	cr_assert_eq(first[0], 0);
	cr_assert_eq(first[1], 1);
	cr_assert_eq(first[2], 4);
	cr_assert_eq(first[3], 5);
	cr_assert_eq(first[4], 6);
	free(first);
}

Test(framebuild, a_file_ending_at_a_frame_end_does_not_join_the_next)
{
	static struct manifest_file one[] = {{.path = "f", .type = MANIFEST_FILE, .size = 90}};
	static uint64_t h[] = {0, 5}, d[] = {5, 10};
	struct tar_layout l = {.n = 2, .header = h, .data = d, .trailer = 100, .total = 600};
	struct manifest m = {.files = one, .n_files = 1};
	size_t *first = NULL, n = 0;

	cr_assert_eq(frame_groups(&fm6, &l, &m, &first, &n, NULL), 0);
	cr_assert_eq(n, 6, "f (10..100) lies in frame 0 alone: %zu groups", n);
	free(first);
}

Test(framebuild, refuses_a_file_past_the_frames)
{
	static struct manifest_file one[] = {{.path = "f", .type = MANIFEST_FILE, .size = 700}};
	static uint64_t h[] = {0, 5}, d[] = {5, 10};
	struct tar_layout l = {.n = 2, .header = h, .data = d, .trailer = 710, .total = 1024};
	struct manifest m = {.files = one, .n_files = 1};
	size_t *first = NULL, n = 0;
	struct err err;

	cr_assert_eq(frame_groups(&fm6, &l, &m, &first, &n, &err), -1);
	cr_assert_null(first);
	cr_assert(strstr(err.msg, "f ends past the archive's frames"), "%s", err.msg);
}

Test(framebuild, first_at_finds_the_first_entry_starting_at_or_after)
{
	struct tar_layout l = layout7();

	cr_assert_eq(tar_layout_first_at(&l, 0), 0);
	cr_assert_eq(tar_layout_first_at(&l, 10), 0);
	cr_assert_eq(tar_layout_first_at(&l, 11), 1);
	cr_assert_eq(tar_layout_first_at(&l, 100), 2);
	cr_assert_eq(tar_layout_first_at(&l, 400), 3, "the first of equal offsets");
	cr_assert_eq(tar_layout_first_at(&l, 401), 5);
	cr_assert_eq(tar_layout_first_at(&l, 521), 7);
}
