/* Release records and store state: JSON files written atomically (specs/store.md). */
#include "release/store/store_meta.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"
#include "release/base/json_get.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#define META_MAX_BYTES (1u << 20)

static int load_json(struct store *st, const char *path, json_object **out, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	json_object *obj;
	struct json_tokener *tok;

	if (read_file_at(st->rootfd, path, META_MAX_BYTES, 1, &text, &len, err) < 0)
		return fail_recast(err, ERR_SYSTEM);
	tok = json_tokener_new();
	obj = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		json_tokener_free(tok);
		free(text);
		return fail_kind(err, ERR_SYSTEM,
		                 "%s: not a valid JSON object (damaged store file)", path);
	}
	json_tokener_free(tok);
	free(text);
	*out = obj;
	return 0;
}

static int save_json(struct store *st, const char *path, json_object *obj, struct err *err)
{
	const char *text =
	    json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                                            JSON_C_TO_STRING_NOSLASHESCAPE);
	char *line;
	int rc;

	if (!text || asprintf(&line, "%s\n", text) < 0)
		return fail_oom(err);
	rc = write_file_atomic(st->rootfd, path, line, strlen(line), 0644, 0, err);
	free(line);
	return rc;
}

int store_record_read(struct store *st, const char *version, struct release_record *r,
                      struct err *err)
{
	char path[256];
	json_object *obj = NULL;

	memset(r, 0, sizeof(*r));
	if (version_check(version, err) < 0)
		return -1;
	snprintf(path, sizeof(path), STORE_META "/%s.json", version);
	if (faccessat(st->rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return fail_kind(err, ERR_SYSTEM, "%s is not installed", version);
	if (load_json(st, path, &obj, err) < 0)
		return -1;
	r->version = json_get_strdup(obj, "version");
	r->app = json_get_strdup(obj, "app");
	r->commit = json_get_strdup(obj, "commit");
	r->archive_hash = json_get_strdup(obj, "archive_blake2b");
	r->installed_at = json_get_strdup(obj, "installed_at");
	r->bad_reason = json_get_strdup(obj, "bad_reason");
	r->downgrade = json_get_bool(obj, "downgrade");
	r->bad = json_get_bool(obj, "bad");
	if (!r->version || !r->app || !r->commit || !r->archive_hash || !r->installed_at ||
	    !r->bad_reason || json_get_u64(obj, "serial", &r->serial) < 0 ||
	    strcmp(r->version, version)) {
		json_object_put(obj);
		store_record_release(r);
		return fail_kind(err, ERR_SYSTEM, "%s: damaged release record", path);
	}
	json_object_put(obj);
	return 0;
}

int store_record_write(struct store *st, const struct release_record *r, struct err *err)
{
	char path[256];
	json_object *obj = json_object_new_object();
	int rc;

	if (!obj)
		return fail_oom(err);
	snprintf(path, sizeof(path), STORE_META "/%s.json", r->version);
	json_object_object_add(obj, "version", json_object_new_string(r->version));
	json_object_object_add(obj, "app", json_object_new_string(r->app));
	json_object_object_add(obj, "serial", json_object_new_int64((int64_t)r->serial));
	json_object_object_add(obj, "commit", json_object_new_string(r->commit));
	json_object_object_add(obj, "archive_blake2b", json_object_new_string(r->archive_hash));
	json_object_object_add(obj, "installed_at", json_object_new_string(r->installed_at));
	json_object_object_add(obj, "downgrade", json_object_new_boolean(r->downgrade));
	json_object_object_add(obj, "bad", json_object_new_boolean(r->bad));
	json_object_object_add(obj, "bad_reason",
	                       json_object_new_string(r->bad_reason ? r->bad_reason : ""));
	rc = save_json(st, path, obj, err);
	json_object_put(obj);
	return rc;
}

void store_record_release(struct release_record *r)
{
	free(r->version);
	free(r->app);
	free(r->commit);
	free(r->archive_hash);
	free(r->installed_at);
	free(r->bad_reason);
	memset(r, 0, sizeof(*r));
}

int store_state_read(struct store *st, struct store_state *s, struct err *err)
{
	json_object *obj = NULL, *v;
	bool bad;

	memset(s, 0, sizeof(*s));
	if (load_json(st, STORE_STATE, &obj, err) < 0)
		return -1;
	s->app = json_get_strdup(obj, "app");
	s->high_hash = json_get_strdup(obj, "high_blake2b");
	s->high_version = json_get_strdup(obj, "high_version");
	s->has_high = json_object_object_get_ex(obj, "high_serial", &v) && v;
	bad = s->has_high && json_get_u64(obj, "high_serial", &s->high_serial) < 0;
	json_object_put(obj);
	if (bad || !s->app || !s->high_hash || !s->high_version) {
		store_state_release(s);
		return fail_kind(err, ERR_SYSTEM, STORE_STATE ": damaged store state");
	}
	return 0;
}

int store_state_write(struct store *st, const struct store_state *s, struct err *err)
{
	json_object *obj = json_object_new_object();
	int rc;

	if (!obj)
		return fail_oom(err);
	json_object_object_add(obj, "format", json_object_new_int(1));
	json_object_object_add(obj, "app", json_object_new_string(s->app ? s->app : ""));
	json_object_object_add(obj, "high_serial",
	                       s->has_high ? json_object_new_int64((int64_t)s->high_serial) : NULL);
	json_object_object_add(obj, "high_blake2b",
	                       json_object_new_string(s->high_hash ? s->high_hash : ""));
	json_object_object_add(obj, "high_version",
	                       json_object_new_string(s->high_version ? s->high_version : ""));
	rc = save_json(st, STORE_STATE, obj, err);
	json_object_put(obj);
	return rc;
}

void store_state_release(struct store_state *s)
{
	free(s->app);
	free(s->high_hash);
	free(s->high_version);
	memset(s, 0, sizeof(*s));
}
