/* Signed documents: the envelope (specs/trust.md "Signed documents"); see envelope.h. */
#include "release/sig/envelope.h"
#include "release/base/json_strict.h"
#include "release/base/textbuf.h"
#include "release/sig/base64.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void envelope_release(struct envelope *e)
{
	free(e->type);
	free(e->payload);
	for (size_t i = 0; i < e->n_sigs; i++)
		free(e->sigs[i].text);
	memset(e, 0, sizeof(*e));
}

static int b64_decode(const char *text, size_t len, uint8_t **out, size_t *n)
{
	return base64_decode_alloc(text, len, out, n);
}

static char *b64_encode(const void *in, size_t n)
{
	char *out = malloc(BASE64_LEN(n) + 1);

	if (out)
		base64_encode(in, n, out);
	return out;
}

/* Exactly the keys `want` (n of them), each present: the rule of every object here. */
static int exact_keys(json_object *o, const char *const *want, size_t n, const char *what,
                      struct err *err)
{
	size_t seen;
	const char *unknown = json_unknown_field(o, want, n, n, &seen);

	if (unknown)
		return fail(err, "%s: unknown field \"%.64s\"", what, unknown);
	if (seen != n)
		return fail(err, "%s: missing field (want %s)", what, want[0]);
	return 0;
}

static int parse_sig(struct envelope *e, json_object *s, const char *what, struct err *err)
{
	static const char *const keys[] = {"keyid", "sig"};
	json_object *jk, *js;
	struct minisign_sig ms = {0};
	struct envelope_sig *out = &e->sigs[e->n_sigs];
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t *text = NULL;
	size_t len = 0;

	if (!json_object_is_type(s, json_type_object))
		return fail(err, "%s: a signature is not an object", what);
	if (exact_keys(s, keys, 2, what, err) < 0)
		return -1;
	json_object_object_get_ex(s, "keyid", &jk);
	json_object_object_get_ex(s, "sig", &js);
	if (!json_object_is_type(jk, json_type_string) ||
	    minisign_keyid_parse(json_object_get_string(jk), keyid) < 0)
		return fail(err, "%s: a signature's keyid is not 16 upper-case hex digits", what);
	if (!json_object_is_type(js, json_type_string) ||
	    b64_decode(json_object_get_string(js), (size_t)json_object_get_string_len(js), &text,
	               &len) < 0)
		return fail(err, "%s: a signature's sig is not base64", what);
	if (minisign_sig_parse((char *)text, len, &ms, err) < 0) {
		free(text);
		return fail_prefix(err, "%s", what);
	}
	if (memcmp(ms.alg, "ED", 2) || memcmp(ms.keyid, keyid, sizeof(keyid))) {
		minisign_sig_release(&ms);
		free(text);
		return fail(err, "%s: a signature's keyid does not match its minisign signature",
		            what);
	}
	minisign_sig_release(&ms);
	memcpy(out->keyid, keyid, sizeof(keyid));
	out->text = (char *)text;
	out->len = len;
	e->n_sigs++;
	return 0;
}

