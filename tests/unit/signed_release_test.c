#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/manifest/manifest_digest.h"
#include "release/sig/keyring.h"
#include "release/sig/minisign.h"
#include "release/store/signed_release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A valid manifest (manifest_test.c's, shortened). */
static const char *mf = "{\n"
                        "  \"format\": 1,\n"
                        "  \"app\": \"mediai\",\n"
                        "  \"version\": \"1.4.0\",\n"
                        "  \"serial\": 42,\n"
                        "  \"commit\": \"1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d\",\n"
                        "  \"dirty\": false,\n"
                        "  \"build_time\": \"2026-11-25T06:00:00Z\",\n"
                        "  \"slipway_version\": \"0.1.0\",\n"
                        "  \"secrets\": {\"required\": [], \"optional\": []},\n"
                        "  \"services\": [\n"
                        "    {\n"
                        "      \"name\": \"web\",\n"
                        "      \"argv\": [\"node\", \"server.js\"],\n"
                        "      \"cwd\": \"\",\n"
                        "      \"env\": {},\n"
                        "      \"port\": 5000,\n"
                        "      \"ready\": \"http\",\n"
                        "      \"ready_path\": \"/\",\n"
                        "      \"ready_timeout_ms\": 30000,\n"
                        "      \"stop_timeout_ms\": 30000\n"
                        "    }\n"
                        "  ],\n"
                        "  \"files\": [\n"
                        "    {\"path\": \"server.js\", \"type\": \"file\", \"mode\": \"0644\", "
                        "\"size\": 0, \"sha256\": "
                        "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}\n"
                        "  ]\n"
                        "}\n";

static struct minisign_seckey sk;
static struct keyring kr;
static uint8_t archive_digest[64];

static void setup(void)
{
	struct minisign_pubkey pk;
	struct err err;

	cr_assert_eq(minisign_keygen(&sk, &err), 0, "%s", err.msg);
	minisign_seckey_public(&sk, &pk);
	keyring_implicit(&pk, &kr);
	memset(archive_digest, 0x5a, sizeof(archive_digest));
}

/* A signature whose trusted comment carries `mhex` as manifest: (NULL: no field). */
static char *sign_with(const char *mhex)
{
	struct err err;
	char *tc = NULL, *sig = NULL;

	cr_assert_eq(minisign_trusted_comment("mediai", "1.4.0", 42, "mediai-1.4.0.tar.zst", mhex,
	                                      &tc, &err),
	             0, "%s", err.msg);
	cr_assert_eq(minisign_sign_digest(archive_digest, &sk, tc, NULL, &sig, &err), 0, "%s",
	             err.msg);
	free(tc);
	return sig;
}

static char *sign_good(void)
{
	char hex[65];

	manifest_digest_hex(mf, strlen(mf), hex);
	return sign_with(hex);
}

TestSuite(signed_release, .init = setup);

Test(signed_release, accepts_the_signed_manifest_with_and_without_the_archive_digest)
{
	struct signed_release s;
	struct manifest *m = NULL;
	struct err err;
	char *sig = sign_good();

	cr_assert_eq(signed_release_open(&kr, sig, strlen(sig), NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_str_eq(s.app, "mediai");
	cr_assert_str_eq(s.version, "1.4.0");
	cr_assert_eq(s.serial, 42);
	cr_assert_not(s.file_checked);
	cr_assert_eq(signed_release_manifest(&s, mf, strlen(mf), &m, &err), 0, "%s", err.msg);
	cr_assert_eq(m->n_files, 1);
	manifest_free(m);
	signed_release_release(&s);
	cr_assert_eq(signed_release_open(&kr, sig, strlen(sig), archive_digest, &s, &err), 0, "%s",
	             err.msg);
	cr_assert(s.file_checked);
	signed_release_release(&s);
	free(sig);
}

Test(signed_release, refuses_a_comment_without_the_manifest_field)
{
	struct signed_release s;
	struct err err;
	char *sig = sign_with(NULL);

	cr_assert_eq(signed_release_open(&kr, sig, strlen(sig), NULL, &s, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "no manifest: field"), "%s", err.msg);
	cr_assert_null(s.app);
	free(sig);
}

Test(signed_release, refuses_a_manifest_of_another_digest)
{
	struct signed_release s;
	struct manifest *m = NULL;
	struct err err;
	char *sig = sign_good(), *edited = strdup(mf);

	cr_assert_eq(signed_release_open(&kr, sig, strlen(sig), NULL, &s, &err), 0, "%s", err.msg);
	/* One byte changed, still a valid manifest: only the digest can tell. */
	*strstr(edited, "5000") = '6';
	cr_assert_eq(signed_release_manifest(&s, edited, strlen(edited), &m, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "is not the signed comment's manifest:"), "%s", err.msg);
	cr_assert_null(m);
	/* Truncated. */
	cr_assert_eq(signed_release_manifest(&s, mf, strlen(mf) - 1, &m, &err), -1);
	signed_release_release(&s);
	free(edited);
	free(sig);
}

Test(signed_release, refuses_a_tampered_comment)
{
	struct signed_release s;
	struct err err;
	char hex[65], *sig = sign_good(), *p;

	/* Point manifest: at another manifest's digest: the global signature breaks. */
	manifest_digest_hex("{}", 2, hex);
	p = strstr(sig, "manifest:");
	cr_assert_not_null(p);
	memcpy(p + 9, hex, 64);
	cr_assert_eq(signed_release_open(&kr, sig, strlen(sig), NULL, &s, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "trusted comment signature does not match"), "%s", err.msg);
	free(sig);
}

Test(signed_release, refuses_another_archive_digest_and_another_key)
{
	struct signed_release s;
	struct minisign_seckey other;
	struct minisign_pubkey opk;
	struct keyring okr;
	struct err err;
	uint8_t wrong[64];
	char *sig = sign_good();

	memset(wrong, 0x5b, sizeof(wrong));
	cr_assert_eq(signed_release_open(&kr, sig, strlen(sig), wrong, &s, &err), -1);
	cr_assert(strstr(err.msg, "signature does not match the file"), "%s", err.msg);
	cr_assert_eq(minisign_keygen(&other, &err), 0);
	minisign_seckey_public(&other, &opk);
	keyring_implicit(&opk, &okr);
	cr_assert_eq(signed_release_open(&okr, sig, strlen(sig), NULL, &s, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	free(sig);
}

Test(minisign_comment, manifest_field_written_last_and_checked)
{
	struct err err;
	char *tc = NULL, *v = NULL, hex[65];

	manifest_digest_hex(mf, strlen(mf), hex);
	cr_assert_eq(minisign_trusted_comment("a", "1", 1, "a-1.tar.zst", hex, &tc, &err), 0);
	cr_assert_eq(minisign_comment_get(tc, "manifest", &v, &err), 0);
	cr_assert_str_eq(v, hex);
	free(v);
	cr_assert_eq(minisign_comment_get(tc, "file", &v, &err), 0, "%s", err.msg);
	cr_assert_str_eq(v, "a-1.tar.zst");
	free(v);
	free(tc);
	hex[3] = 'G';
	cr_assert_eq(minisign_trusted_comment("a", "1", 1, "f", hex, &tc, &err), -1);
	cr_assert_eq(minisign_trusted_comment("a", "1", 1, "f", "abc", &tc, &err), -1);
}
