#include "release/base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int vfail(struct err *err, enum err_kind kind, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->kind = kind;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int fail(struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, ERR_REFUSED, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_sys(struct err *err, const char *fmt, ...)
{
	int e = errno;
	size_t n;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vfail(err, ERR_SYSTEM, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(e));
	return -1;
}

int fail_kind(struct err *err, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_oom(struct err *err)
{
	return fail_kind(err, ERR_SYSTEM, "out of memory");
}

int fail_prefix(struct err *err, const char *fmt, ...)
{
	char prefix[ERR_MAX], old[ERR_MAX];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return -1;
}

int fail_recast(struct err *err, enum err_kind kind)
{
	if (err)
		err->kind = kind;
	return -1;
}
