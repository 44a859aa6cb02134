/* Build provenance (specs/trust.md "Provenance"); see provenance.h. */
#include "release/sig/provenance.h"
#include "release/base/clock.h"
#include "release/base/json_strict.h"
#include "release/base/textbuf.h"
#include "release/sig/base64.h"
#include "release/sig/envelope.h"

#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static json_object *iso(long long t)
{
	char buf[CLOCK_ISO_SIZE];

	if (!clock_iso_utc((time_t)t, buf))
		buf[0] = '\0';
	return json_object_new_string(buf);
}

static json_object *statement(const struct provenance_facts *f)
{
	json_object *st = json_object_new_object(), *subj = json_object_new_object(),
	            *dig = json_object_new_object(), *pred = json_object_new_object(),
	            *bd = json_object_new_object(), *ext = json_object_new_object(),
	            *in = json_object_new_object(), *deps = json_object_new_array(),
	            *dep = json_object_new_object(), *ddig = json_object_new_object(),
	            *rd = json_object_new_object(), *builder = json_object_new_object(),
	            *meta = json_object_new_object(), *subjects = json_object_new_array();
	char uri[1024];

	json_object_object_add(st, "_type", jstr(PROVENANCE_STATEMENT));
	json_object_object_add(dig, "sha256", jstr(f->subject_sha256));
	json_object_object_add(subj, "name", jstr(f->subject_name));
	json_object_object_add(subj, "digest", dig);
	json_object_array_add(subjects, subj);
	json_object_object_add(st, "subject", subjects);
	json_object_object_add(st, "predicateType", jstr(PROVENANCE_PREDICATE));
	json_object_object_add(bd, "buildType", jstr(PROVENANCE_BUILD_TYPE));
	json_object_object_add(ext, "repository", jstr(f->repository));
	json_object_object_add(ext, "ref", jstr(f->ref));
	json_object_object_add(bd, "externalParameters", ext);
	json_object_object_add(in, "buildCommand", jstr(f->build_command));
	json_object_object_add(bd, "internalParameters", in);
	snprintf(uri, sizeof(uri), "git+%s@%s", f->repository, f->ref);
	json_object_object_add(dep, "uri", jstr(uri));
	json_object_object_add(ddig, "gitCommit", jstr(f->commit));
	json_object_object_add(dep, "digest", ddig);
	json_object_array_add(deps, dep);
	json_object_object_add(bd, "resolvedDependencies", deps);
	json_object_object_add(pred, "buildDefinition", bd);
	json_object_object_add(builder, "id", jstr(f->builder_id));
	json_object_object_add(rd, "builder", builder);
	json_object_object_add(meta, "invocationId", jstr(f->invocation_id));
	json_object_object_add(meta, "startedOn", iso(f->started_on));
	json_object_object_add(meta, "finishedOn", iso(f->finished_on));
	json_object_object_add(rd, "metadata", meta);
	json_object_object_add(pred, "runDetails", rd);
	json_object_object_add(st, "predicate", pred);
	return st;
}

/* One DSSE line of `payload`, signed by sk (Ed25519 over the PAE). */
static int dsse_line(const char *payload, const struct minisign_seckey *sk, char **line,
                     size_t *len, struct err *err)
{
	uint8_t *pae = NULL, sig[MINISIGN_SIG_BYTES];
	char *p64 = NULL, s64[BASE64_LEN(MINISIGN_SIG_BYTES) + 1], id[17];
	size_t plen = payload ? strlen(payload) : 0, pae_len = 0;
	struct textbuf b = {0};
	int rc = -1;

	if (!payload || !(p64 = malloc(BASE64_LEN(plen) + 1))) {
		fail_oom(err);
		goto out;
	}
	if (dsse_pae(PROVENANCE_PAYLOAD_TYPE, (const uint8_t *)payload, plen, &pae, &pae_len, err) <
	        0 ||
	    minisign_ed25519_sign(sk, pae, pae_len, sig, err) < 0)
		goto out;
	base64_encode((const uint8_t *)payload, plen, p64);
	base64_encode(sig, sizeof(sig), s64);
	minisign_keyid_hex(sk->keyid, id);
	textbuf_printf(&b,
	               "{\"payload\":\"%s\",\"payloadType\":\"" PROVENANCE_PAYLOAD_TYPE
	               "\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}\n",
	               p64, id, s64);
	if (b.oom) {
		free(b.p);
		fail_oom(err);
		goto out;
	}
	*line = b.p;
	*len = b.len;
	rc = 0;
out:
	free(pae);
	free(p64);
	return rc;
}

static const char *plain(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE);
}

