/* The channel index (specs/channel.md): canonical payload, strict parse, bounds, and the
 * host's verdict (signed by a release key, not expired). Keys are generated per test: TEST
 * KEYS ONLY. */
#include <criterion/criterion.h>

#include "release/base/clock.h"
#include "release/sig/channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct minisign_seckey sk[2];
static struct minisign_pubkey pk[2]; /* 0 the release key, 1 an outsider */

static void keys(void)
{
	struct err err;

	for (int i = 0; i < 2; i++) {
		cr_assert_eq(minisign_keygen(&sk[i], &err), 0, "%s", err.msg);
		minisign_seckey_public(&sk[i], &pk[i]);
	}
}

TestSuite(channel, .init = keys);

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct channel_index sample(void)
{
	struct channel_index ci = {.serial = 1796480116, .expires = 1797000000};

	strcpy(ci.app, "mediai");
	strcpy(ci.latest.version, "1.4.0+g1a2b3c4");
	ci.latest.serial = 42;
	strcpy(ci.latest.archive, "mediai-1.4.0+g1a2b3c4.tar.zst");
	ci.latest.size = 123456;
	strcpy(ci.latest.sha256, HEX_A);
	strcpy(ci.latest.manifest_sha256, HEX_B);
	ci.latest.seek_table_size = 1234;
	return ci;
}

static char *payload_of(const struct channel_index *ci)
{
	struct err err;
	char *p;
	size_t len;

	cr_assert_eq(channel_payload(ci, &p, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(p), len);
	return p;
}

static int parse_text(const char *text, struct channel_index *out, struct err *err)
{
	return channel_parse((const uint8_t *)text, strlen(text), out, err);
}

Test(channel, payload_is_canonical_sorted_and_round_trips)
{
	struct channel_index ci = sample(), back;
	struct err err;
	char *p = payload_of(&ci);

	cr_assert_str_eq(
	    p, "{\"app\":\"mediai\",\"expires\":\"2026-12-11T14:40:00Z\",\"latest\":{\"archive\":"
	       "\"mediai-1.4.0+g1a2b3c4.tar.zst\",\"manifest_sha256\":\"" HEX_B
	       "\",\"seek_table_size\":1234,\"serial\":42,\"sha256\":\"" HEX_A
	       "\",\"size\":123456,\"version\":\"1.4.0+g1a2b3c4\"},\"serial\":1796480116}");
	cr_assert_eq(parse_text(p, &back, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&back, &ci, sizeof(ci)), 0);
	free(p);
}

#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static struct channel_index sample_patched(void)
{
	struct channel_index ci = sample();

	ci.latest.has_patches = true;
	strcpy(ci.latest.patches.from, "1.3.9");
	strcpy(ci.latest.patches.file, "mediai-1.4.0+g1a2b3c4.from-1.3.9.patches");
	ci.latest.patches.size = 777;
	strcpy(ci.latest.patches.sha256, HEX_C);
	return ci;
}

/* Replaces the first `from` in the canonical payload of ci with `to` and parses. */
static void refused_in(struct channel_index ci, const char *from, const char *to, const char *why)
{
	struct channel_index back;
	struct err err;
	char *p = payload_of(&ci), buf[4096], *at = strstr(p, from);

	cr_assert_not_null(at, "%s not in %s", from, p);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - p), p, to, at + strlen(from));
	cr_assert_eq(parse_text(buf, &back, &err), -1, "accepted: %s", buf);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, why), "message '%s' lacks '%s'", err.msg, why);
	free(p);
}

static void refused(const char *from, const char *to, const char *why)
{
	refused_in(sample(), from, to, why);
}

Test(channel, parse_refuses_unknown_missing_and_mistyped_fields)
{
	refused("{\"app\"", "{\"zzz\":1,\"app\"", "unknown field \"zzz\"");
	refused("\"serial\":42,", "", "a field of latest is missing");
	refused("\"size\":123456", "\"size\":\"123456\"", "size is not an integer");
	refused("\"serial\":1796480116", "\"serial\":-1", "serial is not an integer");
	refused("\"serial\":1796480116", "\"serial\":9007199254740992", "serial is not an integer");
	refused("\"latest\":{", "\"latest\":[],\"x\":{", "unknown field");
}

