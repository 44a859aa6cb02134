#include "runtime/backoff.h"
#include "runtime/envnum.h"

struct backoff_policy backoff_policy_from_env(char *warn, size_t cap)
{
	struct backoff_policy p;

	p.min_ms = envnum_ms("SLIPWAY_BACKOFF_MIN_MS", 1000, 1, BACKOFF_MIN_LIMIT_MS, warn, cap);
	p.max_ms = envnum_ms("SLIPWAY_BACKOFF_MAX_MS", 60000, 1, BACKOFF_LIMIT_MS, warn, cap);
	p.reset_ms = envnum_ms("SLIPWAY_BACKOFF_RESET_MS", 60000, 1, BACKOFF_LIMIT_MS, warn, cap);
	if (p.max_ms < p.min_ms)
		p.max_ms = p.min_ms;
	return p;
}

uint64_t backoff_delay(const struct backoff_policy *p, unsigned failures)
{
	uint64_t d = p->min_ms;
	unsigned i;

	for (i = 1; i < failures && d < p->max_ms; i++)
		d = d > p->max_ms / 2 ? p->max_ms : d * 2;
	return d < p->max_ms ? d : p->max_ms;
}

unsigned backoff_next_failures(const struct backoff_policy *p, unsigned failures, uint64_t ran_ms)
{
	if (ran_ms >= p->reset_ms)
		return 1;
	return failures + 1;
}
