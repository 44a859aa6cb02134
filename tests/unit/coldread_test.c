/* Reading installed files ahead when they are not in memory (release/store/coldread.h). The
 * files are written, synced and dropped from the page cache (POSIX_FADV_DONTNEED); what is in
 * memory is judged independently by mincore(2) on a mapping that reads nothing. */
#include "release/store/coldread.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_FILES   24
#define FILE_SIZE (256u << 10)
#define UNWANTED  7 /* entry the caller will not link: never read */

static char dir[] = "/tmp/coldread_test.XXXXXX";
static int relfd = -1;
static struct manifest m;
static struct manifest_file files[N_FILES + 1]; /* entry 0: the directory "d" */
static char paths[N_FILES + 1][32];

static void write_file(const char *path)
{
	static char buf[FILE_SIZE];
	int fd = openat(relfd, path, O_WRONLY | O_CREAT | O_EXCL, 0444);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)rand();
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	cr_assert_eq(fsync(fd), 0);
	close(fd);
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	relfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(relfd, 0);
	cr_assert_eq(mkdirat(relfd, "d", 0755), 0);
	files[0] = (struct manifest_file){.path = "d", .type = MANIFEST_DIR, .mode = 0755};
	for (int i = 1; i <= N_FILES; i++) {
		snprintf(paths[i], sizeof(paths[i]), "d/f%02d", i);
		write_file(paths[i]);
		files[i] = (struct manifest_file){
		    .path = paths[i], .type = MANIFEST_FILE, .size = FILE_SIZE, .mode = 0644};
	}
	m = (struct manifest){.files = files, .n_files = N_FILES + 1};
}

static void teardown(void)
{
	char cmd[300];

	if (relfd >= 0)
		close(relfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* Pages of entry i in memory, of FILE_SIZE / page size. */
static size_t resident_pages(int i)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec[FILE_SIZE / 4096];
	size_t n = FILE_SIZE / (size_t)page, in = 0;
	int fd = openat(relfd, paths[i], O_RDONLY);
	void *map;

	cr_assert_geq(fd, 0);
	map = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	cr_assert_neq(map, MAP_FAILED);
	cr_assert_eq(mincore(map, FILE_SIZE, vec), 0);
	for (size_t p = 0; p < n; p++)
		in += vec[p] & 1;
	munmap(map, FILE_SIZE);
	close(fd);
	return in;
}

static bool all_resident(int i)
{
	return resident_pages(i) == FILE_SIZE / (size_t)sysconf(_SC_PAGESIZE);
}

/* Drops every file from the page cache; skips the test where the filesystem keeps them (tmpfs). */
static void evict_all(void)
{
	for (int i = 1; i <= N_FILES; i++) {
		int fd = openat(relfd, paths[i], O_RDONLY);

		cr_assert_geq(fd, 0);
		cr_assert_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
		close(fd);
		if (resident_pages(i) != 0)
			cr_skip_test("%s keeps its files in memory (tmpfs?)", dir);
	}
}

static bool all_but_unwanted(void *ctx, const struct manifest_file *f)
{
	(void)ctx;
	return f != &files[UNWANTED];
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Waits (10 s at most) for the thread to stand at entry `at`. */
static void wait_waiting_at(struct coldread *c, size_t at)
{
	long long deadline = now_ms() + 10000;

	while (coldread_waiting_at(c) != at && now_ms() < deadline)
		usleep(1000);
	cr_assert_eq(coldread_waiting_at(c), at, "the thread stands at %zu, not %zu",
	             coldread_waiting_at(c), at);
}

/* Waits (10 s at most) for entry i to be in memory whole: readahead may return before the
 * disk has answered. */
static void wait_resident(int i)
{
	long long deadline = now_ms() + 10000;

	while (!all_resident(i) && now_ms() < deadline)
		usleep(1000);
	cr_assert(all_resident(i), "%s was not read ahead (%zu pages in memory)", paths[i],
	          resident_pages(i));
}

TestSuite(coldread, .init = setup, .fini = teardown);

Test(coldread, cold_files_are_read_ahead_and_only_those_wanted)
{
	struct coldread *c;

	evict_all();
	c = coldread_start(&relfd, 1, &m, all_but_unwanted, NULL, UINT64_MAX / 2);
	cr_assert_not_null(c, "files out of memory: the thread should start");
	wait_waiting_at(c, m.n_files); /* it went through them all */
	for (int i = 1; i <= N_FILES; i++)
		if (i != UNWANTED)
			wait_resident(i);
	cr_assert_eq(resident_pages(UNWANTED), 0, "an entry not wanted was read");
	coldread_stop(c);
}

Test(coldread, files_in_memory_start_nothing)
{
	char buf[4096];

	for (int i = 1; i <= N_FILES; i++) {
		int fd = openat(relfd, paths[i], O_RDONLY);

		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	cr_assert_null(coldread_start(&relfd, 1, &m, all_but_unwanted, NULL, COLDREAD_LEAD));
}

Test(coldread, nothing_to_sample_starts_nothing)
{
	int none = open("/", O_RDONLY | O_DIRECTORY); /* holds no d/fNN */

	evict_all();
	cr_assert_null(coldread_start(&relfd, 0, &m, all_but_unwanted, NULL, COLDREAD_LEAD));
	cr_assert_null(coldread_start(&none, 1, &m, all_but_unwanted, NULL, COLDREAD_LEAD));
	close(none);
}

/* With a lead of 1 MiB (four files), it reads the files that start within 1 MiB of the
 * workers and waits; each step of the workers lets it on by as much. */
Test(coldread, the_lead_bounds_how_far_ahead_it_reads)
{
	struct coldread *c;

	evict_all();
	c = coldread_start(&relfd, 1, &m, all_but_unwanted, NULL, 4 * FILE_SIZE);
	cr_assert_not_null(c);
	/* Entry i starts (i - 1) * FILE_SIZE into the files: entries 1 to 5 start within the lead.
	 */
	wait_waiting_at(c, 6);
	for (int i = 1; i <= 5; i++)
		wait_resident(i);
	for (int i = 6; i <= N_FILES; i++)
		cr_assert_eq(resident_pages(i), 0, "%s was read beyond the lead", paths[i]);
	coldread_reached(c, 6); /* entries 0 to 5 placed: up to 6 + 4 files */
	wait_waiting_at(c, 11);
	for (int i = 6; i <= 10; i++)
		if (i != UNWANTED)
			wait_resident(i);
	cr_assert_eq(resident_pages(11), 0);
	coldread_reached(c, 3); /* the workers never go back */
	cr_assert_eq(coldread_waiting_at(c), 11);
	coldread_stop(c); /* while it waits: returns at once */
}
