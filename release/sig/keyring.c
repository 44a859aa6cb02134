/* The keyring (specs/trust.md "Keyring"); see keyring.h. */
#include "release/sig/keyring.h"
#include "release/base/clock.h"
#include "release/base/fileio.h"
#include "release/base/json_strict.h"
#include "release/base/textbuf.h"
#include "release/sig/base64.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUBKEY_RAW 42 /* "Ed" + key id + public key */

void keyring_implicit(const struct minisign_pubkey *pk, struct keyring *kr)
{
	memset(kr, 0, sizeof(*kr));
	kr->threshold = 1;
	kr->keyring_keys[0] = *pk;
	kr->n_keyring = 1;
	kr->release_keys[0] = *pk;
	kr->n_release = 1;
}

static void key_b64(const struct minisign_pubkey *pk, char out[BASE64_LEN(PUBKEY_RAW) + 1])
{
	uint8_t raw[PUBKEY_RAW];

	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, pk->keyid, MINISIGN_KEYID_BYTES);
	memcpy(raw + 2 + MINISIGN_KEYID_BYTES, pk->pk, MINISIGN_PK_BYTES);
	base64_encode(raw, sizeof(raw), out);
}

static int key_from_b64(const char *s, struct minisign_pubkey *pk)
{
	uint8_t raw[PUBKEY_RAW];

	if (base64_decode_exact(s, strlen(s), raw, sizeof(raw)) < 0 || memcmp(raw, "Ed", 2))
		return -1;
	memcpy(pk->keyid, raw + 2, MINISIGN_KEYID_BYTES);
	memcpy(pk->pk, raw + 2 + MINISIGN_KEYID_BYTES, MINISIGN_PK_BYTES);
	return 0;
}

/* Key ids compared as minisign prints them, the order of every list in the payload. */
static int id_cmp(const uint8_t *a, const uint8_t *b)
{
	char x[17], y[17];

	minisign_keyid_hex(a, x);
	minisign_keyid_hex(b, y);
	return strcmp(x, y);
}

static int key_cmp(const void *a, const void *b)
{
	return id_cmp(((const struct minisign_pubkey *)a)->keyid,
	              ((const struct minisign_pubkey *)b)->keyid);
}

static int rev_cmp(const void *a, const void *b)
{
	return id_cmp(a, b);
}

static bool has_id(const struct minisign_pubkey *keys, size_t n, const uint8_t *id)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(keys[i].keyid, id, MINISIGN_KEYID_BYTES))
			return true;
	return false;
}

static bool is_revoked(const struct keyring *kr, const uint8_t *id)
{
	for (size_t i = 0; i < kr->n_revoked; i++)
		if (!memcmp(kr->revoked[i], id, MINISIGN_KEYID_BYTES))
			return true;
	return false;
}

bool keyring_policy_active(const struct keyring *kr)
{
	return kr->provenance.n_repositories || kr->provenance.n_ref_patterns ||
	       kr->provenance.n_builder_ids;
}

/* The one string rule of canonical JSON (specs/trust.md): printable ASCII, no '"' or '\\'. */
static bool plain_string(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void put_strings(struct textbuf *b, const char *name,
                        const char (*list)[KEYRING_POLICY_LEN + 1], size_t n, bool last)
{
	char sorted[KEYRING_POLICY_MAX][KEYRING_POLICY_LEN + 1];

	memcpy(sorted, list, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), str_cmp);
	textbuf_printf(b, "\"%s\":[", name);
	for (size_t i = 0; i < n; i++)
		textbuf_printf(b, "%s\"%s\"", i ? "," : "", sorted[i]);
	textbuf_puts(b, last ? "]" : "],");
}

static int check_strings(const char *name, const char (*list)[KEYRING_POLICY_LEN + 1], size_t n,
                         struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!list[i][0] || !plain_string(list[i]))
			return fail(err,
			            "provenance %s: \"%.64s\" is not printable ASCII without "
			            "'\"' or '\\'",
			            name, list[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(list[i], list[j]))
				return fail(err, "provenance %s lists \"%.64s\" twice", name,
				            list[i]);
	}
	return 0;
}

/* A reproduction vouches for a build only if someone else did it: no rebuilder key signs
 * releases, none is revoked. */
