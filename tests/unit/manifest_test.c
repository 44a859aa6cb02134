#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/manifest/manifest_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A complete, valid manifest in canonical form; tests edit copies of it. */
static const char *good =
    "{\n"
    "  \"format\": 1,\n"
    "  \"app\": \"mediai\",\n"
    "  \"version\": \"1.4.0+g1a2b3c4\",\n"
    "  \"serial\": 42,\n"
    "  \"commit\": \"1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d\",\n"
    "  \"dirty\": false,\n"
    "  \"build_time\": \"2026-11-25T06:00:00Z\",\n"
    "  \"slipway_version\": \"0.1.0\",\n"
    "  \"secrets\": {\"required\": [\"JWT_SECRET\", \"LIVEKIT_URL\"], \"optional\": "
    "[\"TAVUS_API_KEY\"]},\n"
    "  \"services\": [\n"
    "    {\n"
    "      \"name\": \"web\",\n"
    "      \"argv\": [\"node\", \"server.js\"],\n"
    "      \"cwd\": \".next/standalone\",\n"
    "      \"env\": {\"NODE_ENV\": \"production\", \"NOTE\": \"a \\\"quoted\\\"\\n\\u0001 é\"},\n"
    "      \"port\": 5000,\n"
    "      \"ready\": \"http\",\n"
    "      \"ready_path\": \"/\",\n"
    "      \"ready_timeout_ms\": 30000,\n"
    "      \"stop_timeout_ms\": 30000\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"agent\",\n"
    "      \"argv\": [\"python3\", \"agent/main.py\", \"start\"],\n"
    "      \"cwd\": \"\",\n"
    "      \"env\": {\"PYTHONPATH\": \"${RELEASE}/agent/.deps\"},\n"
    "      \"port\": 0,\n"
    "      \"ready\": \"none\",\n"
    "      \"ready_timeout_ms\": 0,\n"
    "      \"stop_timeout_ms\": 1800000\n"
    "    }\n"
    "  ],\n"
    "  \"files\": [\n"
    "    {\"path\": \".next\", \"type\": \"dir\", \"mode\": \"0755\"},\n"
    "    {\"path\": \".next/standalone\", \"type\": \"dir\", \"mode\": \"0755\"},\n"
    "    {\"path\": \".next/standalone/server.js\", \"type\": \"file\", \"mode\": \"0644\", "
    "\"size\": 12, \"sha256\": "
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"},\n"
    "    {\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"},\n"
    "    {\"path\": \"agent/lib\", \"type\": \"symlink\", \"mode\": \"0777\", \"target\": "
    "\"../.next/standalone\"},\n"
    "    {\"path\": \"agent/main.py\", \"type\": \"file\", \"mode\": \"0755\", \"size\": 0, "
    "\"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}\n"
    "  ]\n"
    "}\n";

static struct manifest *parse_ok(const char *json)
{
	struct manifest *m = NULL;
	struct err err;

	cr_assert_eq(manifest_parse(json, strlen(json), &m, &err), 0, "rejected: %s", err.msg);
	cr_assert_not_null(m);
	return m;
}

/* Parses `good` with the first occurrence of `from` replaced by `to`; expects a rejection
 * whose message contains `why`. */
static void expect_reject(const char *from, const char *to, const char *why)
{
	const char *at = strstr(good, from);
	struct manifest *m = NULL;
	struct err err;
	char *json;

	cr_assert_not_null(at, "fixture lacks %s", from);
	json = malloc(strlen(good) + strlen(to) + 1);
	memcpy(json, good, (size_t)(at - good));
	strcpy(json + (at - good), to);
	strcat(json, at + strlen(from));
	cr_assert_eq(manifest_parse(json, strlen(json), &m, &err), -1, "accepted: %s -> %s", from,
	             to);
	cr_assert_null(m);
	cr_assert_not_null(strstr(err.msg, why), "error '%s' lacks '%s'", err.msg, why);
	free(json);
}