int envelope_parse(const char *line, size_t len, const char *what, struct envelope *out,
                   struct err *err)
{
	static const char *const keys[] = {"payload", "payloadType", "signatures"};
	json_object *o = NULL, *jp, *jt, *js;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > ENVELOPE_LINE_MAX)
		return fail(err, "%s: larger than %d bytes", what, ENVELOPE_LINE_MAX);
	if (json_strict_parse(line, len, what, &o, err) < 0)
		return -1;
	if (exact_keys(o, keys, 3, what, err) < 0)
		goto out;
	json_object_object_get_ex(o, "payload", &jp);
	json_object_object_get_ex(o, "payloadType", &jt);
	json_object_object_get_ex(o, "signatures", &js);
	if (!json_object_is_type(jt, json_type_string) ||
	    json_object_get_string_len(jt) > ENVELOPE_TYPE_MAX) {
		fail(err, "%s: payloadType is not a short string", what);
		goto out;
	}
	if (!json_object_is_type(jp, json_type_string) ||
	    (size_t)json_object_get_string_len(jp) > BASE64_LEN(ENVELOPE_PAYLOAD_MAX) ||
	    b64_decode(json_object_get_string(jp), (size_t)json_object_get_string_len(jp),
	               &out->payload, &out->payload_len) < 0) {
		fail(err, "%s: payload is not base64 of at most %d bytes", what,
		     ENVELOPE_PAYLOAD_MAX);
		goto out;
	}
	if (!(out->type = strdup(json_object_get_string(jt)))) {
		fail_oom(err);
		goto out;
	}
	if (!json_object_is_type(js, json_type_array)) {
		fail(err, "%s: signatures is not an array", what);
		goto out;
	}
	n = json_object_array_length(js);
	if (n > ENVELOPE_SIGS_MAX) {
		fail(err, "%s: more than %d signatures", what, ENVELOPE_SIGS_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (parse_sig(out, json_object_array_get_idx(js, i), what, err) < 0)
			goto out;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

int envelope_init(struct envelope *e, const char *type, const void *payload, size_t len,
                  struct err *err)
{
	memset(e, 0, sizeof(*e));
	if (len > ENVELOPE_PAYLOAD_MAX)
		return fail(err, "document larger than %d bytes", ENVELOPE_PAYLOAD_MAX);
	e->type = strdup(type);
	e->payload = malloc(len + 1);
	if (!e->type || !e->payload) {
		envelope_release(e);
		return fail_oom(err);
	}
	memcpy(e->payload, payload, len);
	e->payload[len] = '\0';
	e->payload_len = len;
	return 0;
}

int envelope_pae(const struct envelope *e, uint8_t **out, size_t *len, struct err *err)
{
	return dsse_pae(e->type, e->payload, e->payload_len, out, len, err);
}

int dsse_pae(const char *type, const uint8_t *payload, size_t payload_len, uint8_t **out,
             size_t *len, struct err *err)
{
	struct textbuf b = {0};

	textbuf_printf(&b, "DSSEv1 %zu %s %zu ", strlen(type), type, payload_len);
	textbuf_put(&b, (const char *)payload, payload_len);
	if (b.oom) {
		free(b.p);
		return fail_oom(err);
	}
	*out = (uint8_t *)b.p;
	*len = b.len;
	return 0;
}

static int pae_digest(const struct envelope *e, uint8_t digest[64], struct err *err)
{
	uint8_t *pae = NULL;
	size_t len = 0;
	int ok;

	if (envelope_pae(e, &pae, &len, err) < 0)
		return -1;
	ok = EVP_Digest(pae, len, digest, NULL, EVP_blake2b512(), NULL);
	free(pae);
	return ok ? 0 : fail_kind(err, ERR_SYSTEM, "BLAKE2b-512 unavailable");
}

static int put_sig(struct envelope *e, const uint8_t keyid[MINISIGN_KEYID_BYTES], char *text,
                   size_t len, struct err *err)
{
	size_t i;

	for (i = 0; i < e->n_sigs && memcmp(e->sigs[i].keyid, keyid, MINISIGN_KEYID_BYTES); i++)
		;
	if (i == ENVELOPE_SIGS_MAX) {
		free(text);
		return fail(err, "more than %d signatures", ENVELOPE_SIGS_MAX);
	}
	if (i < e->n_sigs)
		free(e->sigs[i].text);
	else
		e->n_sigs++;
	memcpy(e->sigs[i].keyid, keyid, MINISIGN_KEYID_BYTES);
	e->sigs[i].text = text;
	e->sigs[i].len = len;
	return 0;
}

int envelope_sign(struct envelope *e, const struct minisign_seckey *sk, const char *trusted_comment,
                  char **sig_text, struct err *err)
{
	uint8_t digest[64];
	char *text = NULL;

	if (pae_digest(e, digest, err) < 0 ||
	    minisign_sign_digest(digest, sk, trusted_comment, NULL, &text, err) < 0)
		return -1;
	if (sig_text && !(*sig_text = strdup(text))) {
		free(text);
		return fail_oom(err);
	}
	return put_sig(e, sk->keyid, text, strlen(text), err);
}

int envelope_add_sig(struct envelope *e, const char *text, size_t len, struct err *err)
{
	struct minisign_sig ms = {0};
	char *copy;
	int rc;

	if (minisign_sig_parse(text, len, &ms, err) < 0)
		return -1;
	if (memcmp(ms.alg, "ED", 2)) {
		minisign_sig_release(&ms);
		return fail(err, "not a prehashed (\"ED\") minisign signature");
	}
	if (!(copy = strndup(text, len))) {
		minisign_sig_release(&ms);
		return fail_oom(err);
	}
	rc = put_sig(e, ms.keyid, copy, len, err);
	minisign_sig_release(&ms);
	return rc;
}

size_t threshold_count(const struct minisign_pubkey *keys, size_t n,
                       bool (*signed_by)(const struct minisign_pubkey *key, void *ctx), void *ctx)
{
	size_t count = 0;

	for (size_t k = 0; k < n; k++) {
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++)
			dup = !memcmp(keys[j].keyid, keys[k].keyid, MINISIGN_KEYID_BYTES);
		count += !dup && signed_by(&keys[k], ctx);
	}
	return count;
}

struct pae_sigs {
	const struct envelope *e;
	uint8_t digest[64];
};

static bool minisign_signed(const struct minisign_pubkey *key, void *ctx)
{
	const struct pae_sigs *p = ctx;
	struct err err;

	for (size_t i = 0; i < p->e->n_sigs; i++)
		if (!memcmp(p->e->sigs[i].keyid, key->keyid, MINISIGN_KEYID_BYTES) &&
		    minisign_verify_digest(key, p->e->sigs[i].text, p->e->sigs[i].len, p->digest,
		                           NULL, &err) == 0)
			return true;
	return false;
}

size_t envelope_count(const struct envelope *e, const struct minisign_pubkey *keys, size_t n)
{
	struct pae_sigs p = {.e = e};
	struct err err;

	if (pae_digest(e, p.digest, &err) < 0)
		return 0;
	return threshold_count(keys, n, minisign_signed, &p);
}

static int sig_cmp(const void *a, const void *b)
{
	return memcmp(((const struct envelope_sig *)a)->keyid,
	              ((const struct envelope_sig *)b)->keyid, MINISIGN_KEYID_BYTES);
}

int envelope_format(const struct envelope *e, char **out, size_t *len, struct err *err)
{
	struct envelope_sig sorted[ENVELOPE_SIGS_MAX];
	struct textbuf b = {0};
	char *p = b64_encode(e->payload, e->payload_len), hex[17];

	if (!p)
		return fail_oom(err);
	memcpy(sorted, e->sigs, e->n_sigs * sizeof(*sorted));
	qsort(sorted, e->n_sigs, sizeof(*sorted), sig_cmp);
	textbuf_printf(&b, "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[", p,
	               e->type);
	free(p);
	for (size_t i = 0; i < e->n_sigs; i++) {
		char *s = b64_encode(sorted[i].text, sorted[i].len);

		if (!s) {
			free(b.p);
			return fail_oom(err);
		}
		minisign_keyid_hex(sorted[i].keyid, hex);
		textbuf_printf(&b, "%s{\"keyid\":\"%s\",\"sig\":\"%s\"}", i ? "," : "", hex, s);
		free(s);
	}
	textbuf_puts(&b, "]}\n");
	if (b.oom) {
		free(b.p);
		return fail_oom(err);
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
