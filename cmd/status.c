/* slipway status [--json]: the store at a glance. Never prints a secret's value: of
 * shared/env it reads only the names left of '='. */
#include "cmd/cmd.h"
#include "cmd/run_status.h"
#include "cmd/store_cmd.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/minisign.h"
#include "release/store/store_list.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
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
    "last exit). Secret values are never read into the output, only their names.\n"
    "\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "      --json       one JSON object on stdout (specs/store.md \"status --json\")\n"
    "  -h, --help       show this help\n";

/* The names defined in shared/env (KEY=VALUE lines; blank lines and '#' comments skipped). */
static json_object *env_names(struct store *st, struct stat *sb, bool *present)
{
	json_object *names = json_object_new_array();
	struct err err;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;

	*present = fstatat(st->rootfd, STORE_ENV, sb, AT_SYMLINK_NOFOLLOW) == 0;
	if (!*present || read_file_at(st->rootfd, STORE_ENV, 1 << 20, 1, &text, &len, &err) < 0)
		return names;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		line += strspn(line, " \t");
		if (line[0] == '#' || !eq || eq == line)
			continue;
		if (!strncmp(line, "export ", 7))
			line += 7;
		json_object_array_add(names, json_object_new_string_len(line, (int)(eq - line)));
	}
	/* The values were in `text`: wipe before freeing. */
	memset(text, 0, len);
	free(text);
	return names;
}

static bool has_name(json_object *names, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name))
			return true;
	return false;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int collect(struct store *st, json_object *o, struct err *err)
{
	struct release_record *r = NULL;
	struct manifest *m = NULL;
	char *current = NULL, *target = NULL, id[17] = "";
	json_object *names, *missing = json_object_new_array();
	struct minisign_pubkey pk;
	struct stat sb;
	size_t n = 0;
	bool env_present;
	int rc = -1;

	if (store_list_releases(st, &r, &n, err) < 0 ||
	    store_current_version(st, &current, err) < 0 ||
	    store_rollback_target(st, &target, err) < 0)
		goto out;
	if (store_pinned_key(st, &pk, err) == 0)
		minisign_keyid_hex(pk.keyid, id);
	json_object_object_add(o, "root", json_object_new_string(st->root));
	json_object_object_add(o, "trusted_key", json_object_new_string(id));
	json_object_object_add(o, "current", str_or_null(current));
	json_object_object_add(o, "rollback_target", str_or_null(target));
	json_object_object_add(o, "releases", json_object_new_int64((int64_t)n));
	for (size_t i = 0; i < n; i++)
		if (current && !strcmp(r[i].version, current)) {
			json_object_object_add(o, "app", json_object_new_string(r[i].app));
			json_object_object_add(o, "serial",
			                       json_object_new_int64((int64_t)r[i].serial));
			json_object_object_add(o, "commit", json_object_new_string(r[i].commit));
			json_object_object_add(o, "installed_at",
			                       json_object_new_string(r[i].installed_at));
			json_object_object_add(o, "bad", json_object_new_boolean(r[i].bad));
		}
	names = env_names(st, &sb, &env_present);
	json_object_object_add(o, "env_file", json_object_new_string(STORE_ENV));
	json_object_object_add(o, "env_present", json_object_new_boolean(env_present));
	if (env_present) {
		char mode[8];

		snprintf(mode, sizeof(mode), "%04o", (unsigned)(sb.st_mode & 07777));
		json_object_object_add(o, "env_mode", json_object_new_string(mode));
	}
	if (current && store_read_manifest(st, current, &m, err) == 0)
		for (size_t i = 0; i < m->n_secrets_required; i++)
			if (!has_name(names, m->secrets_required[i]))
				json_object_array_add(
				    missing, json_object_new_string(m->secrets_required[i]));
	json_object_object_add(o, "env_names", names);
	json_object_object_add(o, "missing_secrets", missing);
	missing = NULL;
	json_object_object_add(o, "supervisor", run_status_json(st->root));
	rc = 0;
out:
	json_object_put(missing);
	manifest_free(m);
	store_list_free(r, n);
	free(current);
	free(target);
	return rc;
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
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *root_opt = NULL;
	struct err err;
	json_object *o;
	struct store st;
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
			return cmd_usage_error("status", "invalid option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error("status", "unexpected argument '%s'", argv[optind]);
	rc = store_cmd_open("status", root_opt, false, &st);
	if (rc != EXIT_OK)
		return rc;
	o = json_object_new_object();
	if (collect(&st, o, &err) < 0) {
		rc = cmd_error("status", &err);
	} else if (json) {
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
