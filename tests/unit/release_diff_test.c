/* The files a host holding one release lacks of another (release_diff.h). */
#include "release/store/release_diff.h"

#include <criterion/criterion.h>
#include <string.h>

#define SHA(c)                                                                                     \
	{                                                                                          \
		c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c,   \
		    c, c, c, c, c                                                                  \
	}

static struct manifest_file old_files[] = {
    {.path = "a", .type = MANIFEST_DIR, .mode = 0755},
    {.path = "a/moved", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(1)},
    {.path = "a/same", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(2)},
    {.path = "b", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(3)},
    {.path = "l", .type = MANIFEST_SYMLINK, .mode = 0777, .target = "b"},
};

static struct manifest_file new_files[] = {
    {.path = "a", .type = MANIFEST_DIR, .mode = 0755},
    {.path = "a/new", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(9)},
    {.path = "a/renamed", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(1)},
    {.path = "a/same", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(2)},
    {.path = "b", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(4)},
    {.path = "l", .type = MANIFEST_FILE, .mode = 0644, .size = 1, .sha256 = SHA(5)},
};

Test(release_diff, sends_new_contents_with_the_same_path_as_base)
{
	struct manifest base = {.files = old_files, .n_files = 5};
	struct manifest target = {.files = new_files, .n_files = 6};
	struct patchset_want want[6];
	uint8_t three[32] = SHA(3);
	struct err err;
	size_t n;

	cr_assert_eq(release_diff_want(&target, &base, want, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	cr_assert(!want[0].send, "a directory is never sent");
	cr_assert(want[1].send && !want[1].has_base, "a new path has no base");
	cr_assert(!want[2].send, "content the base has at another path is linked");
	cr_assert(!want[3].send, "unchanged");
	cr_assert(want[4].send && want[4].has_base, "changed in place");
	cr_assert_eq(memcmp(want[4].base_sha256, three, 32), 0);
	cr_assert(want[5].send && !want[5].has_base, "a symlink is no base");
}

Test(release_diff, against_an_empty_release_sends_every_file)
{
	struct manifest base = {0};
	struct manifest target = {.files = new_files, .n_files = 6};
	struct patchset_want want[6];
	struct err err;
	size_t n;

	cr_assert_eq(release_diff_want(&target, &base, want, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 5);
	for (size_t i = 0; i < 6; i++)
		cr_assert(!want[i].has_base);
}