Test(manifest, parses_every_field)
{
	struct manifest *m = parse_ok(good);
	const struct manifest_service *web, *agent;
	const struct manifest_file *f;

	cr_assert_eq(m->format, 1);
	cr_assert_str_eq(m->app, "mediai");
	cr_assert_str_eq(m->version, "1.4.0+g1a2b3c4");
	cr_assert_eq(m->serial, 42);
	cr_assert_eq(m->dirty, false);
	cr_assert_eq(m->n_secrets_required, 2);
	cr_assert_str_eq(m->secrets_optional[0], "TAVUS_API_KEY");
	cr_assert_eq(m->n_services, 2);
	web = manifest_find_service(m, "web");
	agent = manifest_find_service(m, "agent");
	cr_assert_not_null(web);
	cr_assert_not_null(agent);
	cr_assert_null(manifest_find_service(m, "db"));
	cr_assert_eq(web->argc, 2);
	cr_assert_null(web->argv[2]);
	cr_assert_eq(web->port, 5000);
	cr_assert_eq(web->ready, READY_HTTP);
	cr_assert_str_eq(web->ready_path, "/");
	cr_assert_str_eq(web->env[1].value, "a \"quoted\"\n\x01 é");
	cr_assert_eq(agent->ready, READY_NONE);
	cr_assert_null(agent->ready_path);
	cr_assert_eq(agent->stop_timeout_ms, 1800000);
	cr_assert_eq(m->n_files, 6);
	f = manifest_find_file(m, ".next/standalone/server.js");
	cr_assert_not_null(f);
	cr_assert_eq(f->type, MANIFEST_FILE);
	cr_assert_eq(f->size, 12);
	cr_assert_eq(f->mode, 0644);
	cr_assert_eq(f->sha256[0], 0xe3);
	cr_assert_eq(f->sha256[31], 0x55);
	f = manifest_find_file(m, "agent/lib");
	cr_assert_eq(f->type, MANIFEST_SYMLINK);
	cr_assert_str_eq(f->target, "../.next/standalone");
	cr_assert_null(manifest_find_file(m, "agent/nope"));
	manifest_free(m);
}

Test(manifest, canonical_form_round_trips_byte_for_byte)
{
	struct manifest *m = parse_ok(good), *again;
	struct err err;
	char *json = NULL, *json2 = NULL;
	size_t len, len2;

	cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(json), len);
	again = parse_ok(json);
	cr_assert_eq(manifest_to_json(again, &json2, &len2, &err), 0, "%s", err.msg);
	cr_assert_str_eq(json, json2);
	/* The fixture is written in canonical form except for escapes json-c normalises. */
	cr_assert_not_null(strstr(json, "\"NOTE\": \"a \\\"quoted\\\"\\n\\u0001 é\""));
	cr_assert_eq(strncmp(json, good, 200), 0);
	manifest_free(m);
	manifest_free(again);
	free(json);
	free(json2);
}

Test(manifest, built_in_memory_serialises_and_parses)
{
	struct manifest *m = manifest_new(), *back;
	struct err err;
	char *json = NULL;
	size_t len;

	m->app = strdup("a");
	m->version = strdup("1");
	m->commit = strdup("");
	m->build_time = strdup("2026-01-01T00:00:00Z");
	m->slipway_version = strdup("0.1.0");
	cr_assert_eq(manifest_alloc_files(m, 1), 0);
	m->n_files = 1;
	m->files[0].path = strdup("run.sh");
	m->files[0].type = MANIFEST_FILE;
	m->files[0].mode = 0755;
	m->files[0].size = 3;
	cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
	back = parse_ok(json);
	cr_assert_str_eq(back->files[0].path, "run.sh");
	cr_assert_eq(back->n_services, 0);
	free(json);
	manifest_free(back);
	/* An invalid manifest is not serialised. */
	m->files[0].mode = 04755;
	cr_assert_eq(manifest_to_json(m, &json, &len, &err), -1);
	cr_assert_null(json);
	manifest_free(m);
}

Test(manifest, rejects_invalid_json)
{
	struct manifest *m = NULL;
	struct err err;

	cr_assert_eq(manifest_parse("{\"format\": 1", 12, &m, &err), -1);
	cr_assert_not_null(strstr(err.msg, "invalid JSON"), "%s", err.msg);
	cr_assert_eq(manifest_parse("", 0, &m, &err), -1);
	cr_assert_eq(manifest_parse("[]", 2, &m, &err), -1);
	cr_assert_not_null(strstr(err.msg, "must be a JSON object"), "%s", err.msg);
	cr_assert_eq(manifest_parse("{} x", 4, &m, &err), -1);
	cr_assert_eq(manifest_parse("{\"a\":1}\0{}", 10, &m, &err), -1);
	cr_assert_not_null(strstr(err.msg, "NUL"), "%s", err.msg);
	cr_assert_eq(manifest_parse("{\"a\":\"\xff\"}", 9, &m, &err), -1);
	cr_assert_null(m);
}

Test(manifest, rejects_oversized_input_before_parsing)
{
	struct manifest *m = NULL;
	struct err err;

	cr_assert_eq(manifest_parse("{}", (size_t)MANIFEST_MAX_BYTES + 1, &m, &err), -1);
	cr_assert_not_null(strstr(err.msg, "larger than"), "%s", err.msg);
}

Test(manifest, rejects_trailing_garbage)
{
	expect_reject("  ]\n}\n", "  ]\n}\n{}", "invalid JSON");
	{
		char *ws = malloc(strlen(good) + 4);

		strcpy(ws, good);
		strcat(ws, "\n\t ");
		manifest_free(parse_ok(ws)); /* trailing whitespace is allowed */
		free(ws);
	}
}

