#include "runtime/crashloop.h"

void crashlog_add(struct crashlog *c, uint64_t now)
{
	c->at[c->next] = now;
	c->next = (c->next + 1) % CRASHLOOP_KEEP;
	if (c->n < CRASHLOOP_KEEP)
		c->n++;
}

static int in_window(uint64_t at, uint64_t now)
{
	return at <= now && now - at < CRASHLOOP_WINDOW_MS;
}

unsigned crashlog_recent(const struct crashlog *c, uint64_t now)
{
	unsigned k = 0;

	for (unsigned i = 0; i < c->n; i++)
		k += in_window(c->at[i], now);
	return k;
}

int crashlog_looping(const struct crashlog *c, uint64_t now)
{
	return crashlog_recent(c, now) >= CRASHLOOP_EXITS;
}

uint64_t crashlog_next_change(const struct crashlog *c, uint64_t now)
{
	uint64_t t = UINT64_MAX;

	for (unsigned i = 0; i < c->n; i++)
		if (in_window(c->at[i], now) && c->at[i] + CRASHLOOP_WINDOW_MS < t)
			t = c->at[i] + CRASHLOOP_WINDOW_MS;
	return t;
}
