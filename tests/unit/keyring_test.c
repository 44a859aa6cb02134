/* The signed-document envelope and the keyring (specs/trust.md): canonical payloads, strict
 * fields, version steps, thresholds that count a key once. Keys are generated per test: TEST
 * KEYS ONLY. Stock minisign judges the same signatures in tests/e2e/t_keyring.sh. */
#include <criterion/criterion.h>

#include "release/sig/envelope.h"
#include "release/sig/keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct minisign_seckey sk[5];
static struct minisign_pubkey pk[5]; /* 0, 1 keyring; 2 release; 3, 4 rebuilders */

static void keys(void)
{
	struct err err;

	for (int i = 0; i < 5; i++) {
		cr_assert_eq(minisign_keygen(&sk[i], &err), 0, "%s", err.msg);
		minisign_seckey_public(&sk[i], &pk[i]);
	}
}

TestSuite(keyring, .init = keys);

/* Version `v` with keyring keys 0 and 1 (threshold 2) and release key 2. */
static struct keyring ring(uint64_t v, uint64_t floor)
{
	struct keyring kr = {.version = v, .min_serial = floor, .threshold = 2};

	kr.keyring_keys[0] = pk[0];
	kr.keyring_keys[1] = pk[1];
	kr.n_keyring = 2;
	kr.release_keys[0] = pk[2];
	kr.n_release = 1;
	return kr;
}