Test(channel, parse_refuses_what_is_not_canonical)
{
	refused("{\"app\":\"mediai\",", "{ \"app\":\"mediai\",", "canonical");
	refused("\"serial\":42", "\"serial\":42.0", "serial is not an integer");
	refused("\"app\":\"mediai\"", "\"app\":\"medi\\u0061i\"", "canonical");
	refused("2026-12-11T14:40:00Z", "2026-12-11T14:40:00+00:00", "expires is not");
	refused("2026-12-11T14:40:00Z", "2026-02-30T14:40:00Z", "expires is not a UTC time");
}

Test(channel, parse_refuses_unsafe_names_and_bad_digests)
{
	refused("mediai-1.4.0+g1a2b3c4.tar.zst", "../x.tar.zst", "latest.archive");
	refused("mediai-1.4.0+g1a2b3c4.tar.zst", ".hidden", "latest.archive");
	refused("\"app\":\"mediai\"", "\"app\":\"a b\"", "app is not");
	refused("\"app\":\"mediai\"", "\"app\":\"\"", "app is not");
	refused(HEX_A, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	        "digest");
	refused(HEX_B, "0123", "digest");
	refused("\"seek_table_size\":1234", "\"seek_table_size\":123456", "seek_table_size");
}

Test(channel, payload_refuses_a_name_over_the_bound)
{
	struct channel_index ci = sample();
	struct err err;
	char *p = NULL;
	size_t len;

	memset(ci.latest.version, 'v', CHANNEL_NAME_MAX);
	ci.latest.version[CHANNEL_NAME_MAX] = '\0';
	cr_assert_eq(channel_payload(&ci, &p, &len, &err), 0, "%s", err.msg);
	free(p);
	refused("\"version\":\"1.4.0+g1a2b3c4\"",
	        "\"version\":\""
	        "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
	        "vvvvvv"
	        "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\"",
	        "version");
}

Test(channel, patches_sort_between_manifest_and_seek_table_and_round_trip)
{
	struct channel_index ci = sample_patched(), back;
	struct err err;
	char *p = payload_of(&ci);

	cr_assert_str_eq(
	    p, "{\"app\":\"mediai\",\"expires\":\"2026-12-11T14:40:00Z\",\"latest\":{\"archive\":"
	       "\"mediai-1.4.0+g1a2b3c4.tar.zst\",\"manifest_sha256\":\"" HEX_B
	       "\",\"patches\":{\"file\":\"mediai-1.4.0+g1a2b3c4.from-1.3.9.patches\",\"from\":"
	       "\"1.3.9\",\"sha256\":\"" HEX_C "\",\"size\":777},"
	       "\"seek_table_size\":1234,\"serial\":42,\"sha256\":\"" HEX_A
	       "\",\"size\":123456,\"version\":\"1.4.0+g1a2b3c4\"},\"serial\":1796480116}");
	cr_assert_eq(parse_text(p, &back, &err), 0, "%s", err.msg);
	cr_assert(back.latest.has_patches);
	cr_assert_eq(memcmp(&back, &ci, sizeof(ci)), 0);
	free(p);
}

Test(channel, parse_refuses_bad_patches)
{
	struct channel_index ci = sample_patched();

	refused_in(ci, "\"from\":\"1.3.9\",", "", "a field of latest.patches is missing");
	refused_in(ci, "\"size\":777", "\"size\":777,\"zzz\":1", "unknown field \"zzz\"");
	refused_in(ci, "mediai-1.4.0+g1a2b3c4.from-1.3.9.patches", "../x.patches",
	           "latest.patches.file");
	refused_in(ci, "mediai-1.4.0+g1a2b3c4.from-1.3.9.patches", ".x", "latest.patches.file");
	refused_in(ci, "\"from\":\"1.3.9\"", "\"from\":\"1 3\"", "latest.patches.from");
	refused_in(ci, HEX_C, "0123", "digest");
	refused_in(ci, "\"size\":777", "\"size\":-1", "size is not an integer");
	refused_in(ci, "\"patches\":{", "\"patches\":[],\"x\":{", "unknown field");
}