Test(manifest, rejects_duplicate_and_escaped_keys)
{
	expect_reject("\"serial\": 42,", "\"serial\": 42, \"serial\": 43,",
	              "duplicate key \"serial\"");
	expect_reject("\"NODE_ENV\": \"production\"", "\"NODE_ENV\": \"x\", \"NODE_ENV\": \"y\"",
	              "duplicate key");
	expect_reject("\"app\":", "\"\\u0061pp\":", "backslash");
}

Test(manifest, rejects_unknown_and_missing_keys)
{
	expect_reject("\"dirty\": false,", "\"dirty\": false, \"extra\": 1,",
	              "unknown key \"extra\"");
	expect_reject("\"dirty\": false,", "", "missing key \"dirty\"");
	expect_reject("\"port\": 5000,", "", "missing key \"port\"");
	expect_reject("\"mode\": \"0755\"}", "\"mode\": \"0755\", \"owner\": 0}", "unknown key");
	expect_reject("\"optional\": [\"TAVUS_API_KEY\"]",
	              "\"optional\": [\"TAVUS_API_KEY\"], "
	              "\"x\": []",
	              "unknown key");
}

Test(manifest, rejects_wrong_types)
{
	expect_reject("\"serial\": 42", "\"serial\": \"42\"", "must be an integer");
	expect_reject("\"serial\": 42", "\"serial\": 42.0", "must be an integer");
	expect_reject("\"dirty\": false", "\"dirty\": 0", "true or false");
	expect_reject("\"app\": \"mediai\"", "\"app\": null", "must be a string");
	expect_reject("\"argv\": [\"node\", \"server.js\"]", "\"argv\": [\"node\", 1]",
	              "must be a string");
	expect_reject("\"env\": {\"PYTHONPATH\": \"${RELEASE}/agent/.deps\"}", "\"env\": []",
	              "must be an object");
	expect_reject("\"required\": [\"JWT_SECRET\", \"LIVEKIT_URL\"]",
	              "\"required\": \"JWT_SECRET\"", "must be an array");
}

Test(manifest, rejects_numbers_out_of_range)
{
	expect_reject("\"serial\": 42", "\"serial\": -1", "out of range");
	expect_reject("\"serial\": 42", "\"serial\": 9007199254740992", "out of range");
	expect_reject("\"serial\": 42", "\"serial\": 99999999999999999999999", "out of range");
	expect_reject("\"port\": 5000", "\"port\": 65536", "out of range");
	expect_reject("\"stop_timeout_ms\": 30000", "\"stop_timeout_ms\": 604800001",
	              "out of range");
	expect_reject("\"format\": 1", "\"format\": 2", "unsupported format");
}

Test(manifest, rejects_embedded_nul_in_strings)
{
	expect_reject("\"node\", \"server.js\"", "\"node\", \"server\\u0000.js\"", "NUL");
	expect_reject("\"target\": \"../.next/standalone\"", "\"target\": \"..\\u0000/x\"", "NUL");
}

Test(manifest, rejects_unsafe_paths)
{
	const char *base = "\"path\": \"agent/main.py\"";

	expect_reject(base, "\"path\": \"/agent/main.py\"", "absolute");
	expect_reject(base, "\"path\": \"agent/../main.py\"", "'..'");
	expect_reject(base, "\"path\": \"agent/./main.py\"", "'.'");
	expect_reject(base, "\"path\": \"agent//main.py\"", "empty path component");
	expect_reject(base, "\"path\": \"agent/main.py/\"", "trailing");
	expect_reject(base, "\"path\": \"agent/ma\\nin.py\"", "control character");
	expect_reject(base, "\"path\": \"\"", "empty path");
}

Test(manifest, rejects_unsorted_duplicate_and_orphan_files)
{
	expect_reject("{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"},",
	              "{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"}, "
	              "{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"},",
	              "repeats");
	expect_reject("{\"path\": \".next\", \"type\": \"dir\", \"mode\": \"0755\"},",
	              "{\"path\": \"zzz\", \"type\": \"dir\", \"mode\": \"0755\"},", "sorted");
	/* agent/main.py without its parent directory listed */
	expect_reject("{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"},", "",
	              "parent agent is not listed as a directory");
	expect_reject("{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"},",
	              "{\"path\": \"agent\", \"type\": \"symlink\", \"mode\": \"0777\", "
	              "\"target\": \".next\"},",
	              "not listed as a directory");
}

Test(manifest, rejects_manifest_listing_itself)
{
	expect_reject("{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"},",
	              "{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"}, "
	              "{\"path\": \"slipway-manifest.json\", \"type\": \"dir\", \"mode\": "
	              "\"0755\"},",
	              "must not list itself");
}

