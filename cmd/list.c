/* slipway list [--json]: the installed releases, oldest install first. */
#include "cmd/cmd.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/store/store_list.h"

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

static void print_json(const struct store_overview *v)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	const char *current = v->current, *target = v->rollback_target;

	json_object_object_add(root, "current", current ? json_object_new_string(current) : NULL);
	json_object_object_add(root, "rollback_target",
	                       target ? json_object_new_string(target) : NULL);
	for (size_t i = 0; i < v->n; i++) {
		const struct release_record *r = &v->releases[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "version", json_object_new_string(r->version));
		json_object_object_add(o, "serial", json_object_new_int64((int64_t)r->serial));
		json_object_object_add(o, "commit", json_object_new_string(r->commit));
		json_object_object_add(o, "installed_at", json_object_new_string(r->installed_at));
		json_object_object_add(
		    o, "current", json_object_new_boolean(current && !strcmp(current, r->version)));
		json_object_object_add(
		    o, "rollback_target",
		    json_object_new_boolean(target && !strcmp(target, r->version)));
		json_object_object_add(o, "bad", json_object_new_boolean(r->bad));
		json_object_object_add(o, "bad_reason", json_object_new_string(r->bad_reason));
		json_object_object_add(o, "downgrade", json_object_new_boolean(r->downgrade));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "releases", arr);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	                                              JSON_C_TO_STRING_SPACED |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_text(const struct store_overview *v)
{
	if (v->n == 0) {
		printf("no releases installed\n");
		return;
	}
	printf("%-24s %8s  %-12s %-20s  %s\n", "VERSION", "SERIAL", "COMMIT", "INSTALLED", "STATE");
	for (size_t i = 0; i < v->n; i++) {
		const struct release_record *r = &v->releases[i];
		char state[128] = "";

		if (v->current && !strcmp(v->current, r->version))
			strcat(state, "current ");
		if (v->rollback_target && !strcmp(v->rollback_target, r->version))
			strcat(state, "rollback-target ");
		if (r->bad)
			strcat(state, "bad ");
		if (r->downgrade)
			strcat(state, "downgrade ");
		printf("%-24s %8llu  %-12.12s %-20s  %s\n", r->version,
		       (unsigned long long)r->serial, r->commit[0] ? r->commit : "-",
		       r->installed_at, state);
	}
}

int cmd_list(int argc, char **argv)
{
	struct cmd_parse p = {.cmd = "list", .usage = usage_text, .common = CMD_ROOT | CMD_JSON};
	struct store_overview v;
	struct store st;
	struct err err;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	rc = cmd_store_open("list", p.root, false, &st);
	if (rc != EXIT_OK)
		return rc;
	if (store_overview_load(&st, &v, &err) < 0)
		rc = cmd_error("list", &err);
	else if (p.json)
		print_json(&v);
	else
		print_text(&v);
	store_overview_release(&v);
	store_close(&st);
	return rc;
}