Test(channel, patches_file_name_has_its_own_bound)
{
	struct channel_index ci = sample_patched();
	struct err err;
	char *p = NULL;
	size_t len;

	memset(ci.latest.patches.file, 'f', CHANNEL_FILE_MAX);
	ci.latest.patches.file[CHANNEL_FILE_MAX] = '\0';
	cr_assert_gt(CHANNEL_FILE_MAX, CHANNEL_NAME_MAX);
	cr_assert_eq(channel_payload(&ci, &p, &len, &err), 0, "%s", err.msg);
	free(p);
	ci.latest.patches.file[0] = '\0';
	cr_assert_eq(channel_payload(&ci, &p, &len, &err), -1);
	cr_assert(strstr(err.msg, "latest.patches.file"), "%s", err.msg);
}

/* A patch set against the previous release and two against older ones. */
static struct channel_index sample_older(void)
{
	struct channel_index ci = sample_patched();
	const char *from[] = {"1.3.8", "1.3.7"};

	ci.latest.n_older = 2;
	for (size_t i = 0; i < 2; i++) {
		struct channel_patches *o = &ci.latest.older[i];

		strcpy(o->from, from[i]);
		snprintf(o->file, sizeof(o->file), "mediai-1.4.0+g1a2b3c4.from-%s.patches",
		         from[i]);
		o->size = 1000 + i;
		strcpy(o->sha256, HEX_A);
	}
	return ci;
}

Test(channel, older_patches_sort_before_patches_and_round_trip)
{
	struct channel_index ci = sample_older(), back;
	struct err err;
	char *p = payload_of(&ci);

	cr_assert(strstr(p, "\"manifest_sha256\":\"" HEX_B "\",\"older_patches\":[{\"file\":"
	                    "\"mediai-1.4.0+g1a2b3c4.from-1.3.8.patches\",\"from\":\"1.3.8\","
	                    "\"sha256\":\"" HEX_A "\",\"size\":1000},{\"file\":"
	                    "\"mediai-1.4.0+g1a2b3c4.from-1.3.7.patches\",\"from\":\"1.3.7\","
	                    "\"sha256\":\"" HEX_A "\",\"size\":1001}],\"patches\":{"),
	          "%s", p);
	cr_assert_eq(parse_text(p, &back, &err), 0, "%s", err.msg);
	cr_assert_eq(back.latest.n_older, 2);
	cr_assert_eq(memcmp(&back, &ci, sizeof(ci)), 0);
	cr_assert_eq(channel_patches_from(&back.latest, "1.3.9"), &back.latest.patches);
	cr_assert_eq(channel_patches_from(&back.latest, "1.3.7"), &back.latest.older[1]);
	cr_assert_null(channel_patches_from(&back.latest, "1.3.6"));
	free(p);
}

Test(channel, parse_refuses_bad_older_patches)
{
	struct channel_index ci = sample_older();
	struct err err;
	char *p;
	size_t len;

	refused_in(ci, "\"older_patches\":[", "\"older_patches\":[],\"x\":[", "unknown field");
	refused_in(ci, "\"older_patches\":[", "\"older_patches\":[[],", "not an object");
	refused_in(ci, "\"from\":\"1.3.7\"", "\"from\":\"1.3.9\"", "two patch sets");
	refused_in(ci, "\"from\":\"1.3.7\"", "\"from\":\"1.4.0+g1a2b3c4\"",
	           "made against latest.version");
	refused_in(ci, "from-1.3.7.patches", "from-1.3.8.patches", "two patch sets");
	refused_in(ci, "\"from\":\"1.3.7\"", "\"from\":\"1/3\"", "latest.older_patches[1].from");
	refused_in(ci, "\"size\":1001}", "\"size\":1001,\"kept\":true}", "unknown field");
	/* At most CHANNEL_OLDER_MAX entries, written or read. */
	ci.latest.n_older = CHANNEL_OLDER_MAX + 1;
	cr_assert_eq(channel_payload(&ci, &p, &len, &err), -1);
	cr_assert(strstr(err.msg, "more than"), "%s", err.msg);
}

