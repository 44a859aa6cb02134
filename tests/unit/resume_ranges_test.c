/* The list of ranges an interrupted partial pull kept (cmd/support/resume_ranges.h): what
 * it records is found again by the next pull; a list that does not parse, or names bytes the
 * frames file does not have, is dropped with the file. */
#include "cmd/support/resume_ranges.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/resume_ranges_test.XXXXXX";
static int dfd;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
}

static void teardown(void)
{
	unlinkat(dfd, "a.frames", 0);
	unlinkat(dfd, "a.frames.done", 0);
	close(dfd);
	rmdir(dir);
}

static int frames_of(off_t size)
{
	int fd = openat(dfd, "a.frames", O_RDWR | O_CREAT, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, size), 0);
	return fd;
}

static void write_list(const char *text)
{
	int fd = openat(dfd, "a.frames.done", O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

TestSuite(resume_ranges, .init = setup, .fini = teardown);

Test(resume_ranges, what_is_recorded_is_found_by_the_next_pull)
{
	struct resume_ranges rr;
	struct byte_range sp[2] = {{900, 100}, {0, 64}};
	int fd = frames_of(1000);

	cr_assert_eq(resume_ranges_open(&rr, dfd, "a.frames.done", fd, 1000, NULL), 0);
	cr_assert_eq(rr.n, 0);
	cr_assert_eq(resume_ranges_add(&rr, fd, sp, 2, NULL), 0);
	resume_ranges_close(&rr);
	cr_assert_eq(resume_ranges_open(&rr, dfd, "a.frames.done", fd, 1000, NULL), 0);
	cr_assert_eq(rr.n, 2);
	cr_assert(resume_ranges_has(&rr, 0, 64));
	cr_assert(resume_ranges_has(&rr, 10, 20), "inside a range");
	cr_assert(resume_ranges_has(&rr, 900, 100));
	cr_assert_not(resume_ranges_has(&rr, 60, 10), "past a range's end");
	cr_assert_not(resume_ranges_has(&rr, 100, 1), "between ranges");
	cr_assert_not(resume_ranges_has(&rr, 899, 2));
	resume_ranges_close(&rr);
	close(fd);
}

/* The install after a pull's look ahead asks again for what the look ahead fetched, in runs
 * that may span several of its requests. */
Test(resume_ranges, what_is_recorded_is_found_in_the_same_pull_and_joined)
{
	struct resume_ranges rr;
	struct byte_range a[2] = {{100, 50}, {0, 100}}, b[1] = {{150, 50}}, c[1] = {{300, 10}};
	int fd = frames_of(1000);

	cr_assert_eq(resume_ranges_open(&rr, dfd, "a.frames.done", fd, 1000, NULL), 0);
	cr_assert_eq(resume_ranges_add(&rr, fd, a, 2, NULL), 0);
	cr_assert(resume_ranges_has(&rr, 0, 150), "two touching ranges of one request");
	cr_assert_eq(resume_ranges_add(&rr, fd, b, 1, NULL), 0);
	cr_assert_eq(resume_ranges_add(&rr, fd, c, 1, NULL), 0);
	cr_assert_eq(rr.n, 2, "[0, 200) and [300, 310)");
	cr_assert(resume_ranges_has(&rr, 120, 60), "across two requests");
	cr_assert(resume_ranges_has(&rr, 300, 10));
	cr_assert_not(resume_ranges_has(&rr, 190, 20), "into the gap");
	resume_ranges_close(&rr);
	cr_assert_eq(resume_ranges_open(&rr, dfd, "a.frames.done", fd, 1000, NULL), 0);
	cr_assert_eq(rr.n, 2, "joined when read again");
	cr_assert(resume_ranges_has(&rr, 0, 200));
	resume_ranges_close(&rr);
	close(fd);
}

Test(resume_ranges, a_bad_list_is_dropped_with_the_frames)
{
	const char *bad[] = {
	    "0 64\n100",                /* no newline at the end */
	    "0 64\n01 5\n",             /* a leading zero */
	    "0 0\n",                    /* an empty range */
	    "900 200\n",                /* past the frames file */
	    "18446744073709551615 1\n", /* past 2^64 */
	    "a b\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct resume_ranges rr;
		struct stat sb;
		int fd = frames_of(1000);

		write_list(bad[i]);
		cr_assert_eq(resume_ranges_open(&rr, dfd, "a.frames.done", fd, 1000, NULL), 0);
		cr_assert_eq(rr.n, 0, "kept: %s", bad[i]);
		cr_assert_eq(fstat(fd, &sb), 0);
		cr_assert_eq(sb.st_size, 0, "the frames file is truncated after: %s", bad[i]);
		resume_ranges_close(&rr);
		close(fd);
	}
}

Test(resume_ranges, a_list_longer_than_the_archive_is_dropped)
{
	struct resume_ranges rr;
	int fd = frames_of(5000);

	write_list("0 100\n4000 1000\n");
	cr_assert_eq(resume_ranges_open(&rr, dfd, "a.frames.done", fd, 4500, NULL), 0);
	cr_assert_eq(rr.n, 0, "a range past the archive's 4500 bytes");
	resume_ranges_close(&rr);
	close(fd);
}
