#include <criterion/criterion.h>

#include "release/base/error.h"

#include <errno.h>
#include <string.h>

Test(error, fail_is_a_refusal_with_the_formatted_message)
{
	struct err err = {.kind = ERR_SYSTEM};

	cr_assert_eq(fail(&err, "bad %s at line %d", "key", 3), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert_str_eq(err.msg, "bad key at line 3");
}

Test(error, fail_sys_appends_strerror_of_errno_at_entry)
{
	struct err err = {.kind = ERR_REFUSED};

	errno = ENOSPC;
	cr_assert_eq(fail_sys(&err, "cannot write %s", "f"), -1);
	cr_assert_eq(err.kind, ERR_SYSTEM);
	cr_assert_str_eq(err.msg, "cannot write f: No space left on device");
}

Test(error, fail_prefix_keeps_the_kind_and_recast_changes_it)
{
	struct err err;

	fail_kind(&err, ERR_USAGE, "line 2: unknown key");
	cr_assert_eq(fail_prefix(&err, "%s", "slipway.ini"), -1);
	cr_assert_eq(err.kind, ERR_USAGE);
	cr_assert_str_eq(err.msg, "slipway.ini: line 2: unknown key");
	cr_assert_eq(fail_recast(&err, ERR_REFUSED), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert_str_eq(err.msg, "slipway.ini: line 2: unknown key");
}

Test(error, a_null_error_is_allowed_and_a_long_message_is_cut)
{
	struct err err;
	char big[2 * ERR_MAX];

	cr_assert_eq(fail(NULL, "x"), -1);
	cr_assert_eq(fail_sys(NULL, "x"), -1);
	cr_assert_eq(fail_prefix(NULL, "x"), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fail_oom(&err);
	cr_assert_str_eq(err.msg, "out of memory");
	fail_prefix(&err, "%s", big);
	cr_assert_eq(strlen(err.msg), ERR_MAX - 1);
	cr_assert_eq(err.kind, ERR_SYSTEM);
}