Test(manifest, rejects_modes_outside_the_documented_set)
{
	expect_reject("\"mode\": \"0644\"", "\"mode\": \"4755\"", "mode");
	expect_reject("\"mode\": \"0644\"", "\"mode\": \"0777\"", "0644 or 0755");
	expect_reject("\"mode\": \"0644\"", "\"mode\": 420", "must be a string");
	expect_reject("{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"}",
	              "{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0644\"}",
	              "directory's mode must be 0755");
	expect_reject("\"type\": \"symlink\", \"mode\": \"0777\"",
	              "\"type\": \"symlink\", \"mode\": \"0755\"", "symlink's mode must be 0777");
}

Test(manifest, rejects_bad_file_entries)
{
	expect_reject("\"type\": \"file\", \"mode\": \"0644\"",
	              "\"type\": \"fifo\", \"mode\": \"0644\"", "\"type\" must be");
	expect_reject("\"sha256\": \"e3b0", "\"sha256\": \"E3B0", "lowercase hex");
	expect_reject("\"sha256\": \"e3b0c4", "\"sha256\": \"3b0c4", "64 lowercase hex");
	expect_reject("\"size\": 12, ", "", "missing key \"size\"");
	expect_reject("{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\"}",
	              "{\"path\": \"agent\", \"type\": \"dir\", \"mode\": \"0755\", \"size\": 1}",
	              "\"size\" is not allowed");
	expect_reject("\"target\": \"../.next/standalone\"}",
	              "\"target\": \"../.next/standalone\", \"sha256\": \"x\"}", "not allowed");
}

Test(manifest, rejects_symlinks_leaving_the_release)
{
	const char *t = "\"target\": \"../.next/standalone\"";

	expect_reject(t, "\"target\": \"/etc/passwd\"", "absolute target");
	expect_reject(t, "\"target\": \"../../etc\"", "outside the release");
	expect_reject(t, "\"target\": \"../.next/../..\"", "'..' after a name");
	expect_reject(t, "\"target\": \"./x\"", "'.' component");
	expect_reject(t, "\"target\": \"\"", "empty target");
	expect_reject(t, "\"target\": \"..//x\"", "empty component");
}

Test(manifest, symlink_target_rules)
{
	struct err err;

	cr_assert_eq(symlink_target_check("a", "b", &err), 0);
	cr_assert_eq(symlink_target_check("a/b/c", "../../x/y", &err), 0);
	cr_assert_eq(symlink_target_check("a/b", "..", &err), 0);
	cr_assert_eq(symlink_target_check("a", "..", &err), -1);
	cr_assert_eq(symlink_target_check("a/b", "../..", &err), -1);
	cr_assert_eq(symlink_target_check("a/b", "x/..", &err), -1);
	cr_assert_eq(symlink_target_check("a/b", "x/", &err), -1);
}

Test(manifest, rejects_bad_names_and_versions)
{
	expect_reject("\"version\": \"1.4.0+g1a2b3c4\"", "\"version\": \"../x\"", "version");
	expect_reject("\"version\": \"1.4.0+g1a2b3c4\"", "\"version\": \".hidden\"",
	              "start with a letter or digit");
	expect_reject("\"version\": \"1.4.0+g1a2b3c4\"", "\"version\": \"1 0\"",
	              "may only contain");
	expect_reject("\"version\": \"1.4.0+g1a2b3c4\"", "\"version\": \"\"", "version");
	expect_reject("\"app\": \"mediai\"", "\"app\": \"medi ai\"", "app");
	expect_reject("\"name\": \"web\"", "\"name\": \"Web\"", "service name \"Web\" must match");
	expect_reject("\"name\": \"web\"", "\"name\": \"agent\"", "defined twice");
	expect_reject("\"commit\": \"1a2b", "\"commit\": \"xa2b", "commit");
	expect_reject("\"build_time\": \"2026-11-25T06:00:00Z\"",
	              "\"build_time\": \"2026-13-25T06:00:00Z\"", "build_time");
	expect_reject("\"build_time\": \"2026-11-25T06:00:00Z\"",
	              "\"build_time\": \"2026-11-25 06:00:00\"", "build_time");
	expect_reject("\"slipway_version\": \"0.1.0\"", "\"slipway_version\": \"\"",
	              "slipway_version");
}

Test(manifest, rejects_bad_secrets_and_env)
{
	expect_reject("\"JWT_SECRET\", \"LIVEKIT_URL\"", "\"JWT_SECRET\", \"jwt\"", "secret name");
	expect_reject("\"JWT_SECRET\", \"LIVEKIT_URL\"", "\"JWT_SECRET\", \"TAVUS_API_KEY\"",
	              "more than once");
	expect_reject("\"NODE_ENV\": \"production\"", "\"JWT_SECRET\": \"hunter2\"",
	              "declared secret");
	expect_reject("\"NODE_ENV\": \"production\"", "\"NODE-ENV\": \"production\"", "env name");
}

