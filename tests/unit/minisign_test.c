/* minisign keys, signatures and trusted-comment fields. The fixtures were made by stock
 * minisign 0.11 (`minisign -G -W`, `minisign -S`, `minisign -S -l`): they are the
 * independent oracle for byte compatibility. TEST KEY ONLY: never use it for anything real. */
#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/sig/minisign.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char fx_pub[] = "untrusted comment: minisign public key B5692C9FD517C092\n"
                             "RWSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2\n";

static const char fx_sec[] =
    "untrusted comment: TEST KEY - slipway unit fixture, not for real use\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAksAX1Z8sabXULFvKzc"
    "G7I/vFZOCRk0uTSIOElAwQbEk39sh3TpVH0q5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2AAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

static const char fx_content[] = "slipway fixture\n";

static const char fx_sig[] =
    "untrusted comment: TEST signature\n"
    "RUSSwBfVnyxptcgsLZ3DPyBBh7vt8aTpTAiP6BmXnk5w82kQh7LRx4mCg7bn3B4NVlov55LuExCkMPrtkp7dePL5ys"
    "DVWVT5cAA=\n"
    "trusted comment: app:demo version:1.0.0 serial:3 file:fx.txt\n"
    "C/OIRN6/T3xEPkfep8uUl3mzUAW+iHoQD0+6uYJ+mSIQ74S6oNKE7J+HEDh+IcsqoQhCQcDMeEiiqqyCFO7iDA==\n";

static const char fx_legacy_sig[] =
    "untrusted comment: TEST legacy\n"
    "RWSSwBfVnyxptcZ3090z++1gCPiVEROEn7+QH6QdO4/9H102zIYStudRiUNGALTElweOM4urpDZ2UW0CdHyNzxjtQM"
    "oF8jbncAA=\n"
    "trusted comment: legacy test\n"
    "ztJZWpf8rmgaKGJU26tk2NssVacwTLdNtjqaJVCKFeus1gooHEFqsm86dR5leVkIdyQIftW2g9SlQvGHM2FxCw==\n";

/* A temporary file holding `content`, opened for reading; unlinked at once. */
static int temp_fd(const char *content, size_t len)
{
	char path[] = "/tmp/slipway-minisign-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	unlink(path);
	cr_assert_eq(write(fd, content, len), (ssize_t)len);
	return fd;
}

static struct minisign_pubkey fixture_pubkey(void)
{
	struct minisign_pubkey pk;
	struct err err;

	cr_assert_eq(minisign_pubkey_parse(fx_pub, strlen(fx_pub), &pk, &err), 0, "%s", err.msg);
	return pk;
}

static int verify_text(const char *sig, const char *content, unsigned flags, char **tc,
                       struct err *err)
{
	struct minisign_pubkey pk = fixture_pubkey();
	int fd = temp_fd(content, strlen(content));
	int rc = minisign_verify_fd(&pk, sig, strlen(sig), fd, flags, tc, err);

	close(fd);
	return rc;
}

Test(minisign, pubkey_parse_reads_keyid_like_minisign)
{
	struct minisign_pubkey pk = fixture_pubkey();
	char hex[17];

	minisign_keyid_hex(pk.keyid, hex);
	cr_assert_str_eq(hex, "B5692C9FD517C092");
}

