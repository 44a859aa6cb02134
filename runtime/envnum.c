#include "runtime/envnum.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void note(char *warn, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(char *warn, size_t cap, const char *fmt, ...)
{
	size_t len = strnlen(warn, cap);
	va_list ap;

	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(warn + len, cap - len, fmt, ap);
	va_end(ap);
}

uint64_t envnum_ms(const char *name, uint64_t def, uint64_t min, uint64_t max, char *warn,
                   size_t cap)
{
	const char *s = getenv(name), *p;
	uint64_t v = 0;
	int over = 0;

	if (!s || !*s)
		return def;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s >= 32) {
			note(warn, cap, "ignoring %s: not a number of milliseconds; using %llu\n",
			     name, (unsigned long long)def);
			return def;
		}
		if (v > (UINT64_MAX - 9) / 10)
			over = 1;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (over || v > max) {
		note(warn, cap, "%s is above %llu; using %llu\n", name, (unsigned long long)max,
		     (unsigned long long)max);
		return max;
	}
	if (v < min) {
		note(warn, cap, "%s is below %llu; using %llu\n", name, (unsigned long long)min,
		     (unsigned long long)min);
		return min;
	}
	return v;
}
