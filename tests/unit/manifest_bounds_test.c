#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/manifest/manifest_bounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A manifest with every kind of container; %s is replaced by test text (a top-level member
 * placed before "files", or nothing). */
static const char *shape =
    "{\"format\": 1, \"app\": \"a\", \"version\": \"1\", \"serial\": 1, \"commit\": \"\", "
    "\"dirty\": false, \"build_time\": \"2026-11-25T06:00:00Z\", \"slipway_version\": \"0\", "
    "\"secrets\": {\"required\": [\"A\"], \"optional\": []}, "
    "\"services\": [{\"name\": \"w\", \"argv\": [\"x\"], \"cwd\": \"\", \"env\": {\"K\": \"v\"}, "
    "\"port\": 0, \"ready\": \"none\", \"ready_timeout_ms\": 0, \"stop_timeout_ms\": 0}], "
    "\"files\": [ {\"path\": \"d\", \"type\": \"dir\", \"mode\": \"0755\"} ,\n"
    "{\"path\": \"d/f\", \"type\": \"file\", \"mode\": \"0644\", \"size\": 0, \"sha256\": "
    "\"\"}\n]}";

static char *with(const char *from, const char *to)
{
	const char *at = strstr(shape, from);
	char *s;

	cr_assert_not_null(at, "shape lacks %s", from);
	s = malloc(strlen(shape) + strlen(to) + 1);
	memcpy(s, shape, (size_t)(at - shape));
	strcpy(s + (at - shape), to);
	strcat(s, at + strlen(from));
	return s;
}

static void refused(const char *json, size_t len, const char *why)
{
	struct manifest_bounds b;
	struct err err = {0};

	cr_assert_eq(manifest_bounds_check(json, len, &b, &err), -1, "accepted, expected '%s'",
	             why);
	cr_assert_not_null(strstr(err.msg, why), "error '%s' lacks '%s'", err.msg, why);
}

static void refused_with(const char *from, const char *to, const char *why)
{
	char *s = with(from, to);

	refused(s, strlen(s), why);
	free(s);
}

Test(manifest_bounds, accepts_the_format_and_locates_files)
{
	struct manifest_bounds b;
	struct err err = {0};
	const char *open = strstr(shape, "\"files\": [") + 9;

	cr_assert_eq(manifest_bounds_check(shape, strlen(shape), &b, &err), 0, "%s", err.msg);
	cr_assert_eq(b.files_open, (size_t)(open - shape));
	cr_assert_eq(shape[b.files_close], ']');
	cr_assert_eq(b.files_close, strlen(shape) - 2);
	cr_assert_eq(b.n_files, 2);
}

Test(manifest_bounds, refuses_unknown_missing_repeated_and_escaped_keys)
{
	refused_with("\"dirty\"", "\"extra\": [[[]]], \"dirty\"",
	             "manifest: unknown key \"extra\"");
	refused_with("\"cwd\": \"\", ", "", "services[0]: missing key \"cwd\"");
	refused_with("\"mode\": \"0755\"}", "\"mode\": \"0755\", \"owner\": 0}",
	             "files[0]: unknown key \"owner\"");
	refused_with("\"optional\": []", "\"optional\": [], \"x\": []",
	             "secrets: unknown key \"x\"");
	refused_with("\"serial\": 1,", "\"serial\": 1, \"serial\": 2,",
	             "manifest: duplicate key \"serial\"");
	refused_with("{\"K\": \"v\"}", "{\"K\": \"v\", \"K\": \"w\"}", "duplicate key \"K\"");
	refused_with("\"app\"", "\"\\u0061pp\"", "backslash");
	refused_with("{\"path\": \"d\", ", "{", "files[0]: missing key \"path\"");
}

Test(manifest_bounds, refuses_a_container_where_a_value_belongs)
{
	refused_with("\"app\": \"a\"", "\"app\": [[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]",
	             "manifest: \"app\" must be a string");
	refused_with("\"dirty\": false", "\"dirty\": {}", "\"dirty\" must be true or false");
	refused_with("\"argv\": [\"x\"]", "\"argv\": [\"x\", [\"y\"]]",
	             "services[0]: \"argv\"[1] must be a string");
	refused_with("{\"K\": \"v\"}", "{\"K\": {\"v\": 1}}", "\"K\" must be a string");
	refused_with("\"services\": [{", "\"services\": [[], {", "services[0]: must be an object");
	refused_with("{\"path\": \"d\", ", "{\"path\": {}, ",
	             "files[0]: \"path\" must be a string");
	refused_with("\"secrets\": {", "\"secrets\": [], \"s\": {",
	             "\"secrets\" must be an object");
}

