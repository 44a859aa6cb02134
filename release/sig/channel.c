#include "release/sig/channel.h"

#include "release/base/clock.h"
#include "release/base/json_strict.h"
#include "release/base/textbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_fields[] = {"app", "expires", "latest", "serial"};
/* The required fields first, then the optional ones. */
static const char *const latest_fields[] = {"archive", "manifest_sha256", "seek_table_size",
                                            "serial",  "sha256",          "size",
                                            "version", "patches",         "older_patches"};
static const char *const patches_fields[] = {"file", "from", "sha256", "size"};
#define N_LATEST_REQUIRED 7

/* Letters, digits and ._+~- : no escape in JSON, nothing a path or a shell reads. */
static bool safe_name_max(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._+~-", *p)))
			return false;
	return true;
}

static bool safe_name(const char *s)
{
	return safe_name_max(s, CHANNEL_NAME_MAX);
}

static bool hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* One patch set, `what` naming it (latest.patches, latest.older_patches[i]). */
static int check_patches(const struct channel_patches *p, const char *what, struct err *err)
{
	if (!safe_name(p->from))
		return fail(err, "channel index: %s.from is not 1 to %d of [A-Za-z0-9._+~-]", what,
		            CHANNEL_NAME_MAX);
	if (!safe_name_max(p->file, CHANNEL_FILE_MAX) || p->file[0] == '.')
		return fail(err,
		            "channel index: %s.file is not one file name of 1 to %d of "
		            "[A-Za-z0-9._+~-] (not starting with a dot)",
		            what, CHANNEL_FILE_MAX);
	if (!hex64(p->sha256))
		return fail(err, "channel index: a digest is not 64 lowercase hex digits");
	if (p->size > KEYRING_NUMBER_MAX)
		return fail(err, "channel index: a number is above %llu", KEYRING_NUMBER_MAX);
	return 0;
}

/* Every patch set on its own, then against the ones before it: two sets against one release,
 * one against the latest itself, or two sharing a file name would leave a host unsure which
 * it fetches. */
static int check_patch_sets(const struct channel_latest *l, struct err *err)
{
	const struct channel_patches *seen[1 + CHANNEL_OLDER_MAX];
	size_t n = 0;
	char what[48];

	if (l->n_older > CHANNEL_OLDER_MAX)
		return fail(err, "channel index: latest.older_patches has more than %d entries",
		            CHANNEL_OLDER_MAX);
	if (l->has_patches) {
		if (check_patches(&l->patches, "latest.patches", err) < 0)
			return -1;
		seen[n++] = &l->patches;
	}
	for (size_t i = 0; i < l->n_older; i++) {
		snprintf(what, sizeof(what), "latest.older_patches[%zu]", i);
		if (check_patches(&l->older[i], what, err) < 0)
			return -1;
		seen[n++] = &l->older[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(seen[i]->from, l->version))
			return fail(err,
			            "channel index: a patch set is made against latest.version");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(seen[i]->from, seen[j]->from) ||
			    !strcmp(seen[i]->file, seen[j]->file))
				return fail(
				    err, "channel index: two patch sets name release %s or file %s",
				    seen[i]->from, seen[i]->file);
	}
	return 0;
}

size_t channel_patch_sets(const struct channel_latest *l)
{
	return (l->has_patches ? 1 : 0) +
	       (l->n_older < CHANNEL_OLDER_MAX ? l->n_older : CHANNEL_OLDER_MAX);
}

const struct channel_patches *channel_patch_set(const struct channel_latest *l, size_t i)
{
	return l->has_patches ? (i == 0 ? &l->patches : &l->older[i - 1]) : &l->older[i];
}

const struct channel_patches *channel_patches_from(const struct channel_latest *l, const char *from)
{
	for (size_t i = 0; i < channel_patch_sets(l); i++)
		if (!strcmp(channel_patch_set(l, i)->from, from))
			return channel_patch_set(l, i);
	return NULL;
}

static int check(const struct channel_index *ci, struct err *err)
{
	const struct channel_latest *l = &ci->latest;

	if (!safe_name(ci->app))
		return fail(err, "channel index: app is not 1 to %d of [A-Za-z0-9._+~-]",
		            CHANNEL_NAME_MAX);
	if (!safe_name(l->version))
		return fail(err, "channel index: latest.version is not 1 to %d of [A-Za-z0-9._+~-]",
		            CHANNEL_NAME_MAX);
	if (!safe_name(l->archive) || l->archive[0] == '.')
		return fail(err,
		            "channel index: latest.archive is not one file name of [A-Za-z0-9._+~-]"
		            " (not starting with a dot)");
	if (!hex64(l->sha256) || !hex64(l->manifest_sha256))
		return fail(err, "channel index: a digest is not 64 lowercase hex digits");
	if (ci->serial > KEYRING_NUMBER_MAX || l->serial > KEYRING_NUMBER_MAX ||
	    l->size > KEYRING_NUMBER_MAX || l->seek_table_size > KEYRING_NUMBER_MAX)
		return fail(err, "channel index: a number is above %llu", KEYRING_NUMBER_MAX);
	if (l->seek_table_size >= l->size)
		return fail(err, "channel index: latest.seek_table_size is not below latest.size");
	return check_patch_sets(l, err);
}