int provenance_sign(const struct provenance_facts *facts, const struct minisign_seckey *sk,
                    char **line, size_t *len, struct err *err)
{
	json_object *st = statement(facts);
	int rc = dsse_line(plain(st), sk, line, len, err);

	json_object_put(st);
	return rc;
}

int provenance_reproduced(const char *subject_name, const char *sha256_hex, const char *commit,
                          const char *rebuilder_id, const struct minisign_seckey *sk, char **line,
                          size_t *len, struct err *err)
{
	json_object *st = json_object_new_object(), *subj = json_object_new_object(),
	            *dig = json_object_new_object(), *subjects = json_object_new_array(),
	            *pred = json_object_new_object(), *who = json_object_new_object();
	int rc;

	json_object_object_add(st, "_type", jstr(PROVENANCE_STATEMENT));
	json_object_object_add(dig, "sha256", jstr(sha256_hex));
	json_object_object_add(subj, "name", jstr(subject_name));
	json_object_object_add(subj, "digest", dig);
	json_object_array_add(subjects, subj);
	json_object_object_add(st, "subject", subjects);
	json_object_object_add(st, "predicateType", jstr(REPRODUCED_PREDICATE));
	json_object_object_add(who, "id", jstr(rebuilder_id));
	json_object_object_add(pred, "rebuilder", who);
	json_object_object_add(pred, "gitCommit", jstr(commit));
	json_object_object_add(pred, "result", jstr("identical"));
	json_object_object_add(pred, "reproducedOn", iso((long long)time(NULL)));
	json_object_object_add(st, "predicate", pred);
	rc = dsse_line(plain(st), sk, line, len, err);
	json_object_put(st);
	return rc;
}

