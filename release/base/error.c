#include "release/base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_prefix(char *err, const char *fmt, ...)
{
	char prefix[ERR_MAX], old[ERR_MAX];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err, ERR_MAX);
	old[ERR_MAX - 1] = '\0';
	snprintf(err, ERR_MAX, "%s: %s", prefix, old);
	return -1;
}