Test(manifest, rejects_inconsistent_services)
{
	expect_reject("\"ready_path\": \"/\",", "", "missing key \"ready_path\"");
	expect_reject("\"ready\": \"none\",", "\"ready\": \"none\", \"ready_path\": \"/\",",
	              "only allowed");
	expect_reject("\"ready\": \"none\",", "\"ready\": \"tcp\",", "needs a port");
	expect_reject("\"ready\": \"http\"", "\"ready\": \"exec\"", "\"ready\" must be");
	expect_reject("\"ready_path\": \"/\"", "\"ready_path\": \"health\"", "ready_path");
	expect_reject("\"argv\": [\"node\", \"server.js\"]", "\"argv\": []", "argv");
	expect_reject("\"argv\": [\"node\", \"server.js\"]", "\"argv\": [\"\"]", "argv");
	expect_reject("\"cwd\": \".next/standalone\"", "\"cwd\": \"../x\"", "cwd");
	expect_reject("\"cwd\": \".next/standalone\"", "\"cwd\": \"nope\"",
	              "not a directory of the release");
}

Test(manifest, refuses_two_services_on_one_port)
{
	expect_reject("\"port\": 0,", "\"port\": 5000,",
	              "services web and agent both use port 5000");
	expect_reject("\"port\": 0,", "\"port\": 0, \"health_port\": 5000,",
	              "services web and agent both use port 5000");
}

