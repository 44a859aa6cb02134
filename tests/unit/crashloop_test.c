/* The crash-loop rule: CRASHLOOP_EXITS failures within CRASHLOOP_WINDOW_MS. */
#include "runtime/crashloop.h"

#include <criterion/criterion.h>
#include <string.h>

Test(crashloop, two_failures_are_restarts_three_in_a_minute_a_loop)
{
	struct crashlog c;

	memset(&c, 0, sizeof(c));
	crashlog_add(&c, 1000);
	crashlog_add(&c, 5000);
	cr_assert_eq(crashlog_recent(&c, 6000), 2);
	cr_assert(!crashlog_looping(&c, 6000));
	crashlog_add(&c, 20000);
	cr_assert(crashlog_looping(&c, 20000));
	cr_assert_eq(crashlog_next_change(&c, 20000), 1000 + CRASHLOOP_WINDOW_MS);
}

Test(crashloop, failures_leave_the_window_and_the_loop_ends)
{
	struct crashlog c;

	memset(&c, 0, sizeof(c));
	crashlog_add(&c, 1000);
	crashlog_add(&c, 2000);
	crashlog_add(&c, 3000);
	cr_assert(crashlog_looping(&c, 60999));
	cr_assert(!crashlog_looping(&c, 61000));
	cr_assert_eq(crashlog_recent(&c, 63000), 0);
	cr_assert_eq(crashlog_next_change(&c, 63000), UINT64_MAX);
}

Test(crashloop, spread_out_failures_never_loop)
{
	struct crashlog c;

	memset(&c, 0, sizeof(c));
	for (uint64_t t = 0; t < 10 * 60000; t += 31000) {
		crashlog_add(&c, t);
		cr_assert(!crashlog_looping(&c, t), "at %llu", (unsigned long long)t);
	}
}

Test(crashloop, more_failures_than_kept_still_count_as_a_loop)
{
	struct crashlog c;

	memset(&c, 0, sizeof(c));
	for (uint64_t t = 0; t < 100; t++)
		crashlog_add(&c, 1000 + t);
	cr_assert_eq(crashlog_recent(&c, 2000), CRASHLOOP_KEEP);
	cr_assert(crashlog_looping(&c, 2000));
}
