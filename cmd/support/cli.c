#include "cmd/support/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_JSON = 0x7f01 }; /* above every command's own long-option values */

static void add_option(struct cmd_parse *p, size_t *n, const struct option *o)
{
	if (*n + 1 < sizeof(p->all_) / sizeof(p->all_[0]))
		p->all_[(*n)++] = *o;
}

static void prepare(struct cmd_parse *p)
{
	static const struct option root = {"root", required_argument, NULL, 'r'};
	static const struct option json = {"json", no_argument, NULL, OPT_JSON};
	static const struct option help = {"help", no_argument, NULL, 'h'};
	size_t n = 0;

	for (const struct option *o = p->opts; o && o->name; o++)
		add_option(p, &n, o);
	if (p->common & CMD_ROOT)
		add_option(p, &n, &root);
	if (p->common & CMD_JSON)
		add_option(p, &n, &json);
	add_option(p, &n, &help);
	memset(&p->all_[n], 0, sizeof(p->all_[n]));
	snprintf(p->shorts_, sizeof(p->shorts_), ":%s%sh", p->shortopts ? p->shortopts : "",
	         p->common & CMD_ROOT ? "r:" : "");
	optind = 1;
	opterr = 0;
}

int cmd_getopt(struct cmd_parse *p, int argc, char **argv)
{
	int c;

	if (!p->all_[0].name)
		prepare(p);
	for (;;) {
		c = getopt_long(argc, argv, p->shorts_, p->all_, NULL);
		switch (c) {
		case 'r':
			if (!(p->common & CMD_ROOT))
				return c;
			p->root = optarg;
			continue;
		case OPT_JSON:
			p->json = true;
			continue;
		case 'h':
			fputs(p->usage, stdout);
			p->exit = EXIT_OK;
			return CMD_DONE;
		case '?':
		case ':':
			p->exit =
			    cmd_usage_error(p->cmd, "%s option '%s'",
			                    c == ':' ? "incomplete" : "invalid", argv[optind - 1]);
			return CMD_DONE;
		default:
			return c;
		}
	}
}

int cmd_options(struct cmd_parse *p, int argc, char **argv)
{
	int c = cmd_getopt(p, argc, argv);

	if (c == -1)
		return 0;
	if (c != CMD_DONE) /* an own option the command did not declare: cannot happen */
		p->exit = cmd_usage_error(p->cmd, "invalid option '%s'", argv[optind - 1]);
	return -1;
}

int cmd_operands(struct cmd_parse *p, int argc, char **argv, int min, int max, const char *what)
{
	int n = argc - optind;

	if (n < min)
		p->exit = cmd_usage_error(p->cmd, "no %s given", what);
	else if (n > max && max == 0)
		p->exit = cmd_usage_error(p->cmd, "unexpected argument '%s'", argv[optind]);
	else if (n > max)
		p->exit = cmd_usage_error(p->cmd, "%s one %s expected",
		                          min == max ? "exactly" : "at most", what);
	else
		return 0;
	return -1;
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
