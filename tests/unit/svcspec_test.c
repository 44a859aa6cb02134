#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/backoff.h"
#include "runtime/envnum.h"
#include "runtime/linebuf.h"
#include "runtime/svcspec.h"

#include <stdlib.h>
#include <string.h>

static struct manifest_service web(void)
{
	static char *argv[] = {"node", "${RELEASE}/server.js", NULL};
	static struct manifest_env env[] = {{"NODE_PATH", "${RELEASE}/lib:${RELEASE}/x"},
	                                    {"NODE_ENV", "production"}};
	struct manifest_service s;

	memset(&s, 0, sizeof(s));
	s.name = "web";
	s.argv = argv;
	s.argc = 2;
	s.cwd = ".next/standalone";
	s.env = env;
	s.n_env = 2;
	s.port = 5000;
	s.ready = READY_HTTP;
	s.ready_path = "/";
	return s;
}

Test(svcspec, expands_release_in_argv_env_and_sets_cwd_port_hostname)
{
	struct manifest_service ms = web();
	char *base[] = {"PATH=/usr/bin",
	                "HOSTNAME=build-box",
	                "NOTIFY_SOCKET=/run/x",
	                "SLIPWAY_PASSWORD=pw",
	                "PORT=1",
	                NULL};
	struct svc_spec s;
	struct err err;

	cr_assert_eq(svc_spec_build(&ms, "/srv/r/releases/1.0", "1.0", NULL, base, &s, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(s.argv[1], "/srv/r/releases/1.0/server.js");
	cr_assert_null(s.argv[2]);
	cr_assert_str_eq(s.cwd, "/srv/r/releases/1.0/.next/standalone");
	cr_assert_str_eq(svc_env_get(s.envp, "NODE_PATH"),
	                 "/srv/r/releases/1.0/lib:/srv/r/releases/1.0/x");
	cr_assert_str_eq(svc_env_get(s.envp, "PATH"), "/usr/bin");
	cr_assert_str_eq(svc_env_get(s.envp, "PORT"), "5000");
	cr_assert_str_eq(svc_env_get(s.envp, "HOSTNAME"), "0.0.0.0", "inherited HOSTNAME ignored");
	cr_assert_null(svc_env_get(s.envp, "NOTIFY_SOCKET"));
	cr_assert_null(svc_env_get(s.envp, "SLIPWAY_PASSWORD"));
	cr_assert_str_eq(svc_env_get(s.envp, "SLIPWAY_RELEASE"), "/srv/r/releases/1.0");
	cr_assert_eq(s.ready_timeout_ms, SVC_DEFAULT_READY_TIMEOUT_MS);
	svc_spec_release(&s);
}

Test(svcspec, shared_env_overrides_manifest_and_sets_hostname)
{
	struct manifest_service ms = web();
	struct envfile env;
	struct svc_spec s;
	struct err err;
	const char *text = "NODE_ENV=staging\nHOSTNAME=127.0.0.1\nJWT_SECRET=s3cret\nPORT=9\n";

	cr_assert_eq(envfile_parse(text, strlen(text), &env, &err), 0);
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", &env, NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_str_eq(svc_env_get(s.envp, "NODE_ENV"), "staging");
	cr_assert_str_eq(svc_env_get(s.envp, "HOSTNAME"), "127.0.0.1");
	cr_assert_str_eq(s.host, "127.0.0.1");
	cr_assert_str_eq(svc_env_get(s.envp, "JWT_SECRET"), "s3cret");
	cr_assert_str_eq(svc_env_get(s.envp, "PORT"), "5000", "the manifest's port wins");
	svc_spec_release(&s);
	envfile_release(&env);
}

Test(svcspec, portless_service_gets_no_port_or_hostname)
{
	struct manifest_service ms = web();
	struct svc_spec s;
	struct err err;
	char *base[] = {"HOSTNAME=box", NULL};

	ms.port = 0;
	ms.ready = READY_NONE;
	ms.cwd = "";
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, base, &s, &err), 0, "%s", err.msg);
	cr_assert_null(svc_env_get(s.envp, "PORT"));
	cr_assert_null(svc_env_get(s.envp, "HOSTNAME"));
	cr_assert_str_eq(s.cwd, "/r");
	svc_spec_release(&s);
}

Test(svcspec, worker_health_port_kill_mode_and_log_readiness)
{
	struct manifest_service ms = web();
	struct svc_spec s;
	struct err err;
	char *base[] = {"SLIPWAY_HEALTH_PORT=9999", NULL};

	ms.port = 0;
	ms.health_port = 8081;
	ms.ready = READY_LOG;
	ms.ready_path = NULL;
	ms.ready_log = "registered worker";
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, base, &s, &err), 0, "%s", err.msg);
	cr_assert_null(svc_env_get(s.envp, "SLIPWAY_HEALTH_PORT"), "never inherited");
	cr_assert_eq(s.health_base, 8081);
	cr_assert_eq(s.kill_mode, KILL_PROCESS, "a worker's default: its main process alone");
	cr_assert_str_eq(s.ready_log, "registered worker");
	cr_assert_eq(svc_spec_set_env(&s, "SLIPWAY_HEALTH_PORT", "8082", &err), 0);
	cr_assert_eq(svc_spec_set_env(&s, "SLIPWAY_HEALTH_PORT", "8083", &err), 0);
	cr_assert_str_eq(svc_env_get(s.envp, "SLIPWAY_HEALTH_PORT"), "8083");
	svc_spec_release(&s);

	ms = web();
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.kill_mode, KILL_GROUP, "a port service's default: its group");
	cr_assert_eq(s.health_base, 0);
	svc_spec_release(&s);
}

