/* slipway status [--json]: the store at a glance. Never prints a secret's value: of
 * shared/env it reads only the names left of '='. */
#include "cmd/cmd.h"
#include "cmd/support/run_status.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/minisign.h"
#include "release/store/store_list.h"
#include "runtime/envfile.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "usage: slipway status [--root DIR] [--json]\n"
    "\n"
    "Shows the store: the pinned key, the active release, the rollback target, the\n"
    "installed releases, which secrets the active release needs that shared/env\n"
    "lacks, and what `slipway run` reports about the services (state, pid, restarts,\n"
    "last exit; a crash loop, 3 failures within 60 s, loudly, with the last lines the\n"
    "failed process printed). Secret values are never read into the output, only\n"
    "their names.\n"
    "\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "      --json       one JSON object on stdout (specs/store.md \"status --json\")\n"
    "  -h, --help       show this help\n";

/* shared/env as `run` reads it (runtime/envfile.h): the names it defines, and the current
 * release's required secrets that `run` would call missing (absent or empty). The values are
 * read, because the one parser needs them, and wiped; they never reach the output. */
static void env_section(struct store *st, const struct manifest *m, json_object *o)
{
	json_object *names = json_object_new_array(), *missing = json_object_new_array();
	struct envfile env = {0};
	struct err err;
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	bool present = fstatat(st->rootfd, STORE_ENV, &sb, AT_SYMLINK_NOFOLLOW) == 0;

	json_object_object_add(o, "env_file", json_object_new_string(STORE_ENV));
	json_object_object_add(o, "env_present", json_object_new_boolean(present));
	if (present) {
		char mode[8];

		snprintf(mode, sizeof(mode), "%04o", (unsigned)(sb.st_mode & 07777));
		json_object_object_add(o, "env_mode", json_object_new_string(mode));
		if (read_file_at(st->rootfd, STORE_ENV, ENVFILE_MAX_BYTES, 1, &text, &len, &err) <
		        0 ||
		    envfile_parse(text, len, &env, &err) < 0)
			json_object_object_add(o, "env_error", json_object_new_string(err.msg));
		if (text) {
			OPENSSL_cleanse(text, len);
			free(text);
		}
	}
	for (size_t i = 0; i < env.n; i++)
		json_object_array_add(names, json_object_new_string(env.vars[i].key));
	for (size_t i = 0; m && i < m->n_secrets_required; i++)
		if (!envfile_has_value(&env, m->secrets_required[i]))
			json_object_array_add(missing,
			                      json_object_new_string(m->secrets_required[i]));
	envfile_release(&env);
	json_object_object_add(o, "env_names", names);
	json_object_object_add(o, "missing_secrets", missing);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int collect(struct store *st, json_object *o, struct err *err)
{
	const struct release_record *cur;
	struct store_overview v;
	struct manifest *m = NULL;
	struct minisign_pubkey pk;
	char id[17] = "";

	if (store_overview_load(st, &v, err) < 0) {
		store_overview_release(&v);
		return -1;
	}
	if (store_pinned_key(st, &pk, err) == 0)
		minisign_keyid_hex(pk.keyid, id);
	json_object_object_add(o, "root", json_object_new_string(st->root));
	json_object_object_add(o, "trusted_key", json_object_new_string(id));
	json_object_object_add(o, "current", str_or_null(v.current));
	json_object_object_add(o, "rollback_target", str_or_null(v.rollback_target));
	json_object_object_add(o, "releases", json_object_new_int64((int64_t)v.n));
	if ((cur = store_overview_current(&v))) {
		json_object_object_add(o, "app", json_object_new_string(cur->app));
		json_object_object_add(o, "serial", json_object_new_int64((int64_t)cur->serial));
		json_object_object_add(o, "commit", json_object_new_string(cur->commit));
		json_object_object_add(o, "installed_at",
		                       json_object_new_string(cur->installed_at));
		json_object_object_add(o, "bad", json_object_new_boolean(cur->bad));
	}
	if (v.current && store_read_manifest(st, v.current, &m, err) < 0)
		m = NULL;
	env_section(st, m, o);
	json_object_object_add(o, "supervisor", run_status_json(st->root));
	manifest_free(m);
	store_overview_release(&v);
	return 0;
}

static const char *get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static void print_text(json_object *o)
{
	json_object *missing, *names;
	const char *current = get(o, "current"), *target = get(o, "rollback_target");

	printf("store:        %s\n", get(o, "root"));
	printf("trusted key:  %s\n", get(o, "trusted_key"));
	if (current)
		printf("current:      %s (app %s, serial %s, commit %s, installed %s)%s\n", current,
		       get(o, "app"), get(o, "serial"), *get(o, "commit") ? get(o, "commit") : "-",
		       get(o, "installed_at"),
		       json_object_get_boolean(json_object_object_get(o, "bad")) ? " [bad]" : "");
	else
		printf("current:      none\n");
	printf("rollback to:  %s\n", target ? target : "none");
	printf("releases:     %s installed\n", get(o, "releases"));
	json_object_object_get_ex(o, "env_names", &names);
	json_object_object_get_ex(o, "missing_secrets", &missing);
	if (json_object_get_boolean(json_object_object_get(o, "env_present")))
		printf("secrets:      %s, mode %s, %zu names\n", get(o, "env_file"),
		       get(o, "env_mode"), json_object_array_length(names));
	else
		printf("secrets:      %s missing\n", get(o, "env_file"));
	if (get(o, "env_error"))
		printf("              unusable: %s\n", get(o, "env_error"));
	if (json_object_array_length(missing)) {
		printf("missing:     ");
		for (size_t i = 0; i < json_object_array_length(missing); i++)
			printf(" %s",
			       json_object_get_string(json_object_array_get_idx(missing, i)));
		printf("  (required by %s, absent from %s)\n", current, get(o, "env_file"));
	}
	run_status_print(json_object_object_get(o, "supervisor"));
}

int cmd_status(int argc, char **argv)
{
	struct cmd_parse p = {.cmd = "status", .usage = usage_text, .common = CMD_ROOT | CMD_JSON};
	struct err err;
	json_object *o;
	struct store st;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	rc = cmd_store_open("status", p.root, false, &st);
	if (rc != EXIT_OK)
		return rc;
	o = json_object_new_object();
	if (collect(&st, o, &err) < 0) {
		rc = cmd_error("status", &err);
	} else if (p.json) {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
		                                           JSON_C_TO_STRING_SPACED |
		                                           JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_text(o);
	}
	json_object_put(o);
	store_close(&st);
	return rc;
}
