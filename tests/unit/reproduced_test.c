/* The reproduction policy's count (specs/trust.md "Reproduction policy"): distinct rebuilder
 * keys whose attestation verifies and names the archive; the file's form read strictly. Keys
 * are generated per test: TEST KEYS ONLY. tests/e2e/t_reproductions.sh drives the same rule
 * through deploy, with attestations made by python3-securesystemslib's side too. */
#include <criterion/criterion.h>

#include "release/sig/provenance.h"
#include "release/sig/reproduced.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static struct minisign_seckey sk[3];
static struct keyring kr; /* rebuilders 0 and 1, 2 required; key 2 is an outsider */

static void setup(void)
{
	struct minisign_pubkey pk;
	struct err err;

	memset(&kr, 0, sizeof(kr));
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(minisign_keygen(&sk[i], &err), 0, "%s", err.msg);
		minisign_seckey_public(&sk[i], &pk);
		if (i < 2)
			kr.reproductions.rebuilder_keys[kr.reproductions.n_keys++] = pk;
	}
	kr.version = 3;
	kr.reproductions.required = 2;
}

TestSuite(reproduced, .init = setup);

/* Appends an attestation of `sha` by key i to *text. */
static void attest(char **text, int i, const char *sha)
{
	struct err err;
	char *line = NULL, *all = NULL;
	size_t len = 0;

	cr_assert_eq(
	    provenance_reproduced("demo.tar.zst", sha, "c0ffee", "test", &sk[i], &line, &len, &err),
	    0, "%s", err.msg);
	cr_assert(asprintf(&all, "%s%s", *text ? *text : "", line) > 0);
	free(*text);
	free(line);
	*text = all;
}

static size_t count(const char *text)
{
	struct err err;
	size_t n = 99;

	cr_assert_eq(reproduced_count(text, strlen(text), "f", &kr, SHA_A, &n, &err), 0, "%s",
	             err.msg);
	return n;
}

Test(reproduced, counts_distinct_rebuilder_keys_of_this_archive)
{
	struct err err;
	char *t = NULL;

	attest(&t, 0, SHA_A);
	attest(&t, 0, SHA_A); /* the same key again */
	attest(&t, 2, SHA_A); /* an outsider */
	attest(&t, 1, SHA_B); /* another archive */
	cr_assert_eq(count(t), 1);
	cr_assert_eq(reproduced_check(t, strlen(t), "f", &kr, SHA_A, &err), -1);
	cr_assert(strstr(err.msg, "f: reproductions: 1 of the 2 needed by keyring version 3"), "%s",
	          err.msg);
	attest(&t, 1, SHA_A);
	cr_assert_eq(count(t), 2);
	cr_assert_eq(reproduced_check(t, strlen(t), "f", &kr, SHA_A, &err), 0, "%s", err.msg);
	free(t);
}

Test(reproduced, a_tampered_attestation_counts_for_nothing)
{
	char *t = NULL, *p;

	attest(&t, 0, SHA_A);
	/* One byte of the signature: still well-formed, no longer valid. */
	p = strstr(t, "\"sig\":\"") + 8;
	*p = *p == 'A' ? 'B' : 'A';
	cr_assert_eq(count(t), 0);
	free(t);
}

Test(reproduced, refuses_a_malformed_file)
{
	struct err err;
	char *t = NULL, *bad = NULL, big[REPRODUCED_FILE_MAX + 2];
	size_t n;

	attest(&t, 0, SHA_A);
	cr_assert(asprintf(&bad, "%s{\"payload\":\"\",\"extra\":1}\n", t) > 0);
	cr_assert_eq(reproduced_count(bad, strlen(bad), "f", &kr, SHA_A, &n, &err), -1);
	cr_assert(strstr(err.msg, "f: line 2: attestation: unknown field \"extra\""), "%s",
	          err.msg);
	free(bad);
	bad = NULL;
	for (int i = 0; i <= REPRODUCED_LINES_MAX; i++) {
		char *more = NULL;

		cr_assert(asprintf(&more, "%s%s", bad ? bad : "", t) > 0);
		free(bad);
		bad = more;
	}
	cr_assert_eq(reproduced_count(bad, strlen(bad), "f", &kr, SHA_A, &n, &err), -1);
	cr_assert(strstr(err.msg, "more than 64 attestations"), "%s", err.msg);
	free(bad);
	memset(big, ' ', sizeof(big));
	cr_assert_eq(reproduced_count(big, sizeof(big), "f", &kr, SHA_A, &n, &err), -1);
	cr_assert(strstr(err.msg, "larger than"), "%s", err.msg);
	free(t);
}
