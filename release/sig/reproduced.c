/* The reproduction policy's check (specs/trust.md "Reproduction policy"); see reproduced.h. */
#include "release/sig/reproduced.h"
#include "release/base/json_strict.h"
#include "release/sig/envelope.h"
#include "release/sig/provenance.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct line {
	struct dsse_plain d;
	int names; /* -1 not judged yet, 0 no, 1 a reproduced statement of the archive */
};

struct lines {
	struct line *l;
	size_t n;
	const char *sha256;
};

static const char *get_s(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *get_o(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static bool eq(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

/* A Statement v1 of REPRODUCED_PREDICATE, result "identical", whose subject has `sha256`. */
static bool names_archive(const struct dsse_plain *d, const char *sha256)
{
	json_object *st = NULL, *subjects;
	struct err err;
	bool found = false;

	if (json_strict_parse((const char *)d->payload, d->payload_len, "statement", &st, &err) < 0)
		return false;
	subjects = get_o(st, "subject", json_type_array);
	if (eq(get_s(st, "_type"), PROVENANCE_STATEMENT) &&
	    eq(get_s(st, "predicateType"), REPRODUCED_PREDICATE) &&
	    eq(get_s(get_o(st, "predicate", json_type_object), "result"), "identical"))
		for (size_t i = 0; subjects && i < json_object_array_length(subjects) && !found;
		     i++)
			found = eq(get_s(get_o(json_object_array_get_idx(subjects, i), "digest",
			                       json_type_object),
			                 "sha256"),
			           sha256);
	json_object_put(st);
	return found;
}

/* Whether `key` signed an attestation of the archive: the signature judged first, the
 * statement read only once a signature over it verifies. */
static bool reproduced_by(const struct minisign_pubkey *key, void *ctx)
{
	struct lines *ls = ctx;

	for (size_t i = 0; i < ls->n; i++) {
		struct line *l = &ls->l[i];

		if (!dsse_plain_signed_by(&l->d, key))
			continue;
		if (l->names < 0)
			l->names = names_archive(&l->d, ls->sha256);
		if (l->names)
			return true;
	}
	return false;
}

int reproduced_count(const char *text, size_t len, const char *what, const struct keyring *kr,
                     const char *sha256_hex, size_t *count, struct err *err)
{
	struct lines ls = {.sha256 = sha256_hex};
	const char *p = text, *end = text + len;
	int rc = -1;

	*count = 0;
	if (len > REPRODUCED_FILE_MAX)
		return fail(err, "%s: larger than %u bytes", what, REPRODUCED_FILE_MAX);
	if (memchr(text, '\0', len))
		return fail(err, "%s: contains a NUL byte", what);
	if (!(ls.l = calloc(REPRODUCED_LINES_MAX, sizeof(*ls.l))))
		return fail_oom(err);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (ls.n == REPRODUCED_LINES_MAX) {
			fail(err, "%s: more than %d attestations", what, REPRODUCED_LINES_MAX);
			goto out;
		}
		ls.l[ls.n].names = -1;
		if (dsse_plain_parse(p, n, "attestation", &ls.l[ls.n++].d, err) < 0) {
			fail_prefix(err, "%s: line %zu", what, ls.n);
			goto out;
		}
		p += n + (nl != NULL);
	}
	*count = threshold_count(kr->reproductions.rebuilder_keys, kr->reproductions.n_keys,
	                         reproduced_by, &ls);
	rc = 0;
out:
	for (size_t i = 0; i < ls.n; i++)
		dsse_plain_release(&ls.l[i].d);
	free(ls.l);
	return rc;
}

int reproduced_check(const char *text, size_t len, const char *what, const struct keyring *kr,
                     const char *sha256_hex, struct err *err)
{
	size_t got;

	if (!kr->reproductions.required)
		return 0;
	if (reproduced_count(text, len, what, kr, sha256_hex, &got, err) < 0)
		return -1;
	if (got < kr->reproductions.required)
		return fail(err,
		            "%s: reproductions: %zu of the %llu needed by keyring version %llu "
		            "(distinct rebuilder keys whose attestation verifies and names this "
		            "archive's sha256 %.64s; a key counts once)",
		            what, got, (unsigned long long)kr->reproductions.required,
		            (unsigned long long)kr->version, sha256_hex);
	return 0;
}
