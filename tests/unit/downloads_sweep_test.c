/* The downloads an interrupted pull of an older index left in ROOT/tmp are removed by the next
 * pull (channel_state.h, store_downloads_sweep); the current archive's parts, and anything not
 * named as a download, stay. */
#include "release/store/channel_state.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP  "1111111111111111111111111111111111111111111111111111111111111111"
#define OLD   "2222222222222222222222222222222222222222222222222222222222222222"
#define UPPER "2222222222222222222222222222222222222222222222222222222222222AAA" /* not a name */

static void touch(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT, 0600);

	cr_assert_geq(fd, 0, "%s", name);
	close(fd);
}

Test(downloads_sweep, removes_the_parts_of_other_archives_only)
{
	char dir[] = "/tmp/downloads_sweep_test.XXXXXX";
	const char *stays[] = {KEEP ".tar.zst", KEEP ".tar.zst.frames", KEEP ".tar.zst.minisig",
	                       "push.archive",  "notes.tar.zst",        UPPER ".tar.zst"};
	const char *goes[] = {OLD ".tar.zst", OLD ".tar.zst.frames", OLD ".tar.zst.frames.done",
	                      OLD ".tar.zst.minisig"};
	int dfd;

	cr_assert_not_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	for (size_t i = 0; i < sizeof(stays) / sizeof(*stays); i++)
		touch(dfd, stays[i]);
	for (size_t i = 0; i < sizeof(goes) / sizeof(*goes); i++)
		touch(dfd, goes[i]);
	cr_assert_eq(store_downloads_sweep(dfd, KEEP), sizeof(goes) / sizeof(*goes));
	for (size_t i = 0; i < sizeof(stays) / sizeof(*stays); i++) {
		cr_assert_eq(faccessat(dfd, stays[i], F_OK, 0), 0, "%s was removed", stays[i]);
		unlinkat(dfd, stays[i], 0);
	}
	for (size_t i = 0; i < sizeof(goes) / sizeof(*goes); i++)
		cr_assert_neq(faccessat(dfd, goes[i], F_OK, 0), 0, "%s stayed", goes[i]);
	cr_assert_eq(store_downloads_sweep(dfd, KEEP), 0, "nothing left to remove");
	close(dfd);
	rmdir(dir);
}
