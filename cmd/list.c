/* slipway list [--json]: the installed releases, oldest install first. */
#include "cmd/cmd.h"
#include "cmd/store_cmd.h"
#include "release/base/error.h"
#include "release/store/store_list.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: slipway list [--root DIR] [--json]\n"
    "\n"
    "Lists the installed releases in install order: version, serial, commit, install\n"
    "time, and which one is current, the rollback target, marked bad, or was installed\n"
    "as an allowed downgrade.\n"
    "\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "      --json       one JSON object on stdout (specs/store.md \"list --json\")\n"
    "  -h, --help       show this help\n";

static int print_json(struct release_record *r, size_t n, const char *current, const char *target)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(root, "current", current ? json_object_new_string(current) : NULL);
	json_object_object_add(root, "rollback_target",
	                       target ? json_object_new_string(target) : NULL);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "version", json_object_new_string(r[i].version));
		json_object_object_add(o, "serial", json_object_new_int64((int64_t)r[i].serial));
		json_object_object_add(o, "commit", json_object_new_string(r[i].commit));
		json_object_object_add(o, "installed_at",
		                       json_object_new_string(r[i].installed_at));
		json_object_object_add(
		    o, "current",
		    json_object_new_boolean(current && !strcmp(current, r[i].version)));
		json_object_object_add(
		    o, "rollback_target",
		    json_object_new_boolean(target && !strcmp(target, r[i].version)));
		json_object_object_add(o, "bad", json_object_new_boolean(r[i].bad));
		json_object_object_add(o, "bad_reason", json_object_new_string(r[i].bad_reason));
		json_object_object_add(o, "downgrade", json_object_new_boolean(r[i].downgrade));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "releases", arr);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	                                              JSON_C_TO_STRING_SPACED |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return EXIT_OK;
}

static void print_text(struct release_record *r, size_t n, const char *current, const char *target)
{
	if (n == 0) {
		printf("no releases installed\n");
		return;
	}
	printf("%-24s %8s  %-12s %-20s  %s\n", "VERSION", "SERIAL", "COMMIT", "INSTALLED", "STATE");
	for (size_t i = 0; i < n; i++) {
		char state[128] = "";

		if (current && !strcmp(current, r[i].version))
			strcat(state, "current ");
		if (target && !strcmp(target, r[i].version))
			strcat(state, "rollback-target ");
		if (r[i].bad)
			strcat(state, "bad ");
		if (r[i].downgrade)
			strcat(state, "downgrade ");
		printf("%-24s %8llu  %-12.12s %-20s  %s\n", r[i].version,
		       (unsigned long long)r[i].serial, r[i].commit[0] ? r[i].commit : "-",
		       r[i].installed_at, state);
	}
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *root_opt = NULL;
	struct err err;
	char *current = NULL, *target = NULL;
	struct release_record *r = NULL;
	struct store st;
	size_t n = 0;
	int c, rc, json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root_opt = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error("list", "invalid option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error("list", "unexpected argument '%s'", argv[optind]);
	rc = store_cmd_open("list", root_opt, false, &st);
	if (rc != EXIT_OK)
		return rc;
	if (store_list_releases(&st, &r, &n, &err) < 0 ||
	    store_current_version(&st, &current, &err) < 0 ||
	    store_rollback_target(&st, &target, &err) < 0) {
		rc = cmd_error("list", &err);
		goto out;
	}
	if (json)
		print_json(r, n, current, target);
	else
		print_text(r, n, current, target);
out:
	store_list_free(r, n);
	free(current);
	free(target);
	store_close(&st);
	return rc;
}