static int check_reproductions(const struct keyring *kr, struct err *err)
{
	const struct keyring_reproductions *r = &kr->reproductions;
	char id[17];

	if (r->required > r->n_keys)
		return fail(err, "reproductions: %llu required of %zu rebuilder keys",
		            (unsigned long long)r->required, r->n_keys);
	if (r->n_keys > KEYRING_KEYS_MAX)
		return fail(err, "reproductions: more than %d rebuilder keys", KEYRING_KEYS_MAX);
	if (!r->required && r->n_keys)
		return fail(err, "reproductions: rebuilder keys but no reproduction required");
	for (size_t i = 0; i < r->n_keys; i++) {
		const uint8_t *k = r->rebuilder_keys[i].keyid;

		minisign_keyid_hex(k, id);
		if (has_id(r->rebuilder_keys, i, k))
			return fail(err, "reproductions: rebuilder key %s listed twice", id);
		if (is_revoked(kr, k))
			return fail(err, "key %s is both a rebuilder key and revoked", id);
		if (has_id(kr->release_keys, kr->n_release, k))
			return fail(
			    err,
			    "key %s is both a release key and a rebuilder key (a reproduction "
			    "must be independent of the build)",
			    id);
	}
	return 0;
}

static int check_rules(const struct keyring *kr, struct err *err)
{
	char id[17];

	if (kr->version > KEYRING_NUMBER_MAX || kr->min_serial > KEYRING_NUMBER_MAX ||
	    kr->expires > KEYRING_NUMBER_MAX)
		return fail(err, "a number above %llu", KEYRING_NUMBER_MAX);
	if (kr->n_keyring == 0)
		return fail(err, "no keyring key: nobody could sign the next version");
	if (kr->threshold < 1 || kr->threshold > kr->n_keyring)
		return fail(err, "threshold %llu is not between 1 and the %zu keyring keys",
		            (unsigned long long)kr->threshold, kr->n_keyring);
	if (check_strings("repositories", kr->provenance.repositories,
	                  kr->provenance.n_repositories, err) < 0 ||
	    check_strings("ref_patterns", kr->provenance.ref_patterns,
	                  kr->provenance.n_ref_patterns, err) < 0 ||
	    check_strings("builder_ids", kr->provenance.builder_ids, kr->provenance.n_builder_ids,
	                  err) < 0)
		return -1;
	for (size_t i = 0; i < kr->n_release; i++)
		if (is_revoked(kr, kr->release_keys[i].keyid)) {
			minisign_keyid_hex(kr->release_keys[i].keyid, id);
			return fail(err, "key %s is both a release key and revoked", id);
		}
	return check_reproductions(kr, err);
}

static void put_keys(struct textbuf *b, const char *name, const struct minisign_pubkey *keys,
                     size_t n)
{
	struct minisign_pubkey sorted[KEYRING_KEYS_MAX];
	char s[BASE64_LEN(PUBKEY_RAW) + 1];

	memcpy(sorted, keys, n * sizeof(*keys));
	qsort(sorted, n, sizeof(*sorted), key_cmp);
	textbuf_printf(b, "\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		key_b64(&sorted[i], s);
		textbuf_printf(b, "%s\"%s\"", i ? "," : "", s);
	}
	textbuf_puts(b, "],");
}

