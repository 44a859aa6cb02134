#include <criterion/criterion.h>

#include "release/base/dynlib.h"

#include <string.h>
#include <zlib.h>

/* zlib, which slipway links anyway, stands in for a library loaded at run time. */
Test(dynlib, binds_the_functions_of_the_first_soname_found)
{
	static const char *const sonames[] = {"libslipway-none.so.9", "libz.so.1"};
	__typeof__(zlibVersion) *version = NULL;
	const struct dynlib_symbol syms[] = {{"zlibVersion", &version, sizeof(version)}};
	char why[256] = "";

	cr_assert_eq(dynlib_load("zlib", sonames, 2, syms, 1, why, sizeof(why)), 0, "%s", why);
	cr_assert_not_null(version);
	cr_assert_str_eq(version(), zlibVersion(), "the bound function is zlib's");
}

Test(dynlib, says_which_library_is_missing_or_lacks_a_function)
{
	static const char *const none[] = {"libslipway-none.so.9"}, *const z[] = {"libz.so.1"};
	void (*f)(void) = NULL;
	const struct dynlib_symbol syms[] = {{"slipway_no_such_function", &f, sizeof(f)}};
	char why[256] = "";

	cr_assert_eq(
	    dynlib_load("none (Debian's package none)", none, 1, syms, 1, why, sizeof(why)), -1);
	cr_assert(strstr(why, "cannot load none (Debian's package none): ") == why, "%s", why);
	cr_assert_not_null(strstr(why, "libslipway-none.so.9"), "%s", why);
	cr_assert_eq(dynlib_load("zlib", z, 1, syms, 1, why, sizeof(why)), -1);
	cr_assert_str_eq(why, "zlib lacks slipway_no_such_function");
	cr_assert_null(f);
}
