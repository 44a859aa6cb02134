#include "release/base/clock.h"

#include <stdio.h>
#include <string.h>

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

bool clock_parse_iso_utc(const char *s, time_t *out)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	char back[CLOCK_ISO_SIZE];
	struct tm tm = {0};
	time_t t;

	if (strlen(s) != CLOCK_ISO_SIZE - 1)
		return false;
	for (size_t i = 0; i < CLOCK_ISO_SIZE - 1; i++)
		if (form[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return false;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) != 6 ||
	    tm.tm_year < 1970)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	/* timegm normalises 02-30 into 03-02: a date that does not print back is not real. */
	if (t < 0 || !clock_iso_utc(t, back) || strcmp(back, s))
		return false;
	*out = t;
	return true;
}