int keyring_payload(const struct keyring *kr, char **out, size_t *len, struct err *err)
{
	uint8_t revoked[KEYRING_REVOKED_MAX][MINISIGN_KEYID_BYTES];
	struct textbuf b = {0};
	char id[17];

	if (check_rules(kr, err) < 0)
		return -1;
	memcpy(revoked, kr->revoked, kr->n_revoked * MINISIGN_KEYID_BYTES);
	qsort(revoked, kr->n_revoked, MINISIGN_KEYID_BYTES, rev_cmp);
	textbuf_printf(&b, "{\"expires\":%llu,", (unsigned long long)kr->expires);
	put_keys(&b, "keyring_keys", kr->keyring_keys, kr->n_keyring);
	textbuf_printf(&b, "\"min_serial\":%llu,\"provenance\":{",
	               (unsigned long long)kr->min_serial);
	put_strings(&b, "builder_ids", kr->provenance.builder_ids, kr->provenance.n_builder_ids,
	            false);
	put_strings(&b, "ref_patterns", kr->provenance.ref_patterns, kr->provenance.n_ref_patterns,
	            false);
	put_strings(&b, "repositories", kr->provenance.repositories, kr->provenance.n_repositories,
	            true);
	textbuf_puts(&b, "},");
	put_keys(&b, "release_keys", kr->release_keys, kr->n_release);
	if (kr->reproductions.required) {
		textbuf_puts(&b, "\"reproductions\":{");
		put_keys(&b, "rebuilder_keys", kr->reproductions.rebuilder_keys,
		         kr->reproductions.n_keys);
		textbuf_printf(&b, "\"required\":%llu},",
		               (unsigned long long)kr->reproductions.required);
	}
	textbuf_puts(&b, "\"revoked\":[");
	for (size_t i = 0; i < kr->n_revoked; i++) {
		minisign_keyid_hex(revoked[i], id);
		textbuf_printf(&b, "%s\"%s\"", i ? "," : "", id);
	}
	textbuf_printf(&b,
	               "],\"threshold\":%llu,\"type\":\"" KEYRING_DOC_TYPE "\",\"version\":%llu}",
	               (unsigned long long)kr->threshold, (unsigned long long)kr->version);
	if (b.oom) {
		free(b.p);
		return fail_oom(err);
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int keyring_get_number(json_object *o, const char *key, const char *doc, uint64_t *out,
                       struct err *err)
{
	json_object *v;

	json_object_object_get_ex(o, key, &v);
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
	    (uint64_t)json_object_get_int64(v) > KEYRING_NUMBER_MAX)
		return fail(err, "%s: %s is not an integer from 0 to %llu", doc, key,
		            KEYRING_NUMBER_MAX);
	*out = (uint64_t)json_object_get_int64(v);
	return 0;
}

static int get_keys(json_object *o, const char *key, struct minisign_pubkey *keys, size_t *n,
                    struct err *err)
{
	json_object *a;
	size_t len;

	json_object_object_get_ex(o, key, &a);
	if (!json_object_is_type(a, json_type_array))
		return fail(err, "keyring: %s is not an array", key);
	len = json_object_array_length(a);
	if (len > KEYRING_KEYS_MAX)
		return fail(err, "keyring: %s has more than %d keys", key, KEYRING_KEYS_MAX);
	for (size_t i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(a, i);

		if (!json_object_is_type(s, json_type_string) ||
		    key_from_b64(json_object_get_string(s), &keys[i]) < 0)
			return fail(err, "keyring: %s[%zu] is not a minisign public key", key, i);
		if (has_id(keys, i, keys[i].keyid))
			return fail(err, "keyring: %s lists a key twice", key);
	}
	*n = len;
	return 0;
}

static const char *const fields[] = {"expires",      "keyring_keys", "min_serial", "provenance",
                                     "release_keys", "revoked",      "threshold",  "type",
                                     "version",      "reproductions"};
#define FIELDS_REQUIRED 9 /* all but "reproductions", present only with a policy */

static int get_strings(json_object *o, const char *key, char (*list)[KEYRING_POLICY_LEN + 1],
                       size_t *n, struct err *err)
{
	json_object *a;
	size_t len;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array) ||
	    (len = json_object_array_length(a)) > KEYRING_POLICY_MAX)
		return fail(err, "keyring: provenance.%s is not an array of at most %d strings",
		            key, KEYRING_POLICY_MAX);
	for (size_t i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(a, i);

		if (!json_object_is_type(s, json_type_string) ||
		    json_object_get_string_len(s) > KEYRING_POLICY_LEN)
			return fail(
			    err, "keyring: provenance.%s[%zu] is not a string of at most %d bytes",
			    key, i, KEYRING_POLICY_LEN);
		snprintf(list[i], KEYRING_POLICY_LEN + 1, "%s", json_object_get_string(s));
	}
	*n = len;
	return 0;
}

