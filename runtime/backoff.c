#include "runtime/backoff.h"

#include <stdlib.h>

static uint64_t env_ms(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return def;
	v = strtoull(s, &end, 10);
	if (*end || v == 0)
		return def;
	return v;
}

struct backoff_policy backoff_policy_from_env(void)
{
	struct backoff_policy p;

	p.min_ms = env_ms("SLIPWAY_BACKOFF_MIN_MS", 1000);
	p.max_ms = env_ms("SLIPWAY_BACKOFF_MAX_MS", 60000);
	p.reset_ms = env_ms("SLIPWAY_BACKOFF_RESET_MS", 60000);
	if (p.max_ms < p.min_ms)
		p.max_ms = p.min_ms;
	return p;
}

uint64_t backoff_delay(const struct backoff_policy *p, unsigned failures)
{
	uint64_t d = p->min_ms;
	unsigned i;

	for (i = 1; i < failures && d < p->max_ms; i++)
		d *= 2;
	return d < p->max_ms ? d : p->max_ms;
}

unsigned backoff_next_failures(const struct backoff_policy *p, unsigned failures, uint64_t ran_ms)
{
	if (ran_ms >= p->reset_ms)
		return 1;
	return failures + 1;
}
