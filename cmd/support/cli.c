#include "cmd/support/cli.h"
#include "release/base/escape.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_ROOT = 0x7f01, OPT_JSON, OPT_HELP, OPT_OWN }; /* OPT_OWN + i: opts[i] */

#define MAX_OPTIONS 32

static int operands(struct cmd_parse *p, int argc, char **argv)
{
	const char *a = p->args;
	bool optional = a && a[0] == '[';
	int n = argc - optind, max = a ? 1 : 0;
	char what[64];

	/* "archive dir": several operands, each required. */
	for (const char *s = a && !optional ? strchr(a, ' ') : NULL; s; s = strchr(s + 1, ' '))
		max++;
	if (max > 1 && n < max) {
		const char *w = a;

		for (int i = 0; i < n; i++)
			w = strchr(w, ' ') + 1;
		snprintf(what, sizeof(what), "%.*s", (int)strcspn(w, " "), w);
		p->exit = cmd_usage_error(p->cmd, "no %s given", what);
		return -1;
	}
	if (max > 1 && n > max) {
		p->exit = cmd_usage_error(p->cmd, "unexpected argument '%s'", argv[optind + max]);
		return -1;
	}
	if (max > 1)
		return 0;
	snprintf(what, sizeof(what), "%.*s", a ? (int)strcspn(a + optional, "]") : 0,
	         a ? a + optional : "");
	if (n < max && !optional)
		p->exit = cmd_usage_error(p->cmd, "no %s given", what);
	else if (n > max && max == 0)
		p->exit = cmd_usage_error(p->cmd, "unexpected argument '%s'", argv[optind]);
	else if (n > max)
		p->exit = cmd_usage_error(p->cmd, "%s one %s expected",
		                          optional ? "at most" : "exactly", what);
	else
		return 0;
	return -1;
}

int cmd_parse(struct cmd_parse *p, int argc, char **argv)
{
	struct option all[MAX_OPTIONS + 4];
	char shorts[2 * MAX_OPTIONS + 8] = ":h";
	size_t n = 0, ns = 2;
	int c;

	for (const struct cmd_option *o = p->opts; o && o->name && n < MAX_OPTIONS; o++, n++) {
		all[n] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
		                         OPT_OWN + (int)n};
		if (o->letter) {
			shorts[ns++] = o->letter;
			if (o->arg)
				shorts[ns++] = ':';
		}
	}
	if (p->common & CMD_ROOT) {
		all[n++] = (struct option){"root", required_argument, NULL, OPT_ROOT};
		shorts[ns++] = 'r';
		shorts[ns++] = ':';
	}
	if (p->common & CMD_JSON)
		all[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
	all[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	all[n] = (struct option){NULL, 0, NULL, 0};
	shorts[ns] = '\0';
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		const struct cmd_option *o = NULL;

		if (c == OPT_ROOT || c == 'r') {
			p->root = optarg;
			continue;
		}
		if (c == OPT_JSON) {
			p->json = true;
			continue;
		}
		if (c == OPT_HELP || c == 'h') {
			fputs(p->usage, stdout);
			p->exit = EXIT_OK;
			return -1;
		}
		if (c >= OPT_OWN)
			o = &p->opts[c - OPT_OWN];
		for (size_t i = 0; !o && c > 0 && c < 128 && p->opts && p->opts[i].name; i++)
			if (p->opts[i].letter == c)
				o = &p->opts[i];
		if (!o) {
			p->exit =
			    cmd_usage_error(p->cmd, "%s option '%s'",
			                    c == ':' ? "incomplete" : "invalid", argv[optind - 1]);
			return -1;
		}
		if (o->arg)
			*o->arg = optarg;
		else
			*o->flag = true;
	}
	p->operands = argv + optind;
	p->n_operands = argc - optind;
	return operands(p, argc, argv);
}

int cmd_count(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
              uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || v < min || v > max) {
		if (max == UINT64_MAX)
			cmd_usage_error(cmd, "%s needs an integer of at least %llu, not '%s'", opt,
			                (unsigned long long)min, s);
		else
			cmd_usage_error(cmd, "%s needs an integer from %llu to %llu, not '%s'", opt,
			                (unsigned long long)min, (unsigned long long)max, s);
		return -1;
	}
	*out = v;
	return 0;
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

/* "slipway: <cmd>: <msg>" without the newline. Messages carry attacker bytes (entry names,
 * signed comments, manifest strings): escaped, they stay one line of inert text. */
static void vsay(const char *cmd, const char *fmt, va_list ap)
{
	char msg[2 * ERR_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "slipway: %s: ", cmd);
	esc_fputs(msg, stderr);
}

int cmd_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(cmd, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void cmd_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char c[64];

	snprintf(c, sizeof(c), "%s: warning", cmd);
	va_start(ap, fmt);
	vsay(c, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(cmd, fmt, ap);
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

int cmd_check_stdout(int rc)
{
	struct stat st;
	const char *why = NULL;

	/* git's builtin.c: a closed stdout is not checked, nor a pipe or socket. */
	if (fstat(STDOUT_FILENO, &st) < 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return rc;
	if (fflush(stdout) != 0)
		why = strerror(errno);
	else if (ferror(stdout))
		why = "unknown write error";
	else if (fclose(stdout) != 0)
		why = strerror(errno);
	if (!why)
		return rc;
	fprintf(stderr, "slipway: write error on stdout: %s\n", why);
	return rc == EXIT_OK ? EXIT_FAIL : rc;
}
