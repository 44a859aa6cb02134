#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/base/fileio.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
