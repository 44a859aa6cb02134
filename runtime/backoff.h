/* Restart backoff for crashed services (specs/runtime.md, "Restart").
 *
 * The n-th consecutive unexpected exit waits min_ms * 2^(n-1), capped at max_ms. A service
 * that ran for at least reset_ms before it exited counts as stable: its count starts over. */
#ifndef SLIPWAY_RUNTIME_BACKOFF_H
#define SLIPWAY_RUNTIME_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

#define BACKOFF_MIN_LIMIT_MS 3600000u  /* 1 hour: the largest first delay */
#define BACKOFF_LIMIT_MS     86400000u /* 1 day: the largest cap and reset time */

struct backoff_policy {
	uint64_t min_ms;   /* default 1000;  SLIPWAY_BACKOFF_MIN_MS */
	uint64_t max_ms;   /* default 60000; SLIPWAY_BACKOFF_MAX_MS */
	uint64_t reset_ms; /* default 60000; SLIPWAY_BACKOFF_RESET_MS */
};

/* The defaults, overridden by the environment variables above (runtime/envnum.h): min in
 * 1..BACKOFF_MIN_LIMIT_MS, max and reset in 1..BACKOFF_LIMIT_MS, max at least min. Warnings
 * about ignored or clamped values are appended to warn. */
struct backoff_policy backoff_policy_from_env(char *warn, size_t cap);

/* Delay before restart number `failures` (1 for the first failure in a row). */
uint64_t backoff_delay(const struct backoff_policy *p, unsigned failures);

/* The failure count after an exit of a run that lasted `ran_ms`: 1 after a stable run,
 * else `failures + 1`. */
unsigned backoff_next_failures(const struct backoff_policy *p, unsigned failures, uint64_t ran_ms);

#endif
