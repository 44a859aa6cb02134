#include <criterion/criterion.h>

#include "runtime/backoff.h"

#include <stdlib.h>
#include <string.h>

Test(backoff, doubles_from_min_to_cap)
{
	struct backoff_policy p = {1000, 60000, 60000};

	cr_assert_eq(backoff_delay(&p, 1), 1000);
	cr_assert_eq(backoff_delay(&p, 2), 2000);
	cr_assert_eq(backoff_delay(&p, 3), 4000);
	cr_assert_eq(backoff_delay(&p, 6), 32000);
	cr_assert_eq(backoff_delay(&p, 7), 60000);
	cr_assert_eq(backoff_delay(&p, 400), 60000);
}

Test(backoff, stable_run_resets_the_count)
{
	struct backoff_policy p = {1000, 60000, 60000};

	cr_assert_eq(backoff_next_failures(&p, 5, 59999), 6);
	cr_assert_eq(backoff_next_failures(&p, 5, 60000), 1);
	cr_assert_eq(backoff_next_failures(&p, 0, 10), 1);
}

Test(backoff, policy_from_env_ignores_garbage)
{
	struct backoff_policy p;
	char warn[512] = "";

	setenv("SLIPWAY_BACKOFF_MIN_MS", "200", 1);
	setenv("SLIPWAY_BACKOFF_MAX_MS", "-5", 1);
	setenv("SLIPWAY_BACKOFF_RESET_MS", "12x", 1);
	p = backoff_policy_from_env(warn, sizeof(warn));
	cr_assert_eq(p.min_ms, 200);
	cr_assert_eq(p.max_ms, 60000);
	cr_assert_eq(p.reset_ms, 60000);
	cr_assert_not_null(strstr(warn, "ignoring SLIPWAY_BACKOFF_MAX_MS"), "%s", warn);
	cr_assert_not_null(strstr(warn, "ignoring SLIPWAY_BACKOFF_RESET_MS"), "%s", warn);
}

/* A value near 2^64 once wrapped the restart delay into a hot loop (issue 15 item 10). */
Test(backoff, policy_from_env_clamps_huge_values)
{
	struct backoff_policy p;
	char warn[512] = "";

	setenv("SLIPWAY_BACKOFF_MIN_MS", "18446744073709551615", 1);
	setenv("SLIPWAY_BACKOFF_MAX_MS", "184467440737095516160", 1);
	setenv("SLIPWAY_BACKOFF_RESET_MS", "0", 1);
	p = backoff_policy_from_env(warn, sizeof(warn));
	cr_assert_eq(p.min_ms, BACKOFF_MIN_LIMIT_MS);
	cr_assert_eq(p.max_ms, BACKOFF_LIMIT_MS);
	cr_assert_eq(p.reset_ms, 1);
	cr_assert_eq(backoff_delay(&p, 1), BACKOFF_MIN_LIMIT_MS);
	cr_assert_eq(backoff_delay(&p, 64), BACKOFF_LIMIT_MS);
	cr_assert_not_null(strstr(warn, "SLIPWAY_BACKOFF_MIN_MS is above 3600000"), "%s", warn);
	cr_assert_not_null(strstr(warn, "SLIPWAY_BACKOFF_RESET_MS is below 1"), "%s", warn);
}

Test(backoff, delay_never_wraps)
{
	struct backoff_policy p = {UINT64_MAX / 3, UINT64_MAX - 1, 1};

	cr_assert_eq(backoff_delay(&p, 1), UINT64_MAX / 3);
	cr_assert_eq(backoff_delay(&p, 3), UINT64_MAX - 1);
}