static int get_reproductions(json_object *o, struct keyring_reproductions *r, struct err *err)
{
	static const char *const names[] = {"rebuilder_keys", "required"};
	json_object *v;
	const char *unknown;
	size_t seen;

	if (!json_object_object_get_ex(o, "reproductions", &v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return fail(err, "keyring: reproductions is not an object");
	if ((unknown = json_unknown_field(v, names, 2, 2, &seen)))
		return fail(err, "keyring: reproductions: unknown field \"%.64s\"", unknown);
	if (seen != 2)
		return fail(err, "keyring: reproductions needs rebuilder_keys and required");
	if (get_keys(v, "rebuilder_keys", r->rebuilder_keys, &r->n_keys, err) < 0 ||
	    keyring_get_number(v, "required", "keyring", &r->required, err) < 0)
		return -1;
	if (r->required < 1)
		return fail(err, "keyring: reproductions.required is 0 (no policy: leave the "
		                 "field out)");
	return 0;
}

static int get_policy(json_object *o, struct keyring_policy *pol, struct err *err)
{
	static const char *const names[] = {"builder_ids", "ref_patterns", "repositories"};
	json_object *v;
	const char *unknown;
	size_t seen;

	json_object_object_get_ex(o, "provenance", &v);
	if (!json_object_is_type(v, json_type_object))
		return fail(err, "keyring: provenance is not an object");
	if ((unknown = json_unknown_field(v, names, 3, 3, &seen)))
		return fail(err, "keyring: provenance: unknown field \"%.64s\"", unknown);
	if (seen != 3)
		return fail(err, "keyring: provenance needs builder_ids, ref_patterns and "
		                 "repositories");
	if (get_strings(v, "builder_ids", pol->builder_ids, &pol->n_builder_ids, err) < 0 ||
	    get_strings(v, "ref_patterns", pol->ref_patterns, &pol->n_ref_patterns, err) < 0 ||
	    get_strings(v, "repositories", pol->repositories, &pol->n_repositories, err) < 0)
		return -1;
	return 0;
}

int keyring_parse(const uint8_t *payload, size_t len, struct keyring *kr, struct err *err)
{
	json_object *o = NULL, *v;
	char *canon = NULL;
	const char *unknown;
	size_t canon_len = 0, n, seen = 0;
	int rc = -1;

	memset(kr, 0, sizeof(*kr));
	if (json_strict_parse((const char *)payload, len, "keyring", &o, err) < 0)
		return -1;
	if ((unknown = json_unknown_field(o, fields, sizeof(fields) / sizeof(*fields),
	                                  FIELDS_REQUIRED, &seen))) {
		fail(err, "keyring: unknown field \"%.64s\"", unknown);
		goto out;
	}
	if (seen != FIELDS_REQUIRED) {
		fail(err,
		     "keyring: a field is missing (want all of expires, keyring_keys, "
		     "min_serial, provenance, release_keys, revoked, threshold, type, version)");
		goto out;
	}
	json_object_object_get_ex(o, "type", &v);
	if (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), KEYRING_DOC_TYPE)) {
		fail(err, "keyring: type is not \"" KEYRING_DOC_TYPE "\"");
		goto out;
	}
	if (keyring_get_number(o, "version", "keyring", &kr->version, err) < 0 ||
	    keyring_get_number(o, "min_serial", "keyring", &kr->min_serial, err) < 0 ||
	    keyring_get_number(o, "expires", "keyring", &kr->expires, err) < 0 ||
	    keyring_get_number(o, "threshold", "keyring", &kr->threshold, err) < 0 ||
	    get_keys(o, "keyring_keys", kr->keyring_keys, &kr->n_keyring, err) < 0 ||
	    get_keys(o, "release_keys", kr->release_keys, &kr->n_release, err) < 0 ||
	    get_policy(o, &kr->provenance, err) < 0 ||
	    get_reproductions(o, &kr->reproductions, err) < 0)
		goto out;
	if (kr->version < 1) {
		fail(err, "keyring: version 0 is the implicit one of a pinned key; start at 1");
		goto out;
	}
	json_object_object_get_ex(o, "revoked", &v);
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > KEYRING_REVOKED_MAX) {
		fail(err, "keyring: revoked is not an array of at most %d key ids",
		     KEYRING_REVOKED_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(v, i);

		if (!json_object_is_type(s, json_type_string) ||
		    minisign_keyid_parse(json_object_get_string(s), kr->revoked[i]) < 0) {
			fail(err, "keyring: revoked[%zu] is not a key id", i);
			goto out;
		}
	}
	kr->n_revoked = n;
	if (keyring_payload(kr, &canon, &canon_len, err) < 0) {
		fail_prefix(err, "keyring version %llu", (unsigned long long)kr->version);
		goto out;
	}
	if (canon_len != len || memcmp(canon, payload, len)) {
		fail(err, "keyring version %llu is not in canonical form (specs/trust.md)",
		     (unsigned long long)kr->version);
		goto out;
	}
	rc = 0;
out:
	free(canon);
	json_object_put(o);
	return rc;
}

