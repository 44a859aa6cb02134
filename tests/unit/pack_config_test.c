#include <criterion/criterion.h>

#include "pack/collect.h"
#include "pack/config.h"
#include "pack/words.h"
#include "release/base/error.h"

#include <string.h>

static int parse(const char *text, struct pack_config *cfg, struct err *err)
{
	config_init(cfg);
	return config_parse(text, strlen(text), "slipway.ini", cfg, err);
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

	cr_assert_eq(parse_duration_ms("30s", &ms, &err), 0);
	cr_assert_eq(ms, 30000);
	cr_assert_eq(parse_duration_ms("30m", &ms, &err), 0);
	cr_assert_eq(ms, 1800000);
	cr_assert_eq(parse_duration_ms("250ms", &ms, &err), 0);
	cr_assert_eq(ms, 250);
	cr_assert_eq(parse_duration_ms("2h", &ms, &err), 0);
	cr_assert_eq(ms, 7200000);
	cr_assert_eq(parse_duration_ms("45", &ms, &err), 0);
	cr_assert_eq(ms, 45000);
	cr_assert_eq(parse_duration_ms("-1s", &ms, &err), -1);
	cr_assert_eq(parse_duration_ms("1 s", &ms, &err), -1);
	cr_assert_eq(parse_duration_ms("8d", &ms, &err), -1);
	cr_assert_eq(parse_duration_ms("99999999999999999999s", &ms, &err), -1);
}

Test(words, split_with_quotes_and_no_shell)
{
	struct strlist w = {0};
	struct err err;

	cr_assert_eq(words_split("node  server.js 'a b' \"c \\\"d\\\"\" e\\ f $HOME;x", &w, &err),
	             0);
	cr_assert_eq(w.n, 6);
	cr_assert_str_eq(w.v[0], "node");
	cr_assert_str_eq(w.v[2], "a b");
	cr_assert_str_eq(w.v[3], "c \"d\"");
	cr_assert_str_eq(w.v[4], "e f");
	cr_assert_str_eq(w.v[5], "$HOME;x");
	strlist_clear(&w);
	cr_assert_eq(words_split("''", &w, &err), 0);
	cr_assert_eq(w.n, 1);
	cr_assert_str_eq(w.v[0], "");
	strlist_clear(&w);
	cr_assert_eq(words_split("a 'b", &w, &err), -1);
	cr_assert_eq(words_split("a \"b", &w, &err), -1);
	cr_assert_eq(words_split("a\\", &w, &err), -1);
	strlist_clear(&w);
}

Test(words, quote_round_trips)
{
	const char *samples[] = {"plain", "two words", "say \"hi\"", "back\\slash", "", "a;b",
	                         "it's",  "x ;y",      ";"};
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct strlist w = {0};
		char *q = words_quote(samples[i]);
		struct err err;

		cr_assert_eq(words_split(q, &w, &err), 0, "%s", q);
		cr_assert_eq(w.n, 1, "%s", q);
		cr_assert_str_eq(w.v[0], samples[i]);
		strlist_clear(&w);
		free(q);
	}
}

Test(collect, never_pack_rules)
{
	cr_assert_not_null(never_pack_reason(".git"));
	cr_assert_not_null(never_pack_reason("agent/.git/config"));
	cr_assert_not_null(never_pack_reason(".env"));
	cr_assert_not_null(never_pack_reason("public/.env.production"));
	cr_assert_not_null(never_pack_reason("certs/tls.pem"));
	cr_assert_not_null(never_pack_reason("id.key"));
	cr_assert_not_null(never_pack_reason(".next/cache"));
	cr_assert_not_null(never_pack_reason(".next/standalone/.next/cache/x"));
	cr_assert_null(never_pack_reason(".next/standalone/server.js"));
	cr_assert_null(never_pack_reason("node_modules/cache/index.js"));
	cr_assert_null(never_pack_reason("docs/keyboard.md"));
	cr_assert_null(never_pack_reason("a.gitignore"));
	cr_assert_null(never_pack_reason("environment.ts"));
}

Test(collect, exclude_patterns)
{
	cr_assert(exclude_matches("*.map", ".next/static/chunks/app.js.map"));
	cr_assert(exclude_matches(".next/cache", ".next/cache"));
	cr_assert(exclude_matches("agent/tests/", "agent/tests"));
	cr_assert(exclude_matches("agent/*.md", "agent/README.md"));
	cr_assert(!exclude_matches("agent/*.md", "agent/docs/x.md"));
	cr_assert(!exclude_matches("*.map", "sitemap.xml"));
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
