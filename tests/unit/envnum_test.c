#include <criterion/criterion.h>

#include "runtime/envnum.h"

#include <stdlib.h>
#include <string.h>

Test(envnum, strict_decimal_in_range)
{
	char warn[256] = "";

	setenv("SLIPWAY_TEST_MS", "250", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 250);
	setenv("SLIPWAY_TEST_MS", " 250", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	setenv("SLIPWAY_TEST_MS", "1e3", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	setenv("SLIPWAY_TEST_MS", "99999999999999999999999999999", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 1000);
	setenv("SLIPWAY_TEST_MS", "", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	unsetenv("SLIPWAY_TEST_MS");
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	cr_assert_not_null(strstr(warn, "SLIPWAY_TEST_MS is above 1000"), "%s", warn);
}
