/* The output tail of an instance: bounded, escaped, oldest line first, blank lines skipped. */
#include "runtime/outtail.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static void add(struct outtail *t, const char *s)
{
	outtail_add(t, s, strlen(s));
}

Test(outtail, keeps_the_last_lines_oldest_first)
{
	struct outtail t;
	char line[16];

	outtail_reset(&t);
	for (int i = 1; i <= 7; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		add(&t, line);
	}
	cr_assert_eq(t.n, OUTTAIL_LINES);
	cr_assert_str_eq(outtail_line(&t, 0), "line 3");
	cr_assert_str_eq(outtail_line(&t, OUTTAIL_LINES - 1), "line 7");
	cr_assert_str_eq(outtail_line(&t, OUTTAIL_LINES), "");
}

Test(outtail, blank_lines_do_not_push_out_the_reason)
{
	struct outtail t;

	outtail_reset(&t);
	add(&t, "Error: boom");
	for (int i = 0; i < 10; i++)
		add(&t, i % 2 ? "   " : "");
	add(&t, " \t\r");
	cr_assert_eq(t.n, 1);
	cr_assert_str_eq(outtail_line(&t, 0), "Error: boom");
}

Test(outtail, control_bytes_are_escaped_and_lines_are_cut)
{
	struct outtail t;
	char big[5000];

	outtail_reset(&t);
	add(&t, "\x1b[2J\x1b]0;title\x07 \\ ok");
	cr_assert_str_eq(outtail_line(&t, 0), "\\x1b[2J\\x1b]0;title\\x07 \\\\ ok");
	memset(big, '\x01', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	add(&t, big);
	cr_assert_leq(strlen(outtail_line(&t, 1)), OUTTAIL_LINE_MAX);
	cr_assert_eq(strlen(outtail_line(&t, 1)) % 4, 0, "an escape was cut in the middle");
	outtail_add(&t, "nul\0inside", 10);
	cr_assert_str_eq(outtail_line(&t, 2), "nul\\x00inside");
}

Test(outtail, an_escaped_line_read_back_is_not_escaped_twice)
{
	struct outtail t;

	outtail_reset(&t);
	outtail_add_escaped(&t, "C:\\\\app \\x1b[31m");
	cr_assert_str_eq(outtail_line(&t, 0), "C:\\\\app \\x1b[31m");
	outtail_add_escaped(&t, "raw \x1b byte");
	cr_assert_str_eq(outtail_line(&t, 1), "raw \\x1b byte");
	/* Safe to print as it is: kept. */
	outtail_add_escaped(&t, "lone \\ backslash");
	cr_assert_str_eq(outtail_line(&t, 2), "lone \\ backslash");
}