static void envelope_of(const struct keyring *kr, struct envelope *e, const int *signers, int n)
{
	struct err err;
	char *p = NULL;
	size_t len = 0;

	cr_assert_eq(keyring_payload(kr, &p, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(envelope_init(e, KEYRING_TYPE, p, len, &err), 0);
	for (int i = 0; i < n; i++)
		cr_assert_eq(envelope_sign(e, &sk[signers[i]], "TEST", NULL, &err), 0, "%s",
		             err.msg);
	free(p);
}

Test(keyring, payload_round_trips_and_is_canonical)
{
	struct keyring kr = ring(1, 7), back;
	struct err err;
	char *p = NULL;
	size_t len = 0;

	cr_assert_eq(keyring_payload(&kr, &p, &len, &err), 0);
	cr_assert(!strncmp(p, "{\"expires\":0,\"keyring_keys\":[", 29), "%s", p);
	cr_assert_eq(keyring_parse((uint8_t *)p, len, &back, &err), 0, "%s", err.msg);
	cr_assert_eq(back.version, 1);
	cr_assert_eq(back.min_serial, 7);
	cr_assert_eq(back.n_keyring, 2);
	/* A space is another spelling of the same value: refused. */
	{
		char *q = NULL;

		cr_assert(asprintf(&q, "{ %s", p + 1) > 0);
		cr_assert_eq(keyring_parse((uint8_t *)q, strlen(q), &back, &err), -1);
		cr_assert(strstr(err.msg, "not in canonical form"), "%s", err.msg);
		free(q);
	}
	free(p);
}

Test(keyring, refuses_unknown_field_and_duplicate_key)
{
	struct keyring kr = ring(1, 0), back;
	struct err err;
	char *p = NULL, *q = NULL;
	size_t len = 0;

	cr_assert_eq(keyring_payload(&kr, &p, &len, &err), 0);
	cr_assert(asprintf(&q, "{\"extra\":1,%s", p + 1) > 0);
	cr_assert_eq(keyring_parse((uint8_t *)q, strlen(q), &back, &err), -1);
	cr_assert(strstr(err.msg, "unknown field \"extra\""), "%s", err.msg);
	free(q);
	cr_assert(asprintf(&q, "{\"version\":2,%s", p + 1) > 0);
	cr_assert_eq(keyring_parse((uint8_t *)q, strlen(q), &back, &err), -1);
	cr_assert(strstr(err.msg, "duplicate key \"version\""), "%s", err.msg);
	free(q);
	free(p);
}

Test(keyring, step_needs_both_thresholds_and_counts_a_key_once)
{
	struct keyring v1 = ring(1, 0), v2 = ring(2, 0);
	struct envelope e;
	struct err err;
	const int both[] = {0, 1}, one[] = {0};

	envelope_of(&v2, &e, both, 2);
	cr_assert_eq(keyring_step(&v1, &v2, &e, &err), 0, "%s", err.msg);
	envelope_release(&e);

	envelope_of(&v2, &e, one, 1);
	cr_assert_eq(keyring_step(&v1, &v2, &e, &err), -1);
	cr_assert(strstr(err.msg, "threshold not met: 1 of the 2"), "%s", err.msg);
	/* The same key's signature a second time (a copy of the entry) still counts once. */
	e.sigs[1].text = strdup(e.sigs[0].text);
	e.sigs[1].len = e.sigs[0].len;
	memcpy(e.sigs[1].keyid, e.sigs[0].keyid, MINISIGN_KEYID_BYTES);
	e.n_sigs = 2;
	cr_assert_eq(envelope_count(&e, v1.keyring_keys, v1.n_keyring), 1);
	cr_assert_eq(keyring_step(&v1, &v2, &e, &err), -1);
	envelope_release(&e);
}

Test(keyring, step_refuses_skipped_version_lower_floor_and_dropped_revocation)
{
	struct keyring v1 = ring(1, 5), v3 = ring(3, 5), low = ring(2, 4), unrev = ring(2, 5);
	struct envelope e;
	struct err err;
	const int both[] = {0, 1};

	envelope_of(&v3, &e, both, 2);
	cr_assert_eq(keyring_step(&v1, &v3, &e, &err), -1);
	cr_assert(strstr(err.msg, "cannot follow version 1"), "%s", err.msg);
	envelope_release(&e);
	envelope_of(&low, &e, both, 2);
	cr_assert_eq(keyring_step(&v1, &low, &e, &err), -1);
	cr_assert(strstr(err.msg, "lowers the floor from 5 to 4"), "%s", err.msg);
	envelope_release(&e);
	memcpy(v1.revoked[0], pk[1].keyid, MINISIGN_KEYID_BYTES);
	v1.n_revoked = 1;
	envelope_of(&unrev, &e, both, 2);
	cr_assert_eq(keyring_step(&v1, &unrev, &e, &err), -1);
	cr_assert(strstr(err.msg, "takes back the revocation"), "%s", err.msg);
	envelope_release(&e);
}

Test(keyring, judges_key_floor_and_expiry)
{
	struct keyring kr = ring(4, 10);
	struct minisign_pubkey got;
	struct err err;

	cr_assert_eq(keyring_release_key(&kr, pk[2].keyid, &got, &err), 0);
	cr_assert_eq(keyring_release_key(&kr, pk[0].keyid, &got, &err), -1);
	cr_assert(strstr(err.msg, "no release key of keyring version 4"), "%s", err.msg);
	cr_assert_eq(keyring_judge(&kr, 9, 100, &err), -1);
	cr_assert(strstr(err.msg, "below the floor 10"), "%s", err.msg);
	cr_assert_eq(keyring_judge(&kr, 10, 100, &err), 0);
	kr.expires = 100;
	cr_assert_eq(keyring_judge(&kr, 10, 99, &err), 0);
	cr_assert_eq(keyring_judge(&kr, 10, 100, &err), -1);
	cr_assert(strstr(err.msg, "expired at 1970-01-01T00:01:40Z"), "%s", err.msg);
}

Test(keyring, envelope_signs_the_pae_and_round_trips)
{
	struct keyring kr = ring(1, 0);
	struct envelope e, back;
	struct err err;
	const int both[] = {0, 1};
	uint8_t *pae = NULL;
	size_t len = 0, plen;
	char *line = NULL, want[64];

	envelope_of(&kr, &e, both, 2);
	cr_assert_eq(envelope_pae(&e, &pae, &len, &err), 0);
	plen = e.payload_len;
	snprintf(want, sizeof(want), "DSSEv1 %zu %s %zu ", strlen(KEYRING_TYPE), KEYRING_TYPE,
	         plen);
	cr_assert_eq(len, strlen(want) + plen);
	cr_assert(!memcmp(pae, want, strlen(want)));
	cr_assert_eq(envelope_format(&e, &line, &len, &err), 0);
	cr_assert_eq(envelope_parse(line, len - 1, "t", &back, &err), 0, "%s", err.msg);
	cr_assert_eq(envelope_count(&back, kr.keyring_keys, kr.n_keyring), 2);
	/* Another type: the same signatures count for nothing. */
	free(back.type);
	back.type = strdup("application/vnd.slipway.channel+json");
	cr_assert_eq(envelope_count(&back, kr.keyring_keys, kr.n_keyring), 0);
	envelope_release(&back);
	envelope_release(&e);
	free(pae);
	free(line);
}

/* ring(1, 0) requiring 2 reproductions by keys 3 and 4. */
static struct keyring ring_repro(void)
{
	struct keyring kr = ring(1, 0);

	kr.reproductions.rebuilder_keys[0] = pk[4];
	kr.reproductions.rebuilder_keys[1] = pk[3];
	kr.reproductions.n_keys = 2;
	kr.reproductions.required = 2;
	return kr;
}

/* The payload of kr with the first `from` replaced by `to` (heap). */
static char *edited(const struct keyring *kr, const char *from, const char *to)
{
	struct err err;
	char *p = NULL, *q = NULL, *at;
	size_t len = 0;

	cr_assert_eq(keyring_payload(kr, &p, &len, &err), 0, "%s", err.msg);
	at = strstr(p, from);
	cr_assert(at, "%s not in %s", from, p);
	cr_assert(asprintf(&q, "%.*s%s%s", (int)(at - p), p, to, at + strlen(from)) > 0);
	free(p);
	return q;
}

static void refused(const char *payload, const char *why)
{
	struct keyring back;
	struct err err;

	cr_assert_eq(keyring_parse((const uint8_t *)payload, strlen(payload), &back, &err), -1,
	             "accepted: %s", payload);
	cr_assert(strstr(err.msg, why), "%s (wanted %s)", err.msg, why);
}

Test(keyring, reproductions_round_trip_in_canonical_form)
{
	struct keyring kr = ring_repro(), plain = ring(1, 0), back;
	struct err err;
	char *p = NULL, *q, *at;
	size_t len = 0;

	cr_assert_eq(keyring_payload(&kr, &p, &len, &err), 0, "%s", err.msg);
	at = strstr(p, "],\"reproductions\":{\"rebuilder_keys\":[\"");
	cr_assert(at && strstr(at, "],\"required\":2},\"revoked\":["), "%s", p);
	cr_assert_eq(keyring_parse((uint8_t *)p, len, &back, &err), 0, "%s", err.msg);
	cr_assert_eq(back.reproductions.required, 2);
	cr_assert_eq(back.reproductions.n_keys, 2);
	/* Sorted by key id as printed, whatever order they were given in. */
	{
		char x[17], y[17];
		const struct minisign_pubkey *first;

		minisign_keyid_hex(pk[3].keyid, x);
		minisign_keyid_hex(pk[4].keyid, y);
		first = strcmp(x, y) < 0 ? &pk[3] : &pk[4];
		cr_assert_eq(memcmp(back.reproductions.rebuilder_keys[0].keyid, first->keyid,
		                    MINISIGN_KEYID_BYTES),
		             0);
	}
	free(p);
	/* No policy: no field, so every keyring written before the field stays canonical. */
	cr_assert_eq(keyring_payload(&plain, &p, &len, &err), 0);
	cr_assert_null(strstr(p, "reproductions"), "%s", p);
	free(p);
	/* The keys in the other order: another spelling, refused. */
	{
		char a[57], b[57];
		char *s;

		cr_assert_eq(keyring_payload(&kr, &p, &len, &err), 0);
		s = strstr(p, "\"rebuilder_keys\":[\"") + strlen("\"rebuilder_keys\":[\"");
		memcpy(a, s, 56);
		a[56] = '\0';
		memcpy(b, s + 59, 56);
		b[56] = '\0';
		memcpy(s, b, 56);
		memcpy(s + 59, a, 56);
		refused(p, "not in canonical form");
		free(p);
	}
	/* required 0 written out: no policy is spelled by leaving the field out. */
	q = edited(&kr, "\"required\":2", "\"required\":0");
	refused(q, "reproductions.required is 0");
	free(q);
}

Test(keyring, reproductions_refuses_unknown_duplicate_and_oversized)
{
	struct keyring kr = ring_repro(), both = ring_repro();
	struct err err;
	char *q, *p = NULL, big[17 * 60 + 32], key[57];
	size_t len = 0;

	q = edited(&kr, "\"required\":2", "\"required\":2,\"extra\":1");
	refused(q, "reproductions: unknown field \"extra\"");
	free(q);
	q = edited(&kr, "\"required\":2", "\"required\":2,\"required\":1");
	refused(q, "duplicate key \"required\"");
	free(q);
	q = edited(&kr, "\"required\":2", "\"required\":3");
	refused(q, "3 required of 2 rebuilder keys");
	free(q);
	q = edited(&kr, "\"required\":2", "\"required\":9007199254740992");
	refused(q, "required is not an integer");
	free(q);
	/* One key twice, and 17 keys. */
	cr_assert_eq(keyring_payload(&kr, &p, &len, &err), 0);
	memcpy(key, strstr(p, "\"rebuilder_keys\":[\"") + strlen("\"rebuilder_keys\":[\""), 56);
	key[56] = '\0';
	free(p);
	snprintf(big, sizeof(big), "\"rebuilder_keys\":[\"%s\",\"%s\"]", key, key);
	{
		char *s = NULL;
		size_t at;

		cr_assert_eq(keyring_payload(&kr, &p, &len, &err), 0);
		s = strstr(p, "\"rebuilder_keys\":[");
		at = (size_t)(s - p);
		cr_assert(
		    asprintf(&q, "%.*s%s%s", (int)at, p, big, strstr(s, "],\"required\"") + 1) > 0);
		refused(q, "rebuilder_keys lists a key twice");
		free(q);
		len = (size_t)snprintf(big, sizeof(big), "\"rebuilder_keys\":[");
		for (int i = 0; i < 17; i++)
			len += (size_t)snprintf(big + len, sizeof(big) - len, "%s\"%s\"",
			                        i ? "," : "", key);
		snprintf(big + len, sizeof(big) - len, "]");
		cr_assert(
		    asprintf(&q, "%.*s%s%s", (int)at, p, big, strstr(s, "],\"required\"") + 1) > 0);
		refused(q, "rebuilder_keys has more than 16 keys");
		free(q);
		free(p);
	}
	/* A rebuilder key that signs releases, or is revoked, vouches for nothing. */
	both.reproductions.rebuilder_keys[1] = pk[2];
	cr_assert_eq(keyring_payload(&both, &p, &len, &err), -1);
	cr_assert(strstr(err.msg, "both a release key and a rebuilder key"), "%s", err.msg);
	both = ring_repro();
	memcpy(both.revoked[0], pk[3].keyid, MINISIGN_KEYID_BYTES);
	both.n_revoked = 1;
	cr_assert_eq(keyring_payload(&both, &p, &len, &err), -1);
	cr_assert(strstr(err.msg, "both a rebuilder key and revoked"), "%s", err.msg);
}

static bool signed_by_all(const struct minisign_pubkey *key, void *ctx)
{
	(void)key;
	(*(int *)ctx)++;
	return true;
}

Test(keyring, threshold_count_counts_a_key_once)
{
	const struct minisign_pubkey keys[] = {pk[3], pk[3], pk[4]};
	int asked = 0;

	cr_assert_eq(threshold_count(keys, 3, signed_by_all, &asked), 2);
	cr_assert_eq(asked, 2, "a listed-twice key is asked once");
}