/* Counts are checked as elements arrive: the refusal comes at the first one too many. */
Test(manifest_bounds, refuses_counts_beyond_the_limits)
{
	char *list = malloc(300 * 16 + 16);
	size_t n = 0;

	list[n++] = '{';
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(list + n, "%s\"K%d\": \"\"", i ? ", " : "", i);
	strcpy(list + n, "}");
	refused_with("{\"K\": \"v\"}", list, "\"env\": more than 256 keys");
	n = 0;
	list[n++] = '[';
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(list + n, "%s\"A\"", i ? ", " : "");
	strcpy(list + n, "]");
	refused_with("[\"A\"]", list, "secrets: \"required\" has more than 256 elements");
	refused_with("[\"x\"]", list, "services[0]: \"argv\" has more than 256 elements");
	free(list);
	{
		/* 33 copies of the service in `shape`. */
		const char *from = strstr(shape, "\"services\": ") + 12;
		size_t len = (size_t)(strstr(from, ", \"files\"") - from);
		char *old = strndup(from, len), *arr = malloc(33 * len + 8);

		strcpy(arr, "[");
		for (int i = 0; i < 33; i++) {
			strcat(arr, i ? ", " : "");
			strncat(arr, old + 1, len - 2);
		}
		strcat(arr, "]");
		refused_with(old, arr, "manifest: \"services\" has more than 32 elements");
		free(arr);
		free(old);
	}
}

Test(manifest_bounds, refuses_more_files_than_the_format_allows)
{
	size_t cap = (size_t)(MANIFEST_MAX_FILES + 1) * 3 + strlen(shape);
	char *s = malloc(cap), *files = strstr(shape, "\"files\": [") + 10;
	size_t n = (size_t)(files - shape);

	memcpy(s, shape, n);
	for (long i = 0; i <= MANIFEST_MAX_FILES; i++) {
		memcpy(s + n, i ? ",{}" : "{}", i ? 3 : 2);
		n += i ? 3 : 2;
	}
	memcpy(s + n, "]}", 2);
	refused(s, n + 2, "files[0]: missing key \"path\"");
	free(s);
}

/* An unknown key or a misplaced container is refused where it starts: nothing after it is
 * read, so a document that is cut short (or enormous) behind it gives the same answer. */
Test(manifest_bounds, never_walks_into_what_it_refuses)
{
	refused("{\"zzz\": [[[[[[[[[[[[[[[[", 22, "unknown key \"zzz\"");
	refused("{\"format\": 1, \"app\": [[[[[[[[[[[[[", 33, "\"app\" must be a string");
}

Test(manifest_bounds, refuses_broken_json)
{
	refused("", 0, "invalid JSON");
	refused("[]", 2, "must be a JSON object");
	refused("{\"format\": 1", 12, "invalid JSON at byte 12: unexpected end of input");
	refused("{\"dirty\": tru}", 14, "invalid literal");
	refused_with("\"a\"", "\"a", "invalid JSON");
	refused_with("\"app\": \"a\"", "\"app\": \"a\nb\"", "control character in a string");
	refused_with("\n]}", "\n]} {}", "trailing data");
	refused_with("\"serial\": 1,", "\"serial\": 1 ", "expected ',' or '}'");
}

/* Repeated keys at every depth: the top object, secrets, a service, its env, a file. */
Test(manifest_bounds, refuses_repeated_keys_at_every_depth)
{
	refused_with("\"required\": [\"A\"],", "\"required\": [\"A\"], \"required\": [],",
	             "secrets: duplicate key \"required\"");
	refused_with("\"name\": \"w\",", "\"name\": \"w\", \"name\": \"v\",",
	             "services[0]: duplicate key \"name\"");
	refused_with("\"type\": \"dir\",", "\"type\": \"dir\", \"type\": \"dir\",",
	             "files[0]: duplicate key \"type\"");
	refused_with("{\"K\": \"v\"}", "{\"K\": \"v\", \"L\": \"\", \"K\": \"v\"}",
	             "services[0]: \"env\": duplicate key \"K\"");
}