static int threshold_met(const struct keyring *by, const struct envelope *env, const char *whose,
                         struct err *err)
{
	size_t got = envelope_count(env, by->keyring_keys, by->n_keyring);

	if (got < by->threshold)
		return fail(err,
		            "threshold not met: %zu of the %llu signatures needed from %s keyring "
		            "keys (version %llu; a key counts once)",
		            got, (unsigned long long)by->threshold, whose,
		            (unsigned long long)by->version);
	return 0;
}

int keyring_self_signed(const struct keyring *kr, const struct envelope *env, struct err *err)
{
	if (threshold_met(kr, env, "its own", err) < 0)
		return fail_prefix(err, "keyring version %llu", (unsigned long long)kr->version);
	return 0;
}

int keyring_step(const struct keyring *prev, const struct keyring *next, const struct envelope *env,
                 struct err *err)
{
	unsigned long long v = next->version;
	char id[17];

	if (next->version != prev->version + 1)
		return fail(err,
		            "keyring version %llu cannot follow version %llu (versions go up by "
		            "exactly one)",
		            v, (unsigned long long)prev->version);
	if (next->min_serial < prev->min_serial)
		return fail(err, "keyring version %llu lowers the floor from %llu to %llu", v,
		            (unsigned long long)prev->min_serial,
		            (unsigned long long)next->min_serial);
	for (size_t i = 0; i < prev->n_revoked; i++)
		if (!is_revoked(next, prev->revoked[i])) {
			minisign_keyid_hex(prev->revoked[i], id);
			return fail(err, "keyring version %llu takes back the revocation of key %s",
			            v, id);
		}
	if (threshold_met(prev, env, "the previous version's", err) < 0 ||
	    threshold_met(next, env, "its own", err) < 0)
		return fail_prefix(err, "keyring version %llu", v);
	return 0;
}

int keyring_release_key(const struct keyring *kr, const uint8_t keyid[MINISIGN_KEYID_BYTES],
                        struct minisign_pubkey *out, struct err *err)
{
	char id[17];

	minisign_keyid_hex(keyid, id);
	if (is_revoked(kr, keyid))
		return fail(
		    err,
		    "signature made by a revoked key: key id %s, revoked by keyring version %llu",
		    id, (unsigned long long)kr->version);
	for (size_t i = 0; i < kr->n_release; i++)
		if (!memcmp(kr->release_keys[i].keyid, keyid, MINISIGN_KEYID_BYTES)) {
			*out = kr->release_keys[i];
			return 0;
		}
	return fail(err,
	            "signature made by another key: key id %s is no release key of keyring "
	            "version %llu",
	            id, (unsigned long long)kr->version);
}

int keyring_judge(const struct keyring *kr, uint64_t serial, time_t now, struct err *err)
{
	char when[CLOCK_ISO_SIZE];

	if (serial < kr->min_serial)
		return fail(err, "serial %llu is below the floor %llu of keyring version %llu",
		            (unsigned long long)serial, (unsigned long long)kr->min_serial,
		            (unsigned long long)kr->version);
	if (kr->expires && (uint64_t)now >= kr->expires) {
		clock_iso_utc((time_t)kr->expires, when);
		return fail(err,
		            "keyring version %llu expired at %s: releases need a newer keyring",
		            (unsigned long long)kr->version, when);
	}
	return 0;
}

/* ---- chains ---- */

void keyring_chain_release(struct keyring_chain *c)
{
	for (size_t i = 0; i < c->n; i++) {
		envelope_release(&c->links[i].env);
		free(c->links[i].line);
	}
	free(c->links);
	c->links = NULL;
	c->n = 0;
}

const struct keyring *keyring_chain_newest(const struct keyring_chain *c)
{
	return &c->links[c->n - 1].kr;
}