/* ---- checking ---- */

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *get_s(json_object *o, const char *key)
{
	json_object *v = get(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

void dsse_plain_release(struct dsse_plain *d)
{
	free(d->payload);
	free(d->pae);
	memset(d, 0, sizeof(*d));
}

int dsse_plain_parse(const char *line, size_t len, const char *what, struct dsse_plain *d,
                     struct err *err)
{
	json_object *env = NULL, *sigs;
	const char *type, *p64;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (json_strict_parse(line, len, what, &env, err) < 0)
		return -1;
	json_object_object_foreach(env, key, val)
	{
		(void)val;
		if (strcmp(key, "payload") && strcmp(key, "payloadType") &&
		    strcmp(key, "signatures")) {
			fail(err, "%s: unknown field \"%.64s\"", what, key);
			goto out;
		}
	}
	type = get_s(env, "payloadType");
	p64 = get_s(env, "payload");
	if (!type || strcmp(type, PROVENANCE_PAYLOAD_TYPE)) {
		fail(err, "%s: payloadType is not " PROVENANCE_PAYLOAD_TYPE, what);
		goto out;
	}
	if (!p64 || base64_decode_alloc(p64, strlen(p64), &d->payload, &d->payload_len) < 0) {
		fail(err, "%s: payload is not base64", what);
		goto out;
	}
	sigs = get(env, "signatures", json_type_array);
	d->n_sigs = sigs ? json_object_array_length(sigs) : 0;
	if (!sigs || d->n_sigs == 0 || d->n_sigs > ENVELOPE_SIGS_MAX) {
		d->n_sigs = 0;
		fail(err, "%s: signatures is not an array of 1 to %d signatures", what,
		     ENVELOPE_SIGS_MAX);
		goto out;
	}
	for (size_t i = 0; i < d->n_sigs; i++) {
		json_object *s = json_object_array_get_idx(sigs, i);
		const char *sig64 = get_s(s, "sig");

		d->sigs[i].well_formed =
		    minisign_keyid_parse(get_s(s, "keyid"), d->sigs[i].keyid) == 0 && sig64 &&
		    base64_decode_exact(sig64, strlen(sig64), d->sigs[i].sig,
		                        sizeof(d->sigs[i].sig)) == 0;
	}
	if (dsse_pae(type, d->payload, d->payload_len, &d->pae, &d->pae_len, err) < 0)
		goto out;
	rc = 0;
out:
	json_object_put(env);
	return rc;
}

bool dsse_plain_signed_by(const struct dsse_plain *d, const struct minisign_pubkey *key)
{
	struct err err;

	for (size_t i = 0; i < d->n_sigs; i++)
		if (d->sigs[i].well_formed &&
		    !memcmp(d->sigs[i].keyid, key->keyid, MINISIGN_KEYID_BYTES) &&
		    minisign_ed25519_verify(key, d->pae, d->pae_len, d->sigs[i].sig, &err) == 1)
			return true;
	return false;
}

/* At least one signature by a release key of kr verifies over the PAE. */
static int check_signatures(const struct dsse_plain *d, const struct keyring *kr, struct err *err)
{
	struct err why = {.msg = "no signature"};

	for (size_t i = 0; i < d->n_sigs; i++) {
		struct minisign_pubkey key;

		if (!d->sigs[i].well_formed) {
			fail(&why, "a signature is not a keyid and a base64 Ed25519 signature");
			continue;
		}
		if (keyring_release_key(kr, d->sigs[i].keyid, &key, &why) < 0)
			continue;
		if (dsse_plain_signed_by(d, &key))
			return 0;
		fail(&why, "the signature does not match the statement");
	}
	return fail(err, "provenance: no valid signature by a release key (%s)", why.msg);
}

static bool listed(const char (*list)[KEYRING_POLICY_LEN + 1], size_t n, const char *s,
                   bool pattern)
{
	for (size_t i = 0; i < n; i++)
		if (pattern ? fnmatch(list[i], s, 0) == 0 : !strcmp(list[i], s))
			return true;
	return false;
}

static int check_statement(json_object *st, const struct keyring *kr, const char *sha256,
                           struct err *err)
{
	const struct keyring_policy *pol = &kr->provenance;
	json_object *subjects = get(st, "subject", json_type_array), *pred, *bd, *ext, *rd;
	const char *repo, *ref, *builder, *type = get_s(st, "_type");
	bool found = false;

	if (!type || strcmp(type, PROVENANCE_STATEMENT))
		return fail(err, "provenance: not an in-toto Statement v1");
	if (!get_s(st, "predicateType") || strcmp(get_s(st, "predicateType"), PROVENANCE_PREDICATE))
		return fail(err, "provenance: the predicate is not SLSA provenance v1");
	for (size_t i = 0; subjects && i < json_object_array_length(subjects) && !found; i++) {
		const char *d =
		    get_s(get(json_object_array_get_idx(subjects, i), "digest", json_type_object),
		          "sha256");

		found = d && !strcmp(d, sha256);
	}
	if (!found)
		return fail(err, "provenance: no subject has the archive's sha256 %s", sha256);
	pred = get(st, "predicate", json_type_object);
	bd = get(pred, "buildDefinition", json_type_object);
	ext = get(bd, "externalParameters", json_type_object);
	rd = get(pred, "runDetails", json_type_object);
	if (!ext || !rd)
		return fail(err, "provenance: no buildDefinition.externalParameters or runDetails");
	/* SLSA's verification: refuse external parameters the verifier does not recognise. */
	json_object_object_foreach(ext, key, val)
	{
		(void)val;
		if (strcmp(key, "repository") && strcmp(key, "ref"))
			return fail(err, "provenance: unrecognised external parameter \"%.64s\"",
			            key);
	}
	repo = get_s(ext, "repository");
	ref = get_s(ext, "ref");
	builder = get_s(get(rd, "builder", json_type_object), "id");
	if (!repo || !ref || !builder)
		return fail(err, "provenance: repository, ref or builder.id missing");
	if (pol->n_repositories && !listed(pol->repositories, pol->n_repositories, repo, false))
		return fail(
		    err, "provenance: repository \"%.200s\" is not allowed by keyring version %llu",
		    repo, (unsigned long long)kr->version);
	if (pol->n_ref_patterns && !listed(pol->ref_patterns, pol->n_ref_patterns, ref, true))
		return fail(err,
		            "provenance: ref \"%.200s\" is not allowed by keyring version %llu",
		            ref, (unsigned long long)kr->version);
	if (pol->n_builder_ids && !listed(pol->builder_ids, pol->n_builder_ids, builder, false))
		return fail(err,
		            "provenance: builder \"%.200s\" is not allowed by keyring version %llu",
		            builder, (unsigned long long)kr->version);
	return 0;
}

int provenance_check(const char *text, size_t len, const struct keyring *kr, const char *sha256_hex,
                     struct err *err)
{
	struct dsse_plain d;
	json_object *st = NULL;
	int rc = -1;

	if (len > PROVENANCE_FILE_MAX)
		return fail(err, "provenance: larger than %u bytes", PROVENANCE_FILE_MAX);
	while (len && (text[len - 1] == '\n'))
		len--;
	if (memchr(text, '\n', len))
		return fail(err, "provenance: more than one envelope (slipway writes one)");
	if (dsse_plain_parse(text, len, "provenance", &d, err) < 0 ||
	    check_signatures(&d, kr, err) < 0)
		goto out;
	if (json_strict_parse((const char *)d.payload, d.payload_len, "provenance statement", &st,
	                      err) < 0 ||
	    check_statement(st, kr, sha256_hex, err) < 0)
		goto out;
	rc = 0;
out:
	json_object_put(st);
	dsse_plain_release(&d);
	return rc;
}
