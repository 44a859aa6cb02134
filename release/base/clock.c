#include "release/base/clock.h"

uint64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool clock_iso_utc(time_t t, char out[CLOCK_ISO_SIZE])
{
	struct tm tm;

	out[0] = '\0';
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return false;
	return strftime(out, CLOCK_ISO_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == CLOCK_ISO_SIZE - 1;
}

uint64_t clock_deadline_ms(uint64_t now, uint64_t ms)
{
	return ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
}
