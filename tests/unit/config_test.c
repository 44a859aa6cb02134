#include <criterion/criterion.h>

#include "pack/config.h"
#include "release/base/error.h"

#include <string.h>

/* A project where nothing is detected: the file alone, finished. */
static int parse(const char *text, struct pack_config *cfg, struct err *err)
{
	config_init(cfg);
	if (config_parse(text, strlen(text), "slipway.ini", cfg, err) < 0)
		return -1;
	return config_finish(cfg, err);
}

/* The text, then a detected service as pack/detect.c makes the Next.js one. */
static int parse_over_detected_web(const char *text, struct pack_config *cfg, struct err *err)
{
	struct pack_config det;
	struct pack_service *w;
	int r;

	config_init(cfg);
	if (config_parse(text, strlen(text), "slipway.ini", cfg, err) < 0)
		return -1;
	config_init(&det);
	w = config_add_service(&det, "web");
	cr_assert_not_null(w);
	w->command = strdup("node server.js");
	cr_assert_eq(strlist_push(&w->argv, "node"), 0);
	cr_assert_eq(strlist_push(&w->argv, "server.js"), 0);
	cr_assert_eq(strlist_push(&w->env, "NODE_ENV=production"), 0);
	cr_assert_eq(strlist_push(&w->env, "TZ=UTC"), 0);
	w->cwd = strdup(".next/standalone");
	w->port = 5000;
	w->ready = READY_HTTP;
	w->ready_path = strdup("/");
	w->stop_timeout_ms = 30000;
	w->ready_timeout_ms = 60000;
	w->detected = strdup("a Next.js project");
	r = config_merge_service(cfg, w, err);
	config_release(&det);
	return r < 0 ? -1 : config_finish(cfg, err);
}

static void expect_error(const char *text, const char *want)
{
	struct pack_config cfg;
	struct err err;

	cr_assert_eq(parse(text, &cfg, &err), -1, "accepted: %s", text);
	cr_assert(strstr(err.msg, want), "error '%s' does not contain '%s'", err.msg, want);
	config_release(&cfg);
}

Test(config, parses_every_section_of_the_brief)
{
	struct pack_config cfg;
	struct err err;
	const char *text =
	    "[app]\nname = mediai\nbuild = npm run build\n"
	    "[bundle]\ninclude = .next/standalone public agent\nexclude = .next/cache\n"
	    "[secrets]\nrequired = JWT_SECRET LIVEKIT_URL\noptional = TAVUS_API_KEY\n"
	    "[service web]\ncommand = node server.js\ncwd = .next/standalone\n"
	    "port = 5000\nready = http /\nstop_timeout = 30s\n"
	    "[service agent]\ncommand = python3 agent/main.py start\nready = none\n"
	    "stop_timeout = 30m\n";

	cr_assert_eq(parse(text, &cfg, &err), 0, "%s", err.msg);
	cr_assert_str_eq(cfg.app, "mediai");
	cr_assert_str_eq(cfg.build, "npm run build");
	cr_assert_eq(cfg.include.n, 3);
	cr_assert_str_eq(cfg.include.v[2], "agent");
	cr_assert_eq(cfg.secrets_required.n, 2);
	cr_assert_eq(cfg.n_services, 2);
	cr_assert_str_eq(cfg.services[0].name, "web");
	cr_assert_eq(cfg.services[0].port, 5000);
	cr_assert_eq(cfg.services[0].ready, READY_HTTP);
	cr_assert_str_eq(cfg.services[0].ready_path, "/");
	cr_assert_eq(cfg.services[0].stop_timeout_ms, 30000);
	cr_assert_eq(cfg.services[1].argv.n, 3);
	cr_assert_eq(cfg.services[1].ready, READY_NONE);
	cr_assert_eq(cfg.services[1].stop_timeout_ms, 30u * 60 * 1000);
	config_release(&cfg);
}