/* The id of the failing CI run: minisign printed 28EACE222673DB6 for 028EACE222673DB6. */
Test(minisign, keyid_parse_takes_the_canonical_form_and_what_minisign_prints)
{
	static const uint8_t want[MINISIGN_KEYID_BYTES] = {0xB6, 0x3D, 0x67, 0x22,
	                                                   0xE2, 0xAC, 0x8E, 0x02};
	uint8_t id[MINISIGN_KEYID_BYTES];
	char hex[17];

	cr_assert_eq(minisign_keyid_parse("028EACE222673DB6", id), 0);
	cr_assert_arr_eq(id, want, sizeof(want));
	minisign_keyid_hex(id, hex);
	cr_assert_str_eq(hex, "028EACE222673DB6");
	/* the file formats' form is strict: 16 upper-case digits */
	cr_assert_eq(minisign_keyid_parse("28EACE222673DB6", id), -1);
	cr_assert_eq(minisign_keyid_parse("028eace222673db6", id), -1);
	cr_assert_eq(minisign_keyid_parse(NULL, id), -1);
	/* a user's id: minisign's print, either case, or the canonical form */
	memset(id, 0, sizeof(id));
	cr_assert_eq(minisign_keyid_parse_user("28EACE222673DB6", id), 0);
	cr_assert_arr_eq(id, want, sizeof(want));
	memset(id, 0, sizeof(id));
	cr_assert_eq(minisign_keyid_parse_user("028eace222673db6", id), 0);
	cr_assert_arr_eq(id, want, sizeof(want));
	cr_assert_eq(minisign_keyid_parse_user("1", id), 0);
	cr_assert_eq(id[0], 1);
	cr_assert_eq(id[7], 0);
	const char *bad[] = {
	    NULL,   "",      "0028EACE222673DB6", "+28EACE222673DB6", " 28EA", "28EA ", "0x28EA",
	    "28EG", "r1.pub"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(minisign_keyid_parse_user(bad[i], id), -1, "%s",
		             bad[i] ? bad[i] : "NULL");
}

Test(minisign, pubkey_format_round_trips_to_minisign_text)
{
	struct minisign_pubkey pk = fixture_pubkey();
	struct err err;
	char *text = NULL;

	cr_assert_eq(minisign_pubkey_format(&pk, &text, &err), 0, "%s", err.msg);
	cr_assert_str_eq(text, fx_pub);
	free(text);
}

Test(minisign, pubkey_parse_rejects_bad_inputs)
{
	struct minisign_pubkey pk;
	struct err err;
	static const char *bad[] = {
	    "",
	    "untrusted comment: x\n",
	    "untrusted comment: x\nRWSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH\n",
	    "untrusted comment: x\nRWSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2A\n",
	    "untrusted comment: x\nRWSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANr*2\n",
	    "comment: x\nRWSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2\n",
	    /* "RUS" decodes to "ED": a signature tag, not a key algorithm */
	    "untrusted comment: x\nRUSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2\n",
	    "untrusted comment: x\nRWSSwBfVnyxpta5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2\nx\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(minisign_pubkey_parse(bad[i], strlen(bad[i]), &pk, &err), -1,
		             "accepted bad key %zu", i);
}

Test(minisign, verify_accepts_stock_minisign_signature_and_returns_trusted_comment)
{
	struct err err;
	char *tc = NULL, *serial = NULL;

	cr_assert_eq(verify_text(fx_sig, fx_content, 0, &tc, &err), 0, "%s", err.msg);
	cr_assert_str_eq(tc, "app:demo version:1.0.0 serial:3 file:fx.txt");
	cr_assert_eq(minisign_comment_get(tc, "serial", &serial, &err), 0, "%s", err.msg);
	cr_assert_str_eq(serial, "3");
	free(serial);
	free(tc);
}

Test(minisign, verify_rejects_altered_file)
{
	struct err err;
	char *tc = NULL;

	cr_assert_eq(verify_text(fx_sig, "slipway fixturE\n", 0, &tc, &err), -1);
	cr_assert(strstr(err.msg, "signature does not match the file"), "%s", err.msg);
	cr_assert_null(tc);
}

Test(minisign, verify_rejects_trusted_comment_edit)
{
	char *sig = strdup(fx_sig), *p = strstr(sig, "serial:3");
	struct err err;

	p[7] = '9';
	cr_assert_eq(verify_text(sig, fx_content, 0, NULL, &err), -1);
	cr_assert(strstr(err.msg, "trusted comment signature does not match"), "%s", err.msg);
	cr_assert_eq(err.kind, ERR_REFUSED);
	free(sig);
}

Test(minisign, verify_rejects_other_key)
{
	struct minisign_seckey sk;
	struct minisign_pubkey other;
	struct err err;
	int fd = temp_fd(fx_content, strlen(fx_content));

	cr_assert_eq(minisign_keygen(&sk, &err), 0, "%s", err.msg);
	minisign_seckey_public(&sk, &other);
	minisign_seckey_wipe(&sk);
	cr_assert_eq(minisign_verify_fd(&other, fx_sig, strlen(fx_sig), fd, 0, NULL, &err), -1);
	cr_assert(strstr(err.msg, "signature made by another key"), "%s", err.msg);
	close(fd);
}

Test(minisign, legacy_signature_refused_unless_allowed)
{
	struct err err;
	char *tc = NULL;

	cr_assert_eq(verify_text(fx_legacy_sig, fx_content, 0, &tc, &err), -1);
	cr_assert(strstr(err.msg, "legacy signature refused"), "%s", err.msg);
	cr_assert_eq(verify_text(fx_legacy_sig, fx_content, MINISIGN_ALLOW_LEGACY, &tc, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(tc, "legacy test");
	free(tc);
	cr_assert_eq(verify_text(fx_legacy_sig, "changed\n", MINISIGN_ALLOW_LEGACY, NULL, &err),
	             -1);
	cr_assert(strstr(err.msg, "signature does not match the file"), "%s", err.msg);
}

Test(minisign, unencrypted_minisign_seckey_signs_byte_identically)
{
	struct minisign_seckey sk;
	struct err err;
	char *sig = NULL;
	int encrypted = -1, fd = temp_fd(fx_content, strlen(fx_content));

	cr_assert_eq(minisign_seckey_is_encrypted(fx_sec, strlen(fx_sec), &encrypted, &err), 0);
	cr_assert_eq(encrypted, 0);
	cr_assert_eq(minisign_seckey_parse(fx_sec, strlen(fx_sec), NULL, &sk, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(minisign_sign_fd(fd, &sk, "app:demo version:1.0.0 serial:3 file:fx.txt",
	                              "TEST signature", &sig, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(sig, fx_sig);
	minisign_seckey_wipe(&sk);
	free(sig);
	close(fd);
}

/* What pack does: the digest computed while the archive was written, signed without reading
 * the file again, gives stock minisign's signature. */
Test(minisign, signing_a_digest_equals_signing_the_file)
{
	struct minisign_seckey sk;
	struct err err;
	unsigned char digest[64];
	char *sig = NULL;
	EVP_MD_CTX *h = EVP_MD_CTX_new();

	cr_assert(EVP_DigestInit_ex(h, EVP_blake2b512(), NULL));
	EVP_DigestUpdate(h, fx_content, strlen(fx_content));
	EVP_DigestFinal_ex(h, digest, NULL);
	EVP_MD_CTX_free(h);
	cr_assert_eq(minisign_seckey_parse(fx_sec, strlen(fx_sec), NULL, &sk, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(minisign_sign_digest(digest, &sk,
	                                  "app:demo version:1.0.0 serial:3 file:fx.txt",
	                                  "TEST signature", &sig, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(sig, fx_sig);
	minisign_seckey_wipe(&sk);
	free(sig);
}

/* What install does with a copied archive: the digest computed while copying, verified. */
Test(minisign, verify_digest_accepts_the_signed_digest_only)
{
	struct minisign_pubkey pk = fixture_pubkey();
	unsigned char digest[64];
	struct err err;
	char *tc = NULL;
	EVP_MD_CTX *h = EVP_MD_CTX_new();

	cr_assert(EVP_DigestInit_ex(h, EVP_blake2b512(), NULL));
	EVP_DigestUpdate(h, fx_content, strlen(fx_content));
	EVP_DigestFinal_ex(h, digest, NULL);
	EVP_MD_CTX_free(h);
	cr_assert_eq(minisign_verify_digest(&pk, fx_sig, strlen(fx_sig), digest, &tc, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(tc, "app:demo version:1.0.0 serial:3 file:fx.txt");
	free(tc);
	digest[0] ^= 1;
	cr_assert_eq(minisign_verify_digest(&pk, fx_sig, strlen(fx_sig), digest, NULL, &err), -1);
	cr_assert(strstr(err.msg, "signature does not match the file"), "%s", err.msg);
	cr_assert_eq(
	    minisign_verify_digest(&pk, fx_legacy_sig, strlen(fx_legacy_sig), digest, NULL, &err),
	    -1);
	cr_assert(strstr(err.msg, "legacy signature refused"), "%s", err.msg);
}

Test(minisign, generated_key_signs_and_verifies_a_large_streamed_file)
{
	struct minisign_seckey sk;
	struct minisign_pubkey pk;
	struct err err;
	char *sig = NULL, *tc = NULL, *text = NULL;
	char path[] = "/tmp/slipway-minisign-big-XXXXXX";
	static char block[1 << 16];
	int fd = mkstemp(path), i;

	cr_assert_geq(fd, 0);
	unlink(path);
	for (i = 0; i < 64; i++) { /* 4 MiB: many read chunks */
		memset(block, i, sizeof(block));
		cr_assert_eq(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	}
	cr_assert_eq(minisign_keygen(&sk, &err), 0, "%s", err.msg);
	minisign_seckey_public(&sk, &pk);
	cr_assert_eq(minisign_sign_fd(fd, &sk, "t", NULL, &sig, &err), 0, "%s", err.msg);
	cr_assert(strstr(sig, "untrusted comment: " MINISIGN_DEFAULT_SIG_COMMENT "\n"));
	cr_assert_eq(minisign_verify_fd(&pk, sig, strlen(sig), fd, 0, &tc, &err), 0, "%s", err.msg);
	cr_assert_str_eq(tc, "t");
	/* the unencrypted secret key text parses back to the same key */
	cr_assert_eq(minisign_seckey_format(&sk, NULL, NULL, &text, &err), 0, "%s", err.msg);
	{
		struct minisign_seckey back;

		cr_assert_eq(minisign_seckey_parse(text, strlen(text), NULL, &back, &err), 0, "%s",
		             err.msg);
		cr_assert_eq(memcmp(&back, &sk, sizeof(sk)), 0);
		minisign_seckey_wipe(&back);
	}
	minisign_seckey_wipe(&sk);
	free(text);
	free(sig);
	free(tc);
	close(fd);
}

Test(minisign, sig_parse_rejects_malformed_text)
{
	struct minisign_sig sig;
	struct err err;
	char *t;
	size_t len = strlen(fx_sig);

	cr_assert_eq(minisign_sig_parse(fx_sig, len, &sig, &err), 0, "%s", err.msg);
	minisign_sig_release(&sig);
	cr_assert_eq(minisign_sig_parse("", 0, &sig, &err), -1);
	cr_assert(strstr(err.msg, "empty"), "%s", err.msg);
	cr_assert_eq(minisign_sig_parse(fx_sig, len / 2, &sig, &err), -1);
	cr_assert(strstr(err.msg, "malformed signature"), "%s", err.msg);

	t = strdup(fx_sig); /* bad base64 character in line 2 */
	t[strlen("untrusted comment: TEST signature\n") + 5] = '!';
	cr_assert_eq(minisign_sig_parse(t, len, &sig, &err), -1);
	cr_assert(strstr(err.msg, "line 2"), "%s", err.msg);
	free(t);

	t = strdup(fx_sig); /* missing "trusted comment: " prefix */
	memcpy(strstr(t, "trusted comment: app"), "trustee", 7);
	cr_assert_eq(minisign_sig_parse(t, len, &sig, &err), -1);
	cr_assert(strstr(err.msg, "line 3"), "%s", err.msg);
	free(t);

	cr_assert(asprintf(&t, "%sextra\n", fx_sig) > 0);
	cr_assert_eq(minisign_sig_parse(t, strlen(t), &sig, &err), -1);
	cr_assert(strstr(err.msg, "trailing data"), "%s", err.msg);
	free(t);
}

Test(minisign, comment_get_finds_exact_fields)
{
	struct err err;
	char *v = NULL;
	const char *tc = "app:x version:1.2.3+b serial:7\tfile:a:b.tar.zst";

	cr_assert_eq(minisign_comment_get(tc, "version", &v, &err), 0, "%s", err.msg);
	cr_assert_str_eq(v, "1.2.3+b");
	free(v);
	cr_assert_eq(minisign_comment_get(tc, "serial", &v, &err), 0, "%s", err.msg);
	cr_assert_str_eq(v, "7");
	free(v);
	cr_assert_eq(minisign_comment_get(tc, "file", &v, &err), 0, "%s", err.msg);
	cr_assert_str_eq(v, "a:b.tar.zst");
	free(v);
	cr_assert_eq(minisign_comment_get(tc, "ser", &v, &err), -1);
	cr_assert_null(v);
	cr_assert_eq(minisign_comment_get("xserial:1", "serial", &v, &err), -1);
	cr_assert_eq(minisign_comment_get("serial:1 serial:2", "serial", &v, &err), -1);
	cr_assert(strstr(err.msg, "twice"), "%s", err.msg);
	cr_assert_eq(minisign_comment_get("serial: 5", "serial", &v, &err), -1);
	cr_assert(strstr(err.msg, "empty"), "%s", err.msg);
}

Test(minisign, trusted_comment_builder_round_trips_and_refuses_spaces)
{
	struct err err;
	char *tc = NULL, *v = NULL;

	cr_assert_eq(minisign_trusted_comment("mediai", "1.4.0", 42, "mediai-1.4.0.tar.zst", NULL,
	                                      &tc, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(tc, "app:mediai version:1.4.0 serial:42 file:mediai-1.4.0.tar.zst");
	cr_assert_eq(minisign_comment_get(tc, "app", &v, &err), 0, "%s", err.msg);
	cr_assert_str_eq(v, "mediai");
	free(v);
	free(tc);
	cr_assert_eq(minisign_trusted_comment("a b", "1", 1, "f", NULL, &tc, &err), -1);
	cr_assert_eq(minisign_trusted_comment("a", "1\n", 1, "f", NULL, &tc, &err), -1);
	cr_assert_eq(minisign_trusted_comment("a", "", 1, "f", NULL, &tc, &err), -1);
	cr_assert_null(tc);
}

Test(minisign, check_digest_accepts_only_the_signed_hash)
{
	struct minisign_pubkey pk = fixture_pubkey();
	struct minisign_sig sig, legacy;
	uint8_t digest[64];
	unsigned int n = 0;
	struct err err;

	cr_assert_eq(EVP_Digest(fx_content, strlen(fx_content), digest, &n, EVP_blake2b512(), NULL),
	             1);
	cr_assert_eq(minisign_sig_parse(fx_sig, strlen(fx_sig), &sig, &err), 0, "%s", err.msg);
	cr_assert_eq(minisign_sig_check_digest(&pk, &sig, digest, &err), 0, "%s", err.msg);
	digest[17] ^= 1;
	cr_assert_eq(minisign_sig_check_digest(&pk, &sig, digest, &err), -1);
	cr_assert(strstr(err.msg, "signature does not match the file"), "%s", err.msg);
	cr_assert_eq(minisign_sig_parse(fx_legacy_sig, strlen(fx_legacy_sig), &legacy, &err), 0);
	cr_assert_eq(minisign_sig_check_digest(&pk, &legacy, digest, &err), -1);
	minisign_sig_release(&sig);
	minisign_sig_release(&legacy);
}

Test(minisign, verify_reads_from_offset_zero_and_leaves_the_position_alone)
{
	struct minisign_pubkey pk = fixture_pubkey();
	struct err err;
	int fd = temp_fd(fx_content, strlen(fx_content));

	cr_assert_eq(lseek(fd, 5, SEEK_SET), 5);
	cr_assert_eq(minisign_verify_fd(&pk, fx_sig, strlen(fx_sig), fd, 0, NULL, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 5);
	close(fd);
}
