#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/base/json_keys.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

Test(json_keys, detects_duplicates_at_any_depth)
{
	struct err err;
	const char *ok = "{\"a\": {\"a\": 1, \"b\": [{\"a\": 1}, {\"a\": 2}]}, \"b\": \"a\"}";
	const char *dup = "{\"a\": {\"x\": 1, \"y\": 2, \"x\": 3}}";

	cr_assert_eq(json_check_duplicate_keys(ok, strlen(ok), 8, &err), 0, "%s", err.msg);
	cr_assert_eq(json_check_duplicate_keys(dup, strlen(dup), 8, &err), -1);
	cr_assert_not_null(strstr(err.msg, "duplicate key \"x\""), "%s", err.msg);
	cr_assert_eq(json_check_duplicate_keys("{\"a\":1,\"b\":2,\"c\":3}", 19, 2, &err), -1);
}
