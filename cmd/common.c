#include "cmd/cmd.h"

#include <stdarg.h>
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

int cmd_exit_code(const struct err *e)
{
	switch (e->kind) {
	case ERR_REFUSED:
		return EXIT_NO;
	case ERR_USAGE:
		return EXIT_USAGE;
	case ERR_SYSTEM:
		break;
	}
	return EXIT_FAIL;
}

int cmd_error(const char *cmd, const struct err *e)
{
	return cmd_fail(cmd, cmd_exit_code(e), "%s", e->msg);
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