Test(config, errors_name_file_and_line)
{
	expect_error("[app]\n\n[nope]\n", "slipway.ini:3: unknown section [nope]");
	expect_error("[app]\nname = a\nversion = 1\n", "slipway.ini:3: unknown key 'version'");
	expect_error("[app]\nname = a\nname = b\n", "slipway.ini:3: duplicate key 'name'");
	expect_error("[service w]\ncommand = x\nport = 0\n", "slipway.ini:3: bad port '0'");
	expect_error("[service w]\ncommand = x\nport = 12ab\n", "slipway.ini:3: bad port");
	expect_error("[app\n", "slipway.ini:1: syntax error");
	expect_error("[service w]\ncommand = x\n[service w]\ncommand = y\n",
	             "slipway.ini:3: duplicate section [service w]");
	expect_error("[service w]\nready = tcp\ncommand = x\n", "ready = tcp needs a port");
	expect_error("[secrets]\nrequired = A\noptional = A\n", "both required and optional");
	expect_error("[service w]\ncommand = x\ncwd = /etc\n", "slipway.ini:3: bad cwd");
	expect_error("[service w]\ncommand = x\nenv = NOEQUALS\n", "slipway.ini:3: bad env entry");
}

Test(config, long_lines_are_an_error_not_split)
{
	char text[600];

	memset(text, 'a', sizeof(text));
	memcpy(text, "[app]\nname = ", 13);
	text[sizeof(text) - 1] = '\0';
	expect_error(text, "slipway.ini:2: line longer than");
}