static void patches_json(struct textbuf *b, const struct channel_patches *p)
{
	textbuf_printf(b, "{\"file\":\"%s\",\"from\":\"%s\",\"sha256\":\"%s\",\"size\":%llu}",
	               p->file, p->from, p->sha256, (unsigned long long)p->size);
}

int channel_payload(const struct channel_index *ci, char **out, size_t *len, struct err *err)
{
	const struct channel_latest *l = &ci->latest;
	char expires[CLOCK_ISO_SIZE];
	struct textbuf b = {0};

	*out = NULL;
	if (check(ci, err) < 0)
		return -1;
	if (!clock_iso_utc(ci->expires, expires) || ci->expires < 0)
		return fail(err, "channel index: expiry outside the years 1970-9999");
	textbuf_printf(&b,
	               "{\"app\":\"%s\",\"expires\":\"%s\",\"latest\":{\"archive\":\"%s\","
	               "\"manifest_sha256\":\"%s\",",
	               ci->app, expires, l->archive, l->manifest_sha256);
	if (l->n_older) {
		textbuf_printf(&b, "\"older_patches\":[");
		for (size_t i = 0; i < l->n_older; i++) {
			textbuf_printf(&b, "%s", i ? "," : "");
			patches_json(&b, &l->older[i]);
		}
		textbuf_printf(&b, "],");
	}
	if (l->has_patches) {
		textbuf_printf(&b, "\"patches\":");
		patches_json(&b, &l->patches);
		textbuf_printf(&b, ",");
	}
	textbuf_printf(&b,
	               "\"seek_table_size\":%llu,\"serial\":%llu,\"sha256\":\"%s\",\"size\":%llu,"
	               "\"version\":\"%s\"},\"serial\":%llu}",
	               (unsigned long long)l->seek_table_size, (unsigned long long)l->serial,
	               l->sha256, (unsigned long long)l->size, l->version,
	               (unsigned long long)ci->serial);
	if (b.oom) {
		free(b.p);
		return fail_oom(err);
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* o has fields[0..required) and no field outside fields[0..n). */
static int known_fields(json_object *o, const char *what, const char *const *fields, size_t n,
                        size_t required, struct err *err)
{
	size_t seen;
	const char *unknown;

	if (!json_object_is_type(o, json_type_object))
		return fail(err, "channel index: %s is not an object", what);
	if ((unknown = json_unknown_field(o, fields, n, required, &seen)))
		return fail(err, "channel index: unknown field \"%.64s\" in %s", unknown, what);
	if (seen != required)
		return fail(err, "channel index: a field of %s is missing", what);
	return 0;
}

static int exact_fields(json_object *o, const char *what, const char *const *fields, size_t n,
                        struct err *err)
{
	return known_fields(o, what, fields, n, n, err);
}

static int get_string(json_object *o, const char *key, char *out, size_t size, struct err *err)
{
	json_object *v;

	json_object_object_get_ex(o, key, &v);
	if (!json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= size)
		return fail(err, "channel index: %s is not a string of at most %zu bytes", key,
		            size - 1);
	memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return 0;
}

/* One patch set object. */
static int parse_patch_set(json_object *po, const char *what, struct channel_patches *p,
                           struct err *err)
{
	if (exact_fields(po, what, patches_fields, sizeof(patches_fields) / sizeof(*patches_fields),
	                 err) < 0 ||
	    get_string(po, "file", p->file, sizeof(p->file), err) < 0 ||
	    get_string(po, "from", p->from, sizeof(p->from), err) < 0 ||
	    get_string(po, "sha256", p->sha256, sizeof(p->sha256), err) < 0 ||
	    keyring_get_number(po, "size", "channel index", &p->size, err) < 0)
		return -1;
	return 0;
}

/* latest.patches and latest.older_patches, when the index has them. */
static int parse_patches(json_object *lo, struct channel_latest *l, struct err *err)
{
	json_object *po, *ao;
	char what[48];
	size_t n;

	if (json_object_object_get_ex(lo, "patches", &po)) {
		l->has_patches = true;
		if (parse_patch_set(po, "latest.patches", &l->patches, err) < 0)
			return -1;
	}
	if (!json_object_object_get_ex(lo, "older_patches", &ao))
		return 0;
	if (!json_object_is_type(ao, json_type_array) || (n = json_object_array_length(ao)) < 1 ||
	    n > CHANNEL_OLDER_MAX)
		return fail(err, "channel index: latest.older_patches is not an array of 1 to %d",
		            CHANNEL_OLDER_MAX);
	for (size_t i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "latest.older_patches[%zu]", i);
		if (parse_patch_set(json_object_array_get_idx(ao, i), what, &l->older[i], err) < 0)
			return -1;
	}
	l->n_older = n;
	return 0;
}

int channel_parse(const uint8_t *payload, size_t len, struct channel_index *ci, struct err *err)
{
	struct channel_latest *l = &ci->latest;
	json_object *o = NULL, *lo;
	char expires[CLOCK_ISO_SIZE + 1], *canon = NULL;
	size_t canon_len = 0;
	int rc = -1;

	memset(ci, 0, sizeof(*ci));
	if (json_strict_parse((const char *)payload, len, "channel index", &o, err) < 0)
		return -1;
	if (exact_fields(o, "the index", top_fields, sizeof(top_fields) / sizeof(*top_fields),
	                 err) < 0)
		goto out;
	json_object_object_get_ex(o, "latest", &lo);
	if (known_fields(lo, "latest", latest_fields,
	                 sizeof(latest_fields) / sizeof(*latest_fields), N_LATEST_REQUIRED,
	                 err) < 0 ||
	    parse_patches(lo, l, err) < 0)
		goto out;
	if (get_string(o, "app", ci->app, sizeof(ci->app), err) < 0 ||
	    keyring_get_number(o, "serial", "channel index", &ci->serial, err) < 0 ||
	    get_string(o, "expires", expires, sizeof(expires), err) < 0 ||
	    get_string(lo, "version", l->version, sizeof(l->version), err) < 0 ||
	    keyring_get_number(lo, "serial", "channel index", &l->serial, err) < 0 ||
	    get_string(lo, "archive", l->archive, sizeof(l->archive), err) < 0 ||
	    keyring_get_number(lo, "size", "channel index", &l->size, err) < 0 ||
	    get_string(lo, "sha256", l->sha256, sizeof(l->sha256), err) < 0 ||
	    get_string(lo, "manifest_sha256", l->manifest_sha256, sizeof(l->manifest_sha256), err) <
	        0 ||
	    keyring_get_number(lo, "seek_table_size", "channel index", &l->seek_table_size, err) <
	        0)
		goto out;
	if (!clock_parse_iso_utc(expires, &ci->expires)) {
		fail(err, "channel index: expires is not a UTC time YYYY-MM-DDTHH:MM:SSZ");
		goto out;
	}
	if (channel_payload(ci, &canon, &canon_len, err) < 0)
		goto out;
	if (canon_len != len || memcmp(canon, payload, len)) {
		fail(err, "channel index: not in canonical form (specs/trust.md)");
		goto out;
	}
	rc = 0;
out:
	free(canon);
	json_object_put(o);
	return rc;
}

int channel_verify(const char *text, size_t len, const struct keyring *kr, time_t now,
                   struct channel_index *ci, struct err *err)
{
	struct envelope e = {0};
	char when[CLOCK_ISO_SIZE];
	int rc = -1;

	if (len > CHANNEL_INDEX_MAX)
		return fail(err, "channel index: larger than %d bytes", CHANNEL_INDEX_MAX);
	if (len && text[len - 1] == '\n')
		len--;
	if (envelope_parse(text, len, "channel index", &e, err) < 0)
		goto out;
	if (strcmp(e.type, CHANNEL_TYPE)) {
		fail(err, "channel index: payloadType is not " CHANNEL_TYPE);
		goto out;
	}
	if (envelope_count(&e, kr->release_keys, kr->n_release) < 1) {
		fail(err,
		     "channel index: not signed by a release key the host trusts (keyring "
		     "version %llu)",
		     (unsigned long long)kr->version);
		goto out;
	}
	if (channel_parse(e.payload, e.payload_len, ci, err) < 0)
		goto out;
	if (now >= ci->expires) {
		clock_iso_utc(ci->expires, when);
		fail(err, "channel index: expired at %s (serial %llu)", when,
		     (unsigned long long)ci->serial);
		goto out;
	}
	rc = 0;
out:
	envelope_release(&e);
	return rc;
}
