#include "cmd/cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "slipway: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "slipway: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'slipway %s --help'.\n", cmd);
	return EXIT_USAGE;
}

const char *cmd_store_root(const char *cmd, const char *opt)
{
	const char *env = getenv("SLIPWAY_ROOT");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	cmd_usage_error(cmd, "no store given: pass --root DIR or set SLIPWAY_ROOT");
	return NULL;
}

int cmd_parse_count(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0 || s[0] == '-')
		return cmd_usage_error(cmd, "%s needs a positive integer, not '%s'", opt, s);
	*out = v;
	return EXIT_OK;
}