static int parse_link(struct keyring_link *l, const char *line, size_t len, const char *what,
                      size_t lineno, struct err *err)
{
	if (envelope_parse(line, len, what, &l->env, err) < 0)
		return fail_prefix(err, "line %zu", lineno);
	if (strcmp(l->env.type, KEYRING_TYPE))
		return fail(err, "%s: line %zu: payloadType is not " KEYRING_TYPE, what, lineno);
	if (keyring_parse(l->env.payload, l->env.payload_len, &l->kr, err) < 0)
		return fail_prefix(err, "%s: line %zu", what, lineno);
	if (!(l->line = malloc(len + 2)))
		return fail_oom(err);
	memcpy(l->line, line, len);
	l->line[len] = '\n';
	l->line[len + 1] = '\0';
	l->line_len = len + 1;
	return 0;
}

static int chain_parse(const char *text, size_t len, const char *what, bool verify,
                       struct keyring_chain *out, struct err *err)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	if (len > KEYRING_FILE_MAX)
		return fail(err, "%s: larger than %u bytes", what, KEYRING_FILE_MAX);
	if (memchr(text, '\0', len))
		return fail(err, "%s: contains a NUL byte", what);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct keyring_link *grown;

		if (out->n == KEYRING_CHAIN_MAX) {
			fail(err, "%s: more than %d versions", what, KEYRING_CHAIN_MAX);
			goto bad;
		}
		grown = realloc(out->links, (out->n + 1) * sizeof(*grown));
		if (!grown) {
			fail_oom(err);
			goto bad;
		}
		out->links = grown;
		memset(&out->links[out->n], 0, sizeof(*grown));
		out->n++;
		if (parse_link(&out->links[out->n - 1], p, n, what, out->n, err) < 0)
			goto bad;
		if (!verify && out->n > 1 &&
		    out->links[out->n - 1].kr.version != out->links[out->n - 2].kr.version + 1) {
			fail(err, "%s: keyring version %llu cannot follow version %llu", what,
			     (unsigned long long)out->links[out->n - 1].kr.version,
			     (unsigned long long)out->links[out->n - 2].kr.version);
			goto bad;
		}
		if (verify &&
		    (out->n == 1
		         ? keyring_self_signed(&out->links[0].kr, &out->links[0].env, err)
		         : keyring_step(&out->links[out->n - 2].kr, &out->links[out->n - 1].kr,
		                        &out->links[out->n - 1].env, err))) {
			fail_prefix(err, "%s", what);
			goto bad;
		}
		p += n + (nl != NULL);
	}
	if (out->n == 0)
		return fail(err, "%s: no keyring in it", what);
	return 0;
bad:
	keyring_chain_release(out);
	return -1;
}

int keyring_chain_parse(const char *text, size_t len, const char *what, struct keyring_chain *out,
                        struct err *err)
{
	return chain_parse(text, len, what, true, out, err);
}

int keyring_chain_read(const char *text, size_t len, const char *what, struct keyring_chain *out,
                       struct err *err)
{
	return chain_parse(text, len, what, false, out, err);
}

int keyring_chain_newer(const struct keyring *host, const uint8_t *host_payload,
                        size_t host_payload_len, const struct keyring_chain *in, size_t *first,
                        size_t *count, struct err *err)
{
	const struct keyring *prev = host;
	size_t i = 0;

	*first = *count = 0;
	for (; i < in->n && in->links[i].kr.version <= host->version; i++)
		if (in->links[i].kr.version == host->version &&
		    (!host_payload || host_payload_len != in->links[i].env.payload_len ||
		     memcmp(host_payload, in->links[i].env.payload, host_payload_len)))
			return fail(err,
			            "keyring version %llu differs from the one this host trusts "
			            "(two keyrings of one version: a key may be compromised)",
			            (unsigned long long)host->version);
	*first = i;
	for (; i < in->n; i++) {
		if (keyring_step(prev, &in->links[i].kr, &in->links[i].env, err) < 0)
			return -1;
		prev = &in->links[i].kr;
	}
	*count = in->n - *first;
	return 0;
}

int keyring_chain_load(const char *path, struct keyring_chain *out, char **text, size_t *len,
                       struct err *err)
{
	char *t = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (read_file_at(AT_FDCWD, path, KEYRING_FILE_MAX, 0, &t, &n, err) < 0)
		return fail_recast(err, ERR_REFUSED);
	if (keyring_chain_parse(t, n, path, out, err) < 0) {
		free(t);
		return -1;
	}
	if (text) {
		*text = t;
		if (len)
			*len = n;
	} else {
		free(t);
	}
	return 0;
}