Test(manifest, worker_readiness_health_port_and_kill_mode)
{
	const char *from = "\"ready\": \"none\",";
	const char *to = "\"health_port\": 8081, \"ready\": \"log\", \"ready_log\": \"registered "
	                 "worker\", \"kill_mode\": \"group\",";
	const char *at = strstr(good, from);
	char *json = malloc(strlen(good) + strlen(to) + 1), *again = NULL;
	struct manifest *m, *m2 = NULL;
	const struct manifest_service *agent, *web;
	struct err err;
	size_t len;

	memcpy(json, good, (size_t)(at - good));
	strcpy(json + (at - good), to);
	strcat(json, at + strlen(from));
	m = parse_ok(json);
	agent = manifest_find_service(m, "agent");
	web = manifest_find_service(m, "web");
	cr_assert_eq(agent->health_port, 8081);
	cr_assert_eq(manifest_probe_port(agent), 8081);
	cr_assert_eq(manifest_probe_port(web), 5000);
	cr_assert_eq(agent->ready, READY_LOG);
	cr_assert_str_eq(agent->ready_log, "registered worker");
	cr_assert_eq(agent->kill_mode, KILL_GROUP);
	cr_assert_eq(manifest_kill_mode(agent), KILL_GROUP);
	/* Not set: a worker gets KillMode=mixed semantics, a port service its group. */
	cr_assert_eq(web->kill_mode, KILL_DEFAULT);
	cr_assert_eq(manifest_kill_mode(web), KILL_GROUP);
	agent = NULL;
	cr_assert_eq(manifest_to_json(m, &again, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(manifest_parse(again, len, &m2, &err), 0, "%s", err.msg);
	cr_assert_eq(manifest_find_service(m2, "agent")->ready, READY_LOG);
	cr_assert_str_eq(manifest_find_service(m2, "agent")->ready_log, "registered worker");
	cr_assert_eq(manifest_find_service(m2, "agent")->health_port, 8081);
	cr_assert_eq(manifest_find_service(m2, "agent")->kill_mode, KILL_GROUP);
	free(again);
	manifest_free(m2);
	manifest_free(m);
	free(json);

	m = parse_ok(good);
	cr_assert_eq(manifest_kill_mode(manifest_find_service(m, "agent")), KILL_PROCESS);
	manifest_free(m);
}

Test(manifest, rejects_bad_worker_readiness)
{
	expect_reject("\"ready\": \"none\",", "\"ready\": \"log\",", "missing key \"ready_log\"");
	expect_reject("\"ready\": \"none\",", "\"ready\": \"none\", \"ready_log\": \"x\",",
	              "only allowed");
	expect_reject("\"ready\": \"none\",", "\"ready\": \"log\", \"ready_log\": \"\",",
	              "ready_log must be");
	expect_reject("\"ready\": \"none\",", "\"ready\": \"log\", \"ready_log\": \"a\\nb\",",
	              "ready_log must be");
	expect_reject("\"ready\": \"none\",", "\"ready\": \"http\", \"ready_path\": \"/\",",
	              "needs a port or health_port");
	expect_reject("\"port\": 5000,", "\"port\": 5000, \"health_port\": 8081,",
	              "health_port is for services without a port");
	expect_reject("\"port\": 0,", "\"port\": 0, \"health_port\": 65536,", "health_port");
	expect_reject("\"ready\": \"none\",", "\"ready\": \"none\", \"kill_mode\": \"mixed\",",
	              "\"kill_mode\" must be");
}

Test(manifest, app_name_rule)
{
	struct err err;
	char long_name[MANIFEST_MAX_NAME + 2];

	cr_assert_eq(app_name_check("mediai", &err), 0);
	cr_assert_eq(app_name_check("My.App_2-x", &err), 0);
	cr_assert_eq(app_name_check("9lives", &err), 0);
	memset(long_name, 'a', MANIFEST_MAX_NAME);
	long_name[MANIFEST_MAX_NAME] = '\0';
	cr_assert_eq(app_name_check(long_name, &err), 0);
	long_name[MANIFEST_MAX_NAME] = 'a';
	long_name[MANIFEST_MAX_NAME + 1] = '\0';
	cr_assert_eq(app_name_check(long_name, &err), -1);
	cr_assert_eq(app_name_check("", &err), -1);
	cr_assert_eq(app_name_check(".hidden", &err), -1);
	cr_assert_eq(app_name_check("-x", &err), -1);
	cr_assert_eq(app_name_check("_x", &err), -1);
	cr_assert_eq(app_name_check("a b", &err), -1);
	cr_assert_eq(app_name_check("a/b", &err), -1);
	cr_assert(strstr(err.msg, "must match [A-Za-z0-9][A-Za-z0-9._-]*"), "%s", err.msg);
	/* The manifest reader applies the same rule. */
	expect_reject("\"app\": \"mediai\"", "\"app\": \"-mediai\"",
	              "app name \"-mediai\" must match");
}

Test(manifest, serial_parse_is_one_rule_for_comments_and_pack)
{
	static const char *const bad[] = {"",
	                                  "-1",
	                                  "+1",
	                                  "007",
	                                  "00",
	                                  " 5",
	                                  "5 ",
	                                  "1e3",
	                                  "0x10",
	                                  "9007199254740992",
	                                  "18446744073709551616"};
	struct err err;
	uint64_t v = 7;

	cr_assert_eq(serial_parse("0", &v, &err), 0, "%s", err.msg);
	cr_assert_eq(v, 0);
	cr_assert_eq(serial_parse("9007199254740991", &v, &err), 0, "%s", err.msg);
	cr_assert_eq(v, (1ull << 53) - 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		cr_expect_eq(serial_parse(bad[i], &v, &err), -1, "accepted '%s'", bad[i]);
		cr_expect_eq(err.kind, ERR_REFUSED);
		cr_expect_eq(v, 7, "wrote a value for '%s'", bad[i]);
	}
}

/* `good` with the first occurrence of `from` replaced by `to`, parsed; NULL when refused
 * (the message in err). */
static struct manifest *parse_edited(const char *from, const char *to, struct err *err)
{
	const char *at = strstr(good, from);
	struct manifest *m = NULL;
	char *json;

	cr_assert_not_null(at, "fixture lacks %s", from);
	json = malloc(strlen(good) + strlen(to) + 1);
	memcpy(json, good, (size_t)(at - good));
	strcpy(json + (at - good), to);
	strcat(json, at + strlen(from));
	if (manifest_parse(json, strlen(json), &m, err) < 0)
		m = NULL;
	free(json);
	return m;
}

#define FILES_KEY      "  \"files\": [\n"
#define NEXT_DIR_ENTRY "    {\"path\": \".next\", \"type\": \"dir\", \"mode\": \"0755\"},\n"

Test(manifest, declared_writable_and_static_dirs_round_trip)
{
	struct err err;
	struct manifest *m = parse_edited(FILES_KEY,
	                                  "  \"writable_dirs\": [\".next/cache\"],\n"
	                                  "  \"static_dirs\": [\".next/standalone\"],\n" FILES_KEY,
	                                  &err);
	char *json = NULL;
	size_t len;

	cr_assert_not_null(m, "%s", err.msg);
	cr_assert(m->writable_declared && m->static_declared);
	cr_assert_eq(m->n_writable_dirs, 1);
	cr_assert(manifest_is_writable_dir(m, ".next/cache"));
	cr_assert(manifest_is_static_dir(m, ".next/standalone"));
	cr_assert_not(manifest_is_static_dir(m, ".next"));
	cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
	cr_assert_not_null(strstr(json, "  ],\n  \"writable_dirs\": [\".next/cache\"],\n"
	                                "  \"static_dirs\": [\".next/standalone\"],\n" FILES_KEY));
	manifest_free(m);
	free(json);
	/* Declared empty: nothing, whatever the tree holds. */
	m = parse_edited(
	    FILES_KEY NEXT_DIR_ENTRY,
	    "  \"writable_dirs\": [],\n  \"static_dirs\": [],\n" FILES_KEY NEXT_DIR_ENTRY
	    "    {\"path\": \".next/BUILD_ID\", \"type\": \"file\", \"mode\": \"0644\", "
	    "\"size\": 0, \"sha256\": "
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"},\n",
	    &err);
	cr_assert_not_null(m, "%s", err.msg);
	cr_assert(m->writable_declared && m->static_declared);
	cr_assert_eq(m->n_writable_dirs + m->n_static_dirs, 0);
	manifest_free(m);
}

Test(manifest, without_the_keys_a_nextjs_build_gets_format_1_defaults)
{
	struct err err;
	/* .next/BUILD_ID makes .next a Next.js build; .next/standalone/.next/static a static
	 * directory at depth; neither key is present. */
	struct manifest *m = parse_edited(
	    "    {\"path\": \".next/standalone\", \"type\": \"dir\", \"mode\": \"0755\"},\n",
	    "    {\"path\": \".next/BUILD_ID\", \"type\": \"file\", \"mode\": \"0644\", \"size\": "
	    "0, "
	    "\"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"},\n"
	    "    {\"path\": \".next/standalone\", \"type\": \"dir\", \"mode\": \"0755\"},\n"
	    "    {\"path\": \".next/standalone/.next\", \"type\": \"dir\", \"mode\": \"0755\"},\n"
	    "    {\"path\": \".next/standalone/.next/static\", \"type\": \"dir\", \"mode\": "
	    "\"0755\"},\n",
	    &err);
	char *json = NULL;
	size_t len;

	cr_assert_not_null(m, "%s", err.msg);
	cr_assert_not(m->writable_declared || m->static_declared);
	cr_assert_eq(m->n_writable_dirs, 1);
	cr_assert_str_eq(m->writable_dirs[0], ".next/cache");
	cr_assert_eq(m->n_static_dirs, 1);
	cr_assert_str_eq(m->static_dirs[0], ".next/standalone/.next/static");
	/* Defaults are not the packer's word: serialised, the manifest stays without the keys. */
	cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
	cr_assert_null(strstr(json, "_dirs"));
	manifest_free(m);
	free(json);
	/* A plain manifest: no Next.js build, nothing writable, nothing static. */
	m = parse_ok(good);
	cr_assert_eq(m->n_writable_dirs + m->n_static_dirs, 0);
	manifest_free(m);
}

Test(manifest, rejects_bad_writable_and_static_dirs)
{
	expect_reject(FILES_KEY, "  \"static_dirs\": [\"public\"],\n" FILES_KEY,
	              "static_dirs: public is not a directory of the release");
	expect_reject(FILES_KEY, "  \"static_dirs\": [\"agent/main.py\"],\n" FILES_KEY,
	              "is not a directory of the release");
	expect_reject(FILES_KEY, "  \"writable_dirs\": [\"agent/main.py\"],\n" FILES_KEY,
	              "writable_dirs: agent/main.py is a file or a symlink");
	expect_reject(FILES_KEY, "  \"writable_dirs\": [\"nowhere/cache\"],\n" FILES_KEY,
	              "its parent is not a directory of the release");
	expect_reject(FILES_KEY, "  \"writable_dirs\": [\"agent/main.py/x\"],\n" FILES_KEY,
	              "its parent is not a directory of the release");
	expect_reject(FILES_KEY, "  \"writable_dirs\": [\"../cache\"],\n" FILES_KEY,
	              "writable_dirs");
	expect_reject(FILES_KEY, "  \"writable_dirs\": [\"/tmp\"],\n" FILES_KEY, "writable_dirs");
	expect_reject(FILES_KEY, "  \"writable_dirs\": [\"agent/x\", \"agent/x\"],\n" FILES_KEY,
	              "agent/x is listed twice");
	expect_reject(
	    FILES_KEY,
	    "  \"writable_dirs\": [\"agent/cache\"],\n  \"static_dirs\": [\"agent\"],\n" FILES_KEY,
	    "overlaps the static directory agent");
	expect_reject(FILES_KEY, "  \"writable_dirs\": [1],\n" FILES_KEY, "writable_dirs");
	expect_reject(FILES_KEY, "  \"static_dirs\": \"agent\",\n" FILES_KEY, "static_dirs");
}

/* `good` edited as parse_edited does, parsed both ways: manifest_parse (canonical "files"
 * elements read directly) and manifest_parse_json_c must agree on the result, the canonical
 * form and the error. */
static void both_ways_agree(const char *from, const char *to)
{
	const char *at = strstr(good, from);
	struct manifest *fast = NULL, *slow = NULL;
	struct err e1 = {0}, e2 = {0};
	char *json, *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	int r1, r2;

	cr_assert_not_null(at, "fixture lacks %s", from);
	json = malloc(strlen(good) + strlen(to) + 1);
	memcpy(json, good, (size_t)(at - good));
	strcpy(json + (at - good), to);
	strcat(json, at + strlen(from));
	r1 = manifest_parse(json, strlen(json), &fast, &e1);
	r2 = manifest_parse_json_c(json, strlen(json), &slow, &e2);
	cr_assert_eq(r1, r2, "%s -> %s: %d (%s) against json-c's %d (%s)", from, to, r1, e1.msg, r2,
	             e2.msg);
	if (r1 == 0) {
		cr_assert_eq(manifest_to_json(fast, &a, &la, &e1), 0);
		cr_assert_eq(manifest_to_json(slow, &b, &lb, &e2), 0);
		cr_assert(la == lb && !memcmp(a, b, la), "%s -> %s: read differently", from, to);
	} else {
		cr_assert_str_eq(e1.msg, e2.msg, "%s -> %s", from, to);
	}
	free(a);
	free(b);
	free(json);
	manifest_free(fast);
	manifest_free(slow);
}

Test(manifest, the_canonical_fast_path_reads_what_json_c_reads)
{
	static const char *const edits[][2] = {
	    {"\"format\"", "\"format\""}, /* unchanged: every element canonical */
	    {"\"size\": 12,", "\"size\": 012,"},
	    {"\"size\": 12,", "\"size\": 0,"},
	    {"\"size\": 12,", "\"size\": 9007199254740991,"},
	    {"\"size\": 12,", "\"size\": 9007199254740992,"},
	    {"\"size\": 12,", "\"size\": 99999999999999999999999,"},
	    {"\"size\": 12,", "\"size\": 1.0,"},
	    {"\"size\": 12,", "\"size\": -1,"},
	    {"\"size\": 12,", "\"size\": 1e3,"},
	    {"\"size\": 12,", "\"size\": \"12\","},
	    {"\"sha256\": \"e3b0", "\"sha256\": \"E3B0"},
	    {"\"sha256\": \"e3b0", "\"sha256\": \"g3b0"},
	    {"\"sha256\": \"e3b0c4", "\"sha256\": \"3b0c4"},
	    {"b855\"}", "b8551\"}"},
	    {"{\"path\": \".next\", ", "{\"path\":\".next\", "},
	    {"{\"path\": \".next\", ", "{ \"path\": \".next\", "},
	    {"{\"path\": \".next\", ", "{\"path\": \"\\u002enext\", "},
	    {"{\"path\": \".next\", ", "{\"path\": \".n\\u0000ext\", "},
	    {"{\"path\": \".next\", ", "{\"path\": \".n\text\", "},
	    {"{\"path\": \".next\", ", "{\"path\": \".n\\\"ext\", "},
	    {"\"path\": \"agent\", \"type\": \"dir\"",
	     "\"path\": \"ag\xc3\xa9nt\", \"type\": \"dir\""},
	    {"\"path\": \"agent\", \"type\": \"dir\"", "\"path\": \"ag\xc3nt\", \"type\": \"dir\""},
	    {"\"type\": \"dir\", \"mode\": \"0755\"},\n    {\"path\": \".next/",
	     "\"mode\": \"0755\", \"type\": \"dir\"},\n    {\"path\": \".next/"},
	    {"\"type\": \"dir\", \"mode\": \"0755\"}", "\"type\": \"dir\", \"mode\": \"0600\"}"},
	    {"\"type\": \"dir\", \"mode\": \"0755\"}", "\"type\": \"dir\", \"mode\": \"0644\"}"},
	    {"\"type\": \"dir\", \"mode\": \"0755\"}", "\"type\": \"dir\", \"mode\": \"0755\" }"},
	    {"\"type\": \"dir\", \"mode\": \"0755\"}",
	     "\"type\": \"dir\", \"mode\": \"0755\", \"size\": 1}"},
	    {"\"type\": \"dir\", \"mode\": \"0755\"}", "\"type\": \"fifo\", \"mode\": \"0755\"}"},
	    {"\"target\": \"../.next/standalone\"", "\"target\": \"..\\/.next/standalone\""},
	    {"\"target\": \"../.next/standalone\"",
	     "\"target\": \"../.next/standalone\", \"size\": 1"},
	    {"\"target\": \"../.next/standalone\"", "\"target\": \"../../outside\""},
	    {"\"mode\": \"0644\", \"size\": 12",
	     "\"mode\": \"0644\", \"size\": 12, \"target\": \"x\""},
	    {"\"0755\"},\n    {\"path\": \".next/", "\"0755\"} ,\n    {\"path\": \".next/"},
	    {"\"0755\"},\n    {\"path\": \".next/", "\"0755\"},{\"path\": \".next/"},
	    {"\"0755\"},\n    {\"path\": \".next/", "\"0755\"}\n    {\"path\": \".next/"},
	    {"\"files\": [\n", "\"files\": [\n    \"x\",\n"},
	};

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		both_ways_agree(edits[i][0], edits[i][1]);
}