Test(config, indented_lines_continue_lists_only)
{
	struct pack_config cfg;
	struct err err;

	cr_assert_eq(parse("[bundle]\ninclude = a\n  b c\n\n  d\n", &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.include.n, 4);
	cr_assert_str_eq(cfg.include.v[3], "d");
	config_release(&cfg);
	expect_error("[app]\nname = a\n  b\n", "slipway.ini:3: 'name' cannot continue");
	expect_error("[app]\nname = a\n  [bundle]\n", "must start at the beginning");
}

Test(config, nul_bytes_and_bom)
{
	struct pack_config cfg;
	struct err err;
	const char text[] = "[app]\nname = a\0b\n";

	config_init(&cfg);
	cr_assert_eq(config_parse(text, sizeof(text) - 1, "f", &cfg, &err), -1);
	cr_assert(strstr(err.msg, "f:2: NUL byte"), "%s", err.msg);
	config_release(&cfg);
	cr_assert_eq(parse("\xEF\xBB\xBF[app]\nname = bom\n", &cfg, &err), 0, "%s", err.msg);
	cr_assert_str_eq(cfg.app, "bom");
	config_release(&cfg);
}

Test(config, durations)
{
	uint64_t ms;
	struct err err;

	cr_assert_eq(config_parse_duration_ms("30s", &ms, &err), 0);
	cr_assert_eq(ms, 30000);
	cr_assert_eq(config_parse_duration_ms("30m", &ms, &err), 0);
	cr_assert_eq(ms, 1800000);
	cr_assert_eq(config_parse_duration_ms("250ms", &ms, &err), 0);
	cr_assert_eq(ms, 250);
	cr_assert_eq(config_parse_duration_ms("2h", &ms, &err), 0);
	cr_assert_eq(ms, 7200000);
	cr_assert_eq(config_parse_duration_ms("45", &ms, &err), 0);
	cr_assert_eq(ms, 45000);
	cr_assert_eq(config_parse_duration_ms("-1s", &ms, &err), -1);
	cr_assert_eq(config_parse_duration_ms("1 s", &ms, &err), -1);
	cr_assert_eq(config_parse_duration_ms("8d", &ms, &err), -1);
	cr_assert_eq(config_parse_duration_ms("99999999999999999999s", &ms, &err), -1);
}

Test(config, printed_config_parses_back_with_awkward_words)
{
	struct pack_config cfg, again;
	struct err err;
	char *text;
	const char *words[] = {"x ;y", "[notasection]", "#nocomment", "a\"b", "tab\there"};
	size_t i;

	config_init(&cfg);
	cfg.app = strdup("a");
	cfg.build = strdup("");
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		cr_assert_eq(strlist_push(&cfg.exclude, words[i]), 0);
	text = config_to_ini(&cfg);
	cr_assert_not_null(text);
	config_init(&again);
	cr_assert_eq(config_parse(text, strlen(text), "printed", &again, &err), 0, "%s\n%s",
	             err.msg, text);
	cr_assert_eq(again.exclude.n, cfg.exclude.n, "%s", text);
	for (i = 0; i < cfg.exclude.n; i++)
		cr_assert_str_eq(again.exclude.v[i], words[i]);
	free(text);
	config_release(&again);
	config_release(&cfg);
}

Test(config, a_section_overrides_a_detected_service_key_by_key)
{
	struct pack_config cfg;
	struct err err;

	cr_assert_eq(parse_over_detected_web("[service web]\nport = 5055\n", &cfg, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(cfg.n_services, 1);
	cr_assert_eq(cfg.services[0].port, 5055);
	cr_assert_str_eq(cfg.services[0].command, "node server.js");
	cr_assert_eq(cfg.services[0].argv.n, 2);
	cr_assert_str_eq(cfg.services[0].cwd, ".next/standalone");
	cr_assert_eq(cfg.services[0].ready, READY_HTTP);
	cr_assert_str_eq(cfg.services[0].ready_path, "/");
	cr_assert_eq(cfg.services[0].stop_timeout_ms, 30000);
	cr_assert_eq(cfg.services[0].set, SVC_PORT);
	cr_assert_not_null(cfg.services[0].detected);
	config_release(&cfg);

	/* The file's command wins, the detected cwd stays: the trap of a forgotten cwd. */
	cr_assert_eq(parse_over_detected_web("[service web]\ncommand = node --enable-source-maps "
	                                     "server.js\nready = none\n",
	                                     &cfg, &err),
	             0, "%s", err.msg);
	cr_assert_eq(cfg.services[0].argv.n, 3);
	cr_assert_str_eq(cfg.services[0].cwd, ".next/standalone");
	cr_assert_eq(cfg.services[0].ready, READY_NONE);
	cr_assert_null(cfg.services[0].ready_path);
	config_release(&cfg);
}

Test(config, env_merges_variable_by_variable)
{
	struct pack_config cfg;
	struct err err;

	cr_assert_eq(
	    parse_over_detected_web("[service web]\nenv = TZ=Europe/Lisbon EXTRA=1\n", &cfg, &err),
	    0, "%s", err.msg);
	cr_assert_eq(cfg.services[0].env.n, 3);
	cr_assert_str_eq(cfg.services[0].env.v[0], "NODE_ENV=production");
	cr_assert_str_eq(cfg.services[0].env.v[1], "TZ=Europe/Lisbon");
	cr_assert_str_eq(cfg.services[0].env.v[2], "EXTRA=1");
	config_release(&cfg);
	expect_error("[service w]\ncommand = x\nenv = A=1 A=2\n", "slipway.ini:3: env A set twice");
}

Test(config, a_worker_without_port_gets_a_drain_length_stop_timeout)
{
	struct pack_config cfg;
	struct err err;

	cr_assert_eq(parse("[service worker]\ncommand = node worker.js start\n"
	                   "[service api]\ncommand = node api.js\nport = 8080\n",
	                   &cfg, &err),
	             0, "%s", err.msg);
	cr_assert_eq(cfg.services[0].stop_timeout_ms, SERVICE_WORKER_STOP_TIMEOUT_MS);
	cr_assert_eq(cfg.services[0].stop_timeout_ms, 30u * 60 * 1000);
	cr_assert_eq(cfg.services[0].ready, READY_NONE);
	cr_assert_eq(cfg.services[1].stop_timeout_ms, 30000);
	cr_assert_eq(cfg.services[1].ready, READY_HTTP);
	cr_assert_eq(cfg.services[1].ready_timeout_ms, 60000);
	config_release(&cfg);
	cr_assert_eq(parse("[service worker]\ncommand = x\nstop_timeout = 5s\n", &cfg, &err), 0);
	cr_assert_eq(cfg.services[0].stop_timeout_ms, 5000);
	config_release(&cfg);
}

Test(config, enabled_no_turns_off_a_detected_service_only)
{
	struct pack_config cfg;
	struct err err;

	cr_assert_eq(parse_over_detected_web("[service web]\nenabled = no\n", &cfg, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(cfg.n_services, 0);
	cr_assert_eq(cfg.disabled.n, 1);
	cr_assert_str_eq(cfg.disabled.v[0], "web");
	config_release(&cfg);
	expect_error("[service wbe]\nenabled = no\n",
	             "slipway.ini: [service wbe]: enabled = no, but no service wbe is detected");
	expect_error("[service w]\ncommand = x\nenabled = maybe\n", "slipway.ini:3: bad enabled");
}

Test(config, a_section_without_command_needs_a_detected_service)
{
	struct pack_config cfg;
	struct err err;

	expect_error("[service api]\nport = 80\n", "slipway.ini: [service api] has no command");
	cr_assert_eq(parse_over_detected_web("[service api]\nport = 80\n", &cfg, &err), -1);
	cr_assert(strstr(err.msg, "[service api] has no command"), "%s", err.msg);
	config_release(&cfg);
}

Test(config, a_second_section_running_the_detected_command_is_refused)
{
	struct pack_config cfg;
	struct err err;

	cr_assert_eq(
	    parse_over_detected_web("[service site]\ncommand = node server.js\n", &cfg, &err), -1);
	cr_assert(
	    strstr(err.msg, "[service site] runs the same command as the detected service web"),
	    "%s", err.msg);
	config_release(&cfg);
	cr_assert_eq(
	    parse_over_detected_web("[service site]\ncommand = node server.js\ncwd = "
	                            ".next/standalone\nport = 5000\n[service web]\nenabled "
	                            "= no\n",
	                            &cfg, &err),
	    0, "%s", err.msg);
	cr_assert_eq(cfg.n_services, 1);
	cr_assert_str_eq(cfg.services[0].name, "site");
	config_release(&cfg);
}

Test(config, names_follow_the_manifest_rules)
{
	/* The manifest's app rule is the stricter one: no leading '-' or '_'. */
	expect_error("[app]\nname = -shop\n", "slipway.ini:2: bad app name \"-shop\" must match");
	expect_error("[app]\nname = _shop\n", "slipway.ini:2: bad app name");
	expect_error("[service abcdefghijklmnopqrstuvwxyz0123456]\ncommand = x\n",
	             "slipway.ini:1: bad service name");
	expect_error("[secrets]\nrequired = lower\n", "slipway.ini:2: bad secret name 'lower'");
	expect_error("[service w]\ncommand = x\nenv = 1X=y\n", "slipway.ini:3: bad env entry");
}

Test(config, worker_keys_parse_print_and_parse_back)
{
	struct pack_config cfg, again;
	struct err err;
	char *text;
	const char *ini = "[app]\nname = a\n"
	                  "[service agent]\ncommand = node agent.js start\nhealth_port = 8081\n"
	                  "ready = log   registered worker\nkill_mode = group\n";

	cr_assert_eq(parse(ini, &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.services[0].health_port, 8081);
	cr_assert_eq(cfg.services[0].ready, READY_LOG);
	cr_assert_str_eq(cfg.services[0].ready_log, "registered worker");
	cr_assert_eq(cfg.services[0].kill_mode, KILL_GROUP);
	text = config_to_ini(&cfg);
	cr_assert_not_null(strstr(text, "health_port = 8081\n"), "%s", text);
	cr_assert_not_null(strstr(text, "ready = log registered worker\n"), "%s", text);
	cr_assert_not_null(strstr(text, "kill_mode = group\n"), "%s", text);
	config_init(&again);
	cr_assert_eq(config_parse(text, strlen(text), "printed", &again, &err), 0, "%s", err.msg);
	cr_assert_str_eq(again.services[0].ready_log, "registered worker");
	cr_assert_eq(again.services[0].health_port, 8081);
	cr_assert_eq(again.services[0].kill_mode, KILL_GROUP);
	free(text);
	config_release(&again);
	config_release(&cfg);
}

Test(config, worker_keys_errors)
{
	expect_error("[service w]\ncommand = x\nready = log\n", "'log TEXT'");
	expect_error("[service w]\ncommand = x\nkill_mode = mixed\n", "bad kill_mode 'mixed'");
	expect_error("[service w]\ncommand = x\nhealth_port = 0\n", "bad health_port '0'");
	expect_error("[service w]\ncommand = x\nport = 5000\nhealth_port = 8081\n",
	             "health_port is for services without a port");
	expect_error("[service w]\ncommand = x\nready = http /\n", "needs a port or health_port");
}

Test(config, print_names_the_build_environment_with_the_deployment_id)
{
	struct pack_config cfg;
	char *text;

	config_init(&cfg);
	cfg.app = strdup("a");
	cfg.build = strdup("npm run build");
	text = config_to_ini(&cfg);
	cr_assert_not_null(text);
	cr_assert_not_null(strstr(text, "NEXT_DEPLOYMENT_ID=<version>"), "%s", text);
	free(text);
	cfg.build[0] = '\0';
	text = config_to_ini(&cfg);
	cr_assert_null(strstr(text, "NEXT_DEPLOYMENT_ID"), "%s", text);
	free(text);
	config_release(&cfg);
}
