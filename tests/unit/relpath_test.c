#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/manifest/manifest_check.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

Test(relpath, accepts_and_refuses)
{
	struct err err;

	cr_assert_eq(relpath_check("a/b.c/..d", &err), 0, "%s", err.msg);
	cr_assert_eq(relpath_check(".hidden/x", &err), 0, "%s", err.msg);
	cr_assert_eq(relpath_check("a/../b", &err), -1);
	cr_assert_eq(relpath_check("/a", &err), -1);
	cr_assert_eq(relpath_check("a//b", &err), -1);
	cr_assert_eq(relpath_check("a/", &err), -1);
	cr_assert_eq(relpath_check(".", &err), -1);
	cr_assert_eq(relpath_check("a\x7f", &err), -1);
	cr_assert_eq(version_check("1.0.0-rc.1+b7", &err), 0);
	cr_assert_eq(version_check(".1", &err), -1);
	cr_assert_eq(version_check("1/2", &err), -1);
}