Test(channel, parse_refuses_older_patches_that_are_no_array_of_1_to_7)
{
	struct channel_index ci = sample_older(), back;
	struct err err;
	char *p = payload_of(&ci), buf[8192];
	char *a = strstr(p, "\"older_patches\":["), *z = strstr(p, "],\"patches\":");
	const char *bad[] = {"7", "{}", "[]", "\"x\""};

	cr_assert(a && z);
	a += strlen("\"older_patches\":");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(a - p), p, bad[i], z + 1);
		cr_assert_eq(parse_text(buf, &back, &err), -1, "accepted: %s", buf);
		cr_assert(strstr(err.msg, "not an array of 1 to 7"), "%s", err.msg);
	}
	free(p);
}

Test(channel, an_index_of_older_patches_alone_is_valid)
{
	struct channel_index ci = sample_older(), back;
	struct err err;
	char *p;

	ci.latest.has_patches = false;
	memset(&ci.latest.patches, 0, sizeof(ci.latest.patches));
	p = payload_of(&ci);
	cr_assert_null(strstr(p, "\"patches\":{"));
	cr_assert_eq(parse_text(p, &back, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&back, &ci, sizeof(ci)), 0);
	free(p);
}

/* The envelope line signed by key `k`, of `type`. */
static char *signed_line(const struct channel_index *ci, int k, const char *type)
{
	struct envelope e = {0};
	struct err err;
	char *p = payload_of(ci), *line;
	size_t len;

	cr_assert_eq(envelope_init(&e, type, p, strlen(p), &err), 0, "%s", err.msg);
	cr_assert_eq(envelope_sign(&e, &sk[k], "slipway channel TEST", NULL, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(envelope_format(&e, &line, &len, &err), 0, "%s", err.msg);
	envelope_release(&e);
	free(p);
	return line;
}

Test(channel, verify_needs_a_release_key_the_type_and_time)
{
	struct channel_index ci = sample(), out;
	struct keyring kr;
	struct err err;
	char *good = signed_line(&ci, 0, CHANNEL_TYPE),
	     *outsider = signed_line(&ci, 1, CHANNEL_TYPE),
	     *keyring_type = signed_line(&ci, 0, KEYRING_TYPE);

	keyring_implicit(&pk[0], &kr);
	cr_assert_eq(channel_verify(good, strlen(good), &kr, ci.expires - 1, &out, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(out.serial, ci.serial);
	cr_assert_eq(channel_verify(good, strlen(good), &kr, ci.expires, &out, &err), -1);
	cr_assert(strstr(err.msg, "expired at 2026-12-11T14:40:00Z"), "%s", err.msg);
	cr_assert_eq(channel_verify(outsider, strlen(outsider), &kr, 0, &out, &err), -1);
	cr_assert(strstr(err.msg, "not signed by a release key"), "%s", err.msg);
	cr_assert_eq(channel_verify(keyring_type, strlen(keyring_type), &kr, 0, &out, &err), -1);
	cr_assert(strstr(err.msg, "payloadType"), "%s", err.msg);
	free(good);
	free(outsider);
	free(keyring_type);
}

Test(channel, iso_time_round_trips_and_refuses_loose_forms)
{
	time_t t;

	cr_assert(clock_parse_iso_utc("1970-01-01T00:00:00Z", &t) && t == 0);
	cr_assert(clock_parse_iso_utc("2026-12-11T14:40:00Z", &t) && t == 1797000000);
	cr_assert(!clock_parse_iso_utc("2026-12-11 14:40:00Z", &t));
	cr_assert(!clock_parse_iso_utc("2026-12-11T14:40:00z", &t));
	cr_assert(!clock_parse_iso_utc("2026-13-01T00:00:00Z", &t));
	cr_assert(!clock_parse_iso_utc("2026-12-11T24:00:00Z", &t));
	cr_assert(!clock_parse_iso_utc("+026-12-11T14:40:00Z", &t));
	cr_assert(!clock_parse_iso_utc("1969-12-31T23:59:59Z", &t));
}
