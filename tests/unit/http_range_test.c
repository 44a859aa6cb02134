/* Content-Range of a 206 answer (release/base/http_range.h). */
#include <criterion/criterion.h>

#include "release/base/http_range.h"

static void refused(const char *v)
{
	struct http_range r;
	struct err err;

	cr_assert_eq(http_range_parse(v, &r, &err), -1, "accepted '%s'", v);
	cr_assert_eq(err.kind, ERR_REFUSED);
}

Test(http_range, parses_first_last_total)
{
	struct http_range r;
	struct err err;

	cr_assert_eq(http_range_parse("bytes 100-999/1000", &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.first, 100);
	cr_assert_eq(r.last, 999);
	cr_assert(r.has_total);
	cr_assert_eq(r.total, 1000);
}

Test(http_range, accepts_unknown_total_case_and_spaces)
{
	struct http_range r;
	struct err err;

	cr_assert_eq(http_range_parse(" Bytes 0-0/*\r\n", &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.first, 0);
	cr_assert_eq(r.last, 0);
	cr_assert(!r.has_total);
}

Test(http_range, accepts_the_largest_19_digit_positions)
{
	struct http_range r;
	struct err err;

	cr_assert_eq(http_range_parse("bytes 0-9999999999999999998/9999999999999999999", &r, &err),
	             0, "%s", err.msg);
	cr_assert_eq(r.total, 9999999999999999999ULL);
}

Test(http_range, refuses_malformed_values)
{
	refused("");
	refused("bytes");
	refused("bytes=100-999/1000"); /* the request's syntax, not the answer's */
	refused("items 0-1/2");
	refused("bytes */1000"); /* unsatisfied range: no bytes to place */
	refused("bytes 100-/1000");
	refused("bytes -5-9/10");
	refused("bytes +1-9/10");
	refused("bytes 1-9/");
	refused("bytes 1-9/10 x");
	refused("bytes 1-9/10/11");
	refused("bytes 0x1-9/10");
}

Test(http_range, refuses_inverted_or_outside_ranges)
{
	refused("bytes 10-9/100");
	refused("bytes 0-100/100"); /* last must be below the length */
	refused("bytes 5-5/5");
}

Test(http_range, refuses_numbers_that_would_overflow)
{
	refused("bytes 0-1/18446744073709551616");
	refused("bytes 99999999999999999999-1/2");
	refused("bytes 0-00000000000000000001/2"); /* 20 digits, whatever their value */
}
