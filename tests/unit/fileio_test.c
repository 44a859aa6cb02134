#include <criterion/criterion.h>

#include "release/base/bigmem.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/slipway-fileio-XXXXXX";
static int dfd = -1;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(dfd, 0);
}

static void teardown(void)
{
	struct err err;

	remove_tree_at(AT_FDCWD, dir, &err);
	close(dfd);
}

TestSuite(fileio, .init = setup, .fini = teardown);

Test(fileio, atomic_write_sets_exact_mode_and_content)
{
	struct err err;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	umask(077);
	cr_assert_eq(write_file_atomic(dfd, "f", "hello", 5, 0644, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(fstatat(dfd, "f", &st, 0), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(read_file_at(dfd, "f", 100, 1, &buf, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(len, 5);
	cr_assert_str_eq(buf, "hello");
	free(buf);
}

Test(fileio, exclusive_write_refuses_existing_file)
{
	struct err err;
	char *buf = NULL;

	cr_assert_eq(write_file_atomic(dfd, "f", "one", 3, 0600, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(write_file_atomic(dfd, "f", "two", 3, 0600, 1, &err), -1);
	cr_assert(strstr(err.msg, "already exists"), "%s", err.msg);
	cr_assert_eq(read_file_at(dfd, "f", 100, 1, &buf, NULL, &err), 0);
	cr_assert_str_eq(buf, "one");
	free(buf);
}

/* A file written in pieces: nothing under its name until the commit, nothing at all after an
 * abort, and an exclusive commit fails when the name appeared meanwhile. */
Test(fileio, atomic_file_appears_whole_at_commit_or_not_at_all)
{
	struct atomic_file af;
	struct err err;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd;

	cr_assert_eq(atomic_file_open(&af, dfd, "sub/f", 0640, 0, &err), -1, "no sub/ yet");
	cr_assert_eq(mkdirat(dfd, "sub", 0755), 0);
	cr_assert_eq(atomic_file_open(&af, dfd, "sub/f", 0640, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(write(af.fd, "one ", 4), 4);
	cr_assert_eq(faccessat(dfd, "sub/f", F_OK, 0), -1, "visible before the commit");
	cr_assert_eq(write(af.fd, "two", 3), 3);
	cr_assert_eq(atomic_file_commit(&af, &err), 0, "%s", err.msg);
	cr_assert_eq(read_file_at(dfd, "sub/f", 100, 0, &buf, &len, &err), 0, "%s", err.msg);
	cr_assert_str_eq(buf, "one two");
	free(buf);
	cr_assert_eq(fstatat(dfd, "sub/f", &st, 0), 0);
	cr_assert_eq(st.st_mode & 07777, 0640);

	cr_assert_eq(atomic_file_open(&af, dfd, "sub/g", 0644, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(write(af.fd, "x", 1), 1);
	atomic_file_abort(&af);
	atomic_file_abort(&af); /* twice is harmless */
	cr_assert_eq(faccessat(dfd, "sub/g", F_OK, 0), -1);
	cr_assert_eq(faccessat(dfd, af.tmp, F_OK, 0), -1, "the temporary is left");

	cr_assert_eq(atomic_file_open(&af, dfd, "sub/h", 0644, 1, &err), 0, "%s", err.msg);
	fd = openat(dfd, "sub/h", O_WRONLY | O_CREAT | O_EXCL, 0644); /* someone else's */
	cr_assert_eq(write(fd, "first", 5), 5);
	close(fd);
	cr_assert_eq(atomic_file_commit(&af, &err), -1, "an exclusive commit replaced a new name");
	cr_assert_eq(faccessat(dfd, af.tmp, F_OK, 0), -1, "the temporary is left");
	cr_assert_eq(read_file_at(dfd, "sub/h", 100, 0, &buf, &len, &err), 0, "%s", err.msg);
	cr_assert_str_eq(buf, "first");
	free(buf);
}

Test(fileio, read_refuses_oversized_and_symlinked_files)
{
	struct err err;
	char *buf = NULL;

	cr_assert_eq(write_file_atomic(dfd, "big", "0123456789", 10, 0600, 0, &err), 0);
	cr_assert_eq(read_file_at(dfd, "big", 9, 1, &buf, NULL, &err), -1);
	cr_assert(strstr(err.msg, "larger than"), "%s", err.msg);
	cr_assert_eq(symlinkat("big", dfd, "link"), 0);
	cr_assert_eq(read_file_at(dfd, "link", 100, 1, &buf, NULL, &err), -1);
	cr_assert_eq(read_file_at(dfd, "link", 100, 0, &buf, NULL, &err), 0, "%s", err.msg);
	free(buf);
}

Test(fileio, remove_tree_does_not_follow_symlinks)
{
	struct err err;
	struct stat st;

	cr_assert_eq(mkdirat(dfd, "keep", 0755), 0);
	cr_assert_eq(write_file_atomic(dfd, "keep/precious", "x", 1, 0600, 0, &err), 0);
	cr_assert_eq(mkdirat(dfd, "gone", 0755), 0);
	cr_assert_eq(symlinkat("../keep", dfd, "gone/link"), 0);
	cr_assert_eq(remove_tree_at(dfd, "gone", &err), 0, "%s", err.msg);
	cr_assert_eq(fstatat(dfd, "gone", &st, AT_SYMLINK_NOFOLLOW), -1);
	cr_assert_eq(fstatat(dfd, "keep/precious", &st, 0), 0);
}

/* A FIFO where a file is expected: refused at once, never waited for (a blocking open would
 * hang until a writer came). */
Test(fileio, read_refuses_a_fifo_without_blocking, .timeout = 10)
{
	struct err err;
	char *buf = NULL;

	cr_assert_eq(mkfifoat(dfd, "fifo", 0600), 0);
	cr_assert_eq(read_file_at(dfd, "fifo", 100, 1, &buf, NULL, &err), -1);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert_eq(open_regular_at(dfd, "fifo", 0, NULL, &err), -1);
	cr_assert_eq(read_file_at(dfd, "missing", 100, 1, &buf, NULL, &err), -1);
	cr_assert_eq(err.kind, ERR_SYSTEM);
}

/* deep_tree DEPTH: DEPTH nested directories "d" below dfd/deep, each but the last with a file
 * and a sibling directory holding a file, built holding one descriptor at a time. */
static void deep_tree(int depth)
{
	int fd = dup(dfd), next;

	for (int i = 0; i <= depth; i++) {
		cr_assert_eq(mkdirat(fd, i ? "d" : "deep", 0755), 0, "level %d", i);
		next = openat(fd, i ? "d" : "deep", O_RDONLY | O_DIRECTORY);
		cr_assert_geq(next, 0, "level %d", i);
		close(fd);
		fd = next;
		close(openat(fd, "f", O_WRONLY | O_CREAT, 0644));
		cr_assert_eq(mkdirat(fd, "side", 0755), 0);
		close(openat(fd, "side/g", O_WRONLY | O_CREAT, 0644));
	}
	close(fd);
}

/* Removal holds a bounded number of descriptors: a tree far deeper than the descriptor limit
 * (the usual soft limit is 1024) is removed whole. */
Test(fileio, remove_tree_is_bounded_in_descriptors_whatever_the_depth)
{
	struct rlimit lim = {.rlim_cur = REMOVE_TREE_FDS + 16, .rlim_max = RLIM_INFINITY};
	struct rlimit old;
	struct err err;
	struct stat st;

	deep_tree(3000);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim.rlim_max = old.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	cr_assert_eq(remove_tree_at(dfd, "deep", &err), 0, "%s", err.msg);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	cr_assert_eq(fstatat(dfd, "deep", &st, AT_SYMLINK_NOFOLLOW), -1);
}

/* The one open of inputs: no wait for a FIFO whatever the access mode, creation allowed,
 * and below a directory no symlink on any component. */
Test(fileio, open_regular_never_blocks_nor_follows, .timeout = 10)
{
	struct stat sb;
	struct err err;
	int fd;

	cr_assert_eq(mkfifoat(dfd, "fifo", 0600), 0);
	cr_assert_eq(open_regular(dfd, "fifo", O_RDWR | O_NOFOLLOW, 0, NULL, &err), -1);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
	cr_assert_eq(open_regular_beneath(dfd, "fifo", NULL, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);

	fd = open_regular(dfd, "made", O_RDWR | O_CREAT | O_NOFOLLOW, 0640, &sb, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(sb.st_mode & 0777, 0640 & ~umask(022));
	cr_assert_eq(write(fd, "x", 1), 1, "the descriptor blocks and writes again");
	close(fd);

	cr_assert_eq(symlinkat("made", dfd, "link"), 0);
	cr_assert_eq(open_regular(dfd, "link", O_RDONLY | O_NOFOLLOW, 0, NULL, &err), -1);
	cr_assert_eq(mkdirat(dfd, "sub", 0755), 0);
	cr_assert_eq(symlinkat("..", dfd, "sub/up"), 0);
	cr_assert_eq(open_regular_beneath(dfd, "sub/up/made", NULL, &err), -1);
	fd = open_regular_beneath(dfd, "made", &sb, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK, "kept: reads of a regular file ignore it");
	cr_assert_eq(pread(fd, &(char){0}, 1, 0), 1, "and it reads");
	close(fd);
	cr_assert_eq(open_regular_at(dfd, "nothing", 1, NULL, &err), -1);
	cr_assert_eq(errno, ENOENT, "a missing file keeps the open's errno");
}

/* Reading an installed file to compare it must not dirty its inode: with relatime, a read
 * updates an atime older than the mtime or ctime (a link moves the ctime). */
Test(fileio, open_regular_beneath_reads_without_touching_the_atime)
{
	struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_nsec = UTIME_OMIT}};
	struct err err;
	struct stat before, after;
	char c;
	int fd = openat(dfd, "kept", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "x", 1), 1);
	close(fd);
	/* An atime far older than the mtime: any read without O_NOATIME would update it. */
	cr_assert_eq(utimensat(dfd, "kept", old, 0), 0);
	cr_assert_eq(fstatat(dfd, "kept", &before, 0), 0);
	fd = open_regular_beneath(dfd, "kept", NULL, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert(fcntl(fd, F_GETFL) & O_NOATIME);
	cr_assert_eq(pread(fd, &c, 1, 0), 1);
	close(fd);
	cr_assert_eq(fstatat(dfd, "kept", &after, 0), 0);
	cr_assert_eq(after.st_atim.tv_sec, before.st_atim.tv_sec, "the atime moved");
}

Test(fileio, fs_room_compares_with_the_space_available)
{
	struct err err;

	cr_assert_eq(fs_room(dfd, 0, dir, "nothing", &err), 0);
	cr_assert_eq(fs_room(dfd, 4096, dir, "a page", &err), 0);
	cr_assert_eq(fs_room(dfd, UINT64_MAX, dir, "the archive", &err), -1);
	cr_assert_eq(err.kind, ERR_SYSTEM);
	cr_assert(strstr(err.msg, "not enough space in /tmp/slipway-fileio-") == err.msg, "%s",
	          err.msg);
	cr_assert(strstr(err.msg, " for the archive: 18446744073709551615 bytes needed, "), "%s",
	          err.msg);
	cr_assert(strstr(err.msg, " available"), "%s", err.msg);
}

/* A file of megabytes read into a bigmem buffer in one go, and the same bounds as
 * read_file_at; read_fd_all still grows its buffer for a stream of unknown length. */
Test(fileio, read_file_big_at_reads_whole_files_within_the_bound)
{
	size_t n = 3u << 20, len = 0;
	char *data = malloc(n), *buf = NULL;
	struct err err;
	int fd = openat(dfd, "large", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), p[2];

	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 23);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	cr_assert_eq(read_file_big_at(dfd, "large", n, 1, &buf, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(len, n);
	cr_assert_eq(memcmp(buf, data, n), 0);
	cr_assert_eq(buf[n], '\0');
	bigmem_free(buf);
	cr_assert_eq(read_file_big_at(dfd, "large", n - 1, 1, &buf, &len, &err), -1);
	cr_assert_not_null(strstr(err.msg, "larger than"), "%s", err.msg);
	cr_assert_eq(write_file_atomic(dfd, "small", "tiny", 4, 0644, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(read_file_big_at(dfd, "small", 100, 1, &buf, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(len, 4);
	cr_assert_str_eq(buf, "tiny");
	bigmem_free(buf);
	/* A pipe: no size to start from, the buffer grows past its first 4096 bytes. */
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], data, 10000), 10000);
	close(p[1]);
	cr_assert_eq(read_fd_all(p[0], 20000, &buf, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(len, 10000);
	cr_assert_eq(memcmp(buf, data, 10000), 0);
	free(buf);
	close(p[0]);
	free(data);
}
