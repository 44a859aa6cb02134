#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/envfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/slipway-envfile-XXXXXX";
static char path[256];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/env", dir);
}

static void teardown(void)
{
	char link[300];

	snprintf(link, sizeof(link), "%s/link", dir);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void write_env(const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

TestSuite(envfile, .init = setup, .fini = teardown);

Test(envfile, parses_keys_comments_quotes_and_export)
{
	struct envfile env;
	struct err err;

	const char *text = "# comment\n\nA=1\n  export B=two words\nC=\"quoted\"\nD='x'\n"
	                   "E=\nA=again\r\n";

	cr_assert_eq(envfile_parse(text, strlen(text), &env, &err), 0, "%s", err.msg);
	cr_assert_eq(env.n, 5);
	cr_assert_str_eq(envfile_get(&env, "A"), "again");
	cr_assert_str_eq(envfile_get(&env, "B"), "two words");
	cr_assert_str_eq(envfile_get(&env, "C"), "quoted");
	cr_assert_str_eq(envfile_get(&env, "D"), "x");
	cr_assert_str_eq(envfile_get(&env, "E"), "");
	cr_assert_null(envfile_get(&env, "F"));
	envfile_release(&env);
}

Test(envfile, malformed_line_names_line_not_value)
{
	struct envfile env;
	struct err err;
	const char *text = "GOOD=1\nthis-is-secret-text\n";

	cr_assert_eq(envfile_parse(text, strlen(text), &env, &err), -1);
	cr_assert_not_null(strstr(err.msg, "line 2"), "%s", err.msg);
	cr_assert_null(strstr(err.msg, "secret-text"), "%s", err.msg);
	cr_assert_eq(env.n, 0);
}

Test(envfile, loads_mode_0600)
{
	struct envfile env;
	struct err err;
	int missing = 1;

	write_env("JWT_SECRET=hunter2\n", 0600);
	cr_assert_eq(envfile_load(path, 0, &env, &missing, &err), 0, "%s", err.msg);
	cr_assert_eq(missing, 0);
	cr_assert_str_eq(envfile_get(&env, "JWT_SECRET"), "hunter2");
	envfile_release(&env);
}

Test(envfile, refuses_group_or_world_readable_without_printing_values)
{
	struct envfile env;
	struct err err;

	write_env("JWT_SECRET=hunter2\n", 0644);
	cr_assert_eq(envfile_load(path, 0, &env, NULL, &err), -1);
	cr_assert_not_null(strstr(err.msg, "mode 0644"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "chmod 600"), "%s", err.msg);
	cr_assert_null(strstr(err.msg, "hunter2"), "%s", err.msg);
	write_env("JWT_SECRET=hunter2\n", 0640);
	cr_assert_eq(envfile_load(path, 0, &env, NULL, &err), -1);
}

Test(envfile, refuses_symlink)
{
	struct envfile env;
	struct err err;
	char link[300];

	write_env("A=1\n", 0600);
	snprintf(link, sizeof(link), "%s/link", dir);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_eq(envfile_load(link, 0, &env, NULL, &err), -1);
	cr_assert_not_null(strstr(err.msg, "symlink"), "%s", err.msg);
}

Test(envfile, missing_file_is_empty_only_when_allowed)
{
	struct envfile env;
	struct err err;
	int missing = 0;

	cr_assert_eq(envfile_load(path, 1, &env, &missing, &err), 0, "%s", err.msg);
	cr_assert_eq(missing, 1);
	cr_assert_eq(env.n, 0);
	cr_assert_eq(envfile_load(path, 0, &env, &missing, &err), -1);
}

Test(envfile, missing_lists_absent_and_empty_required_keys)
{
	struct envfile env;
	struct err err;
	char names[128];
	char *req[] = {"A", "B", "C", "D"};

	cr_assert_eq(envfile_parse("A=1\nB=\nD=4\n", 11, &env, &err), 0, "%s", err.msg);
	cr_assert_eq(envfile_missing(&env, req, 4, names, sizeof(names)), 2);
	cr_assert_str_eq(names, "B C");
	envfile_release(&env);
}

/* specs/runtime.md "Environment": "SLIPWAY_HEALTH_PORT is never inherited from slipway's
 * environment nor taken from shared/env"; nor are the other names slipway sets itself. */
Test(envfile, refuses_reserved_names_naming_them)
{
	static const char *const reserved[] = {"SLIPWAY_HEALTH_PORT", "SLIPWAY_GATE_FD",
	                                       "LISTEN_FDS", "LISTEN_PID", "NODE_CHANNEL_FD"};
	struct envfile env;
	struct err err;

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "A=1\n# c\n%s=secret-value\n", reserved[i]);
		cr_assert_eq(envfile_parse(text, strlen(text), &env, &err), -1, "%s", reserved[i]);
		cr_assert(strstr(err.msg, "line 3") && strstr(err.msg, reserved[i]) &&
		              strstr(err.msg, "reserved"),
		          "%s", err.msg);
		cr_assert_null(strstr(err.msg, "secret-value"), "%s", err.msg);
		cr_assert_eq(env.n, 0);
	}
	/* The operator's switch, and names that only start alike, are the operator's. */
	const char *ok = "SLIPWAY_SOCKET=off\nSLIPWAYX=1\nLISTEN=2\nNODE_CHANNEL_FDX=3\n";

	cr_assert_eq(envfile_parse(ok, strlen(ok), &env, &err), 0, "%s", err.msg);
	cr_assert_eq(env.n, 4);
	cr_assert_str_eq(envfile_get(&env, "SLIPWAY_SOCKET"), "off");
	envfile_release(&env);
}

/* 100,000 names (1 MB, the documented limit), every one defined twice: the later value wins,
 * file order is kept, and the parse is linear (it took 11-29 s when it was quadratic). The
 * deadline is an alarm, not Criterion's .timeout: Debian 12's Criterion 2.4.1 leaks a block
 * of its timeout bookkeeping when two tests with a .timeout overlap (--jobs=2), which
 * LeakSanitizer reports (the FIFO test below keeps its .timeout). */
Test(envfile, many_names_parse_linearly)
{
	size_t n = 100000, len = 0;
	char *text = malloc(n * 2 * 16);
	struct envfile env;
	struct err err;

	alarm(20); /* SIGALRM ends the test as a crash */
	cr_assert_not_null(text);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(text + len, "N%06zu=%d\n", i, round);
	cr_assert_eq(envfile_parse(text, len, &env, &err), 0, "%s", err.msg);
	cr_assert_eq(env.n, n);
	cr_assert_str_eq(env.vars[0].key, "N000000");
	cr_assert_str_eq(env.vars[n - 1].key, "N099999");
	for (size_t i = 0; i < n; i += 997) {
		char key[16];

		snprintf(key, sizeof(key), "N%06zu", i);
		cr_assert_str_eq(envfile_get(&env, key), "1", "%s", key);
	}
	cr_assert_null(envfile_get(&env, "N100000"));
	envfile_release(&env);
	free(text);
}

/* A FIFO in the secrets file's place is refused at once, never waited for (run and status). */
Test(envfile, refuses_a_fifo_without_waiting, .timeout = 10)
{
	struct envfile env;
	struct err err;

	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(envfile_load(path, 1, &env, NULL, &err), -1);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
}