Test(svcspec, refuses_cwd_outside_release)
{
	struct manifest_service ms = web();
	struct svc_spec s;
	struct err err;

	ms.cwd = "a/../../etc";
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, NULL, &s, &err), -1);
	cr_assert_not_null(strstr(err.msg, "leaves the release"), "%s", err.msg);
}

Test(backoff, doubles_from_min_to_cap)
{
	struct backoff_policy p = {1000, 60000, 60000};

	cr_assert_eq(backoff_delay(&p, 1), 1000);
	cr_assert_eq(backoff_delay(&p, 2), 2000);
	cr_assert_eq(backoff_delay(&p, 3), 4000);
	cr_assert_eq(backoff_delay(&p, 6), 32000);
	cr_assert_eq(backoff_delay(&p, 7), 60000);
	cr_assert_eq(backoff_delay(&p, 400), 60000);
}

Test(backoff, stable_run_resets_the_count)
{
	struct backoff_policy p = {1000, 60000, 60000};

	cr_assert_eq(backoff_next_failures(&p, 5, 59999), 6);
	cr_assert_eq(backoff_next_failures(&p, 5, 60000), 1);
	cr_assert_eq(backoff_next_failures(&p, 0, 10), 1);
}

Test(backoff, policy_from_env_ignores_garbage)
{
	struct backoff_policy p;
	char warn[512] = "";

	setenv("SLIPWAY_BACKOFF_MIN_MS", "200", 1);
	setenv("SLIPWAY_BACKOFF_MAX_MS", "-5", 1);
	setenv("SLIPWAY_BACKOFF_RESET_MS", "12x", 1);
	p = backoff_policy_from_env(warn, sizeof(warn));
	cr_assert_eq(p.min_ms, 200);
	cr_assert_eq(p.max_ms, 60000);
	cr_assert_eq(p.reset_ms, 60000);
	cr_assert_not_null(strstr(warn, "ignoring SLIPWAY_BACKOFF_MAX_MS"), "%s", warn);
	cr_assert_not_null(strstr(warn, "ignoring SLIPWAY_BACKOFF_RESET_MS"), "%s", warn);
}

/* A value near 2^64 once wrapped the restart delay into a hot loop (issue 15 item 10). */
Test(backoff, policy_from_env_clamps_huge_values)
{
	struct backoff_policy p;
	char warn[512] = "";

	setenv("SLIPWAY_BACKOFF_MIN_MS", "18446744073709551615", 1);
	setenv("SLIPWAY_BACKOFF_MAX_MS", "184467440737095516160", 1);
	setenv("SLIPWAY_BACKOFF_RESET_MS", "0", 1);
	p = backoff_policy_from_env(warn, sizeof(warn));
	cr_assert_eq(p.min_ms, BACKOFF_MIN_LIMIT_MS);
	cr_assert_eq(p.max_ms, BACKOFF_LIMIT_MS);
	cr_assert_eq(p.reset_ms, 1);
	cr_assert_eq(backoff_delay(&p, 1), BACKOFF_MIN_LIMIT_MS);
	cr_assert_eq(backoff_delay(&p, 64), BACKOFF_LIMIT_MS);
	cr_assert_not_null(strstr(warn, "SLIPWAY_BACKOFF_MIN_MS is above 3600000"), "%s", warn);
	cr_assert_not_null(strstr(warn, "SLIPWAY_BACKOFF_RESET_MS is below 1"), "%s", warn);
}

Test(backoff, delay_never_wraps)
{
	struct backoff_policy p = {UINT64_MAX / 3, UINT64_MAX - 1, 1};

	cr_assert_eq(backoff_delay(&p, 1), UINT64_MAX / 3);
	cr_assert_eq(backoff_delay(&p, 3), UINT64_MAX - 1);
}

Test(envnum, strict_decimal_in_range)
{
	char warn[256] = "";

	setenv("SLIPWAY_TEST_MS", "250", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 250);
	setenv("SLIPWAY_TEST_MS", " 250", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	setenv("SLIPWAY_TEST_MS", "1e3", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	setenv("SLIPWAY_TEST_MS", "99999999999999999999999999999", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 1000);
	setenv("SLIPWAY_TEST_MS", "", 1);
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	unsetenv("SLIPWAY_TEST_MS");
	cr_assert_eq(envnum_ms("SLIPWAY_TEST_MS", 7, 0, 1000, warn, sizeof(warn)), 7);
	cr_assert_not_null(strstr(warn, "SLIPWAY_TEST_MS is above 1000"), "%s", warn);
}

struct lines {
	char text[8][LINEBUF_MAX + 1];
	int n;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;

	memcpy(l->text[l->n], line, len);
	l->text[l->n++][len] = '\0';
}

Test(linebuf, splits_across_reads_and_flushes_partial_line)
{
	struct linebuf lb = {.n = 0};
	struct lines l = {.n = 0};

	linebuf_feed(&lb, "hel", 3, collect, &l);
	cr_assert_eq(l.n, 0);
	linebuf_feed(&lb, "lo\nwor", 6, collect, &l);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.text[0], "hello");
	linebuf_feed(&lb, "ld\n\n", 4, collect, &l);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.text[1], "world");
	cr_assert_str_eq(l.text[2], "");
	linebuf_feed(&lb, "tail", 4, collect, &l);
	linebuf_flush(&lb, collect, &l);
	cr_assert_eq(l.n, 4);
	cr_assert_str_eq(l.text[3], "tail");
}

Test(linebuf, overlong_line_is_cut_not_lost)
{
	static char big[LINEBUF_MAX + 10];
	struct linebuf lb = {.n = 0};
	struct lines l = {.n = 0};

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	linebuf_feed(&lb, big, sizeof(big), collect, &l);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(strlen(l.text[0]), LINEBUF_MAX);
	cr_assert_eq(strlen(l.text[1]), 9);
}
