/* minisign public and secret keys: parse, decrypt, encrypt, format, generate.
 * Byte layouts: specs/signature.md. */
#include "release/sig/minisign.h"
#include "release/sig/base64.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/minisign_lines.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNTRUSTED_PREFIX "untrusted comment: "
#define PUBKEY_BYTES     42  /* "Ed" + keyid 8 + pk 32 */
#define SECKEY_BYTES     158 /* see the table in specs/signature.md */
#define KEYNUM_SK_BYTES  104 /* keyid 8 + seed 32 + pk 32 + checksum 32 */
#define CHECKSUM_BYTES   32

/* libsodium's crypto_pwhash_scryptsalsa208sha256_*_SENSITIVE, what minisign -G stores. */
#define OPSLIMIT_SENSITIVE 33554432ULL
#define MEMLIMIT_SENSITIVE 1073741824ULL
/* A key asking for more than minisign's own parameters is refused rather than obeyed. */
#define SCRYPT_MAX_MEM (1ULL << 30)
#define SCRYPT_MAX_P   8

#define SECKEY_DEFAULT_COMMENT_ENC   "slipway encrypted secret key"
#define SECKEY_DEFAULT_COMMENT_PLAIN "slipway secret key (unencrypted)"

/* The decoded 158 bytes of a secret key file. */
struct seckey_blob {
	uint8_t sig_alg[2];
	uint8_t kdf_alg[2];
	uint8_t chk_alg[2];
	uint8_t salt[32];
	uint8_t opslimit_le[8];
	uint8_t memlimit_le[8];
	uint8_t keyid[8];
	uint8_t sk[64]; /* seed 32 + pk 32 */
	uint8_t chk[CHECKSUM_BYTES];
};
_Static_assert(sizeof(struct seckey_blob) == SECKEY_BYTES, "packed secret key layout");

static uint64_t le64_load(const uint8_t b[8])
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void le64_store(uint8_t b[8], uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		b[i] = (uint8_t)v;
}

void minisign_keyid_hex(const uint8_t keyid[MINISIGN_KEYID_BYTES], char out[17])
{
	snprintf(out, 17, "%016llX", (unsigned long long)le64_load(keyid));
}

static int keyid_from_digits(const char *s, size_t max_len, const char *digits,
                             uint8_t keyid[MINISIGN_KEYID_BYTES])
{
	size_t len = s ? strlen(s) : 0;
	uint64_t v = 0;

	if (len == 0 || len > max_len || strspn(s, digits) != len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int c = s[i];

		v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	for (int i = 0; i < MINISIGN_KEYID_BYTES; i++)
		keyid[i] = (uint8_t)(v >> (8 * i));
	return 0;
}

int minisign_keyid_parse(const char *hex, uint8_t keyid[MINISIGN_KEYID_BYTES])
{
	if (!hex || strlen(hex) != 16)
		return -1;
	return keyid_from_digits(hex, 16, "0123456789ABCDEF", keyid);
}

int minisign_keyid_parse_user(const char *s, uint8_t keyid[MINISIGN_KEYID_BYTES])
{
	return keyid_from_digits(s, 16, "0123456789ABCDEFabcdef", keyid);
}

/* ---- public keys ---- */

int minisign_pubkey_parse(const char *text, size_t len, struct minisign_pubkey *out,
                          struct err *err)
{
	struct text_line l[2];
	uint8_t raw[PUBKEY_BYTES];

	if (minisign_split_lines(text, len, l, 2, "public key", err) < 0)
		return -1;
	if (!minisign_line_has_prefix(&l[0], UNTRUSTED_PREFIX))
		return fail(err, "malformed public key: line 1 does not start with \"%s\"",
		            UNTRUSTED_PREFIX);
	if (l[0].len > MINISIGN_COMMENT_LINE_MAX)
		return fail(err, "malformed public key: comment line longer than %d bytes",
		            MINISIGN_COMMENT_LINE_MAX);
	if (base64_decode_exact(l[1].s, l[1].len, raw, sizeof(raw)) < 0)
		return fail(err, "malformed public key: line 2 is not the base64 of %d bytes",
		            PUBKEY_BYTES);
	if (memcmp(raw, "Ed", 2) != 0)
		return fail(err, "unsupported public key algorithm (expected Ed)");
	memcpy(out->keyid, raw + 2, MINISIGN_KEYID_BYTES);
	memcpy(out->pk, raw + 10, MINISIGN_PK_BYTES);
	return 0;
}

int minisign_pubkey_load(const char *path, struct minisign_pubkey *out, char **text_out,
                         size_t *len_out, struct err *err)
{
	char *text = NULL;
	size_t len = 0;

	if (read_file_at(AT_FDCWD, path, MINISIGN_KEYFILE_MAX, 0, &text, &len, err) < 0)
		return fail_prefix(err, "public key");
	if (minisign_pubkey_parse(text, len, out, err) < 0) {
		free(text);
		return fail_prefix(err, "%s", path);
	}
	if (text_out) {
		*text_out = text;
		if (len_out)
			*len_out = len;
	} else {
		free(text);
	}
	return 0;
}

int minisign_pubkey_format(const struct minisign_pubkey *pk, char **out, struct err *err)
{
	uint8_t raw[PUBKEY_BYTES];
	char b64[BASE64_LEN(PUBKEY_BYTES) + 1], hex[17];

	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, pk->keyid, MINISIGN_KEYID_BYTES);
	memcpy(raw + 10, pk->pk, MINISIGN_PK_BYTES);
	base64_encode(raw, sizeof(raw), b64);
	minisign_keyid_hex(pk->keyid, hex);
	if (asprintf(out, UNTRUSTED_PREFIX "minisign public key %s\n%s\n", hex, b64) < 0) {
		*out = NULL;
		return fail_oom(err);
	}
	return 0;
}

/* ---- secret keys ---- */

/* The Ed25519 public key of a seed, through OpenSSL. */
static int derive_pk(const uint8_t seed[32], uint8_t pk[32], struct err *err)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	size_t n = 32;
	int rc = -1;

	if (!key)
		return fail_kind(err, ERR_SYSTEM, "cannot load the Ed25519 secret key");
	if (EVP_PKEY_get_raw_public_key(key, pk, &n) != 1 || n != 32)
		fail_kind(err, ERR_SYSTEM, "cannot derive the Ed25519 public key");
	else
		rc = 0;
	EVP_PKEY_free(key);
	return rc;
}

/* BLAKE2b with a 32-byte output over "Ed" || keyid || sk. OpenSSL 3.0 has no unkeyed
 * variable-length BLAKE2b, so this one hash comes from libsodium, as in minisign. */
static int seckey_checksum(const struct seckey_blob *b, uint8_t chk[CHECKSUM_BYTES],
                           struct err *err)
{
	crypto_generichash_state st;

	if (sodium_init() < 0)
		return fail_kind(err, ERR_SYSTEM, "cannot initialise libsodium");
	if (crypto_generichash_init(&st, NULL, 0, CHECKSUM_BYTES) != 0 ||
	    crypto_generichash_update(&st, b->sig_alg, sizeof(b->sig_alg)) != 0 ||
	    crypto_generichash_update(&st, b->keyid, sizeof(b->keyid)) != 0 ||
	    crypto_generichash_update(&st, b->sk, sizeof(b->sk)) != 0 ||
	    crypto_generichash_final(&st, chk, CHECKSUM_BYTES) != 0) {
		sodium_memzero(&st, sizeof(st));
		return fail_kind(err, ERR_SYSTEM, "cannot compute the secret key checksum");
	}
	sodium_memzero(&st, sizeof(st));
	return 0;
}

/* libsodium's pickparams(): how crypto_pwhash_scryptsalsa208sha256 turns the stored
 * opslimit/memlimit into scrypt's N, r, p. minisign's limits give N=2^20, r=8, p=1. */
static void scrypt_pickparams(uint64_t opslimit, uint64_t memlimit, unsigned *n_log2, uint64_t *r,
                              uint64_t *p)
{
	uint64_t maxn, maxrp;

	if (opslimit < 32768)
		opslimit = 32768;
	*r = 8;
	if (opslimit < memlimit / 32) {
		*p = 1;
		maxn = opslimit / (*r * 4);
	} else {
		maxn = memlimit / (*r * 128);
	}
	for (*n_log2 = 1; *n_log2 < 63; (*n_log2)++)
		if ((uint64_t)1 << *n_log2 > maxn / 2)
			break;
	if (!(opslimit < memlimit / 32)) {
		maxrp = (opslimit / 4) / ((uint64_t)1 << *n_log2);
		if (maxrp > 0x3fffffff)
			maxrp = 0x3fffffff;
		*p = maxrp / *r;
	}
}

/* The 104-byte key stream that encrypts keyid || sk || checksum. */
static int scrypt_stream(const char *password, const struct seckey_blob *b,
                         uint8_t stream[KEYNUM_SK_BYTES], struct err *err)
{
	unsigned n_log2;
	uint64_t r, p, n, mem;

	scrypt_pickparams(le64_load(b->opslimit_le), le64_load(b->memlimit_le), &n_log2, &r, &p);
	n = (uint64_t)1 << n_log2;
	if (p == 0 || p > SCRYPT_MAX_P || n_log2 > 30 || 128 * r * n > SCRYPT_MAX_MEM)
		return fail(err,
		            "secret key asks for unsupported scrypt parameters "
		            "(N=2^%u, r=%llu, p=%llu; at most 1 GiB and p<=%d)",
		            n_log2, (unsigned long long)r, (unsigned long long)p, SCRYPT_MAX_P);
	/* OpenSSL's scrypt needs room for B (p*128*r) and V (128*r*(N+2)); its default cap
	 * is 32 MB. */
	mem = p * 128 * r + 128 * r * (n + 2) + 4096;
	if (EVP_PBE_scrypt(password, strlen(password), b->salt, sizeof(b->salt), n, r, p, mem,
	                   stream, KEYNUM_SK_BYTES) != 1)
		return fail_kind(err, ERR_SYSTEM,
		                 "scrypt key derivation failed (it needs about %llu MiB of memory)",
		                 (unsigned long long)(mem >> 20));
	return 0;
}

static void xor_keynum(struct seckey_blob *b, const uint8_t stream[KEYNUM_SK_BYTES])
{
	uint8_t *k = b->keyid; /* keyid, sk and chk are contiguous: 104 bytes */
	size_t i;

	for (i = 0; i < KEYNUM_SK_BYTES; i++)
		k[i] ^= stream[i];
}

static int decode_seckey(const char *text, size_t len, struct seckey_blob *b, struct err *err)
{
	struct text_line l[2];

	if (minisign_split_lines(text, len, l, 2, "secret key", err) < 0)
		return -1;
	if (!minisign_line_has_prefix(&l[0], UNTRUSTED_PREFIX))
		return fail(err, "malformed secret key: line 1 does not start with \"%s\"",
		            UNTRUSTED_PREFIX);
	if (l[0].len > MINISIGN_COMMENT_LINE_MAX)
		return fail(err, "malformed secret key: comment line longer than %d bytes",
		            MINISIGN_COMMENT_LINE_MAX);
	if (base64_decode_exact(l[1].s, l[1].len, (uint8_t *)b, SECKEY_BYTES) < 0)
		return fail(err, "malformed secret key: line 2 is not the base64 of %d bytes",
		            SECKEY_BYTES);
	if (memcmp(b->sig_alg, "Ed", 2) != 0)
		return fail(err, "unsupported secret key algorithm (expected Ed)");
	if (memcmp(b->chk_alg, "B2", 2) != 0)
		return fail(err, "unsupported secret key checksum (expected B2)");
	if (memcmp(b->kdf_alg, "Sc", 2) != 0 && memcmp(b->kdf_alg, "\0\0", 2) != 0)
		return fail(err, "unsupported secret key encryption (expected Sc or none)");
	return 0;
}

int minisign_seckey_is_encrypted(const char *text, size_t len, int *encrypted, struct err *err)
{
	struct seckey_blob b;
	int rc = decode_seckey(text, len, &b, err);

	if (rc == 0)
		*encrypted = memcmp(b.kdf_alg, "Sc", 2) == 0;
	OPENSSL_cleanse(&b, sizeof(b));
	return rc;
}

int minisign_seckey_parse(const char *text, size_t len, const char *password,
                          struct minisign_seckey *out, struct err *err)
{
	struct seckey_blob b;
	uint8_t stream[KEYNUM_SK_BYTES], chk[CHECKSUM_BYTES], pk[32];
	static const uint8_t zero[CHECKSUM_BYTES];
	int encrypted, rc = -1;

	if (decode_seckey(text, len, &b, err) < 0)
		goto out;
	encrypted = memcmp(b.kdf_alg, "Sc", 2) == 0;
	if (encrypted) {
		if (!password) {
			fail(err, "secret key is encrypted and no password was given");
			goto out;
		}
		if (scrypt_stream(password, &b, stream, err) < 0)
			goto out;
		xor_keynum(&b, stream);
	}
	if (seckey_checksum(&b, chk, err) < 0)
		goto out;
	/* minisign -W writes an all-zero checksum and never checks it on unencrypted keys. */
	if (CRYPTO_memcmp(chk, b.chk, sizeof(chk)) != 0 &&
	    (encrypted || CRYPTO_memcmp(b.chk, zero, sizeof(zero)) != 0)) {
		fail(err, encrypted ? "wrong password for this secret key"
		                    : "secret key is corrupted: checksum mismatch");
		goto out;
	}
	if (derive_pk(b.sk, pk, err) < 0)
		goto out;
	if (CRYPTO_memcmp(pk, b.sk + 32, 32) != 0) {
		fail(err, encrypted ? "wrong password for this secret key"
		                    : "secret key is corrupted: public key does not match");
		goto out;
	}
	memcpy(out->keyid, b.keyid, sizeof(out->keyid));
	memcpy(out->seed, b.sk, sizeof(out->seed));
	memcpy(out->pk, pk, sizeof(out->pk));
	rc = 0;
out:
	OPENSSL_cleanse(&b, sizeof(b));
	OPENSSL_cleanse(stream, sizeof(stream));
	OPENSSL_cleanse(chk, sizeof(chk));
	return rc;
}

int minisign_seckey_load(const char *path, const char *password, struct minisign_seckey *out,
                         struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (read_file_at(AT_FDCWD, path, MINISIGN_KEYFILE_MAX, 0, &text, &len, err) < 0)
		return -1;
	rc = minisign_seckey_parse(text, len, password, out, err);
	OPENSSL_cleanse(text, len);
	free(text);
	if (rc < 0)
		return fail_prefix(err, "%s", path);
	return 0;
}

static int check_comment_line(const char *comment, struct err *err)
{
	size_t i;

	for (i = 0; comment[i]; i++)
		if (comment[i] == '\n' || comment[i] == '\r')
			return fail(err, "comment must be a single line");
	if (i + strlen(UNTRUSTED_PREFIX) > MINISIGN_COMMENT_LINE_MAX)
		return fail(err, "comment is longer than %zu bytes",
		            MINISIGN_COMMENT_LINE_MAX - strlen(UNTRUSTED_PREFIX));
	return 0;
}

int minisign_seckey_format(const struct minisign_seckey *sk, const char *password,
                           const char *comment, char **out, struct err *err)
{
	struct seckey_blob b;
	uint8_t stream[KEYNUM_SK_BYTES];
	char b64[BASE64_LEN(SECKEY_BYTES) + 1];
	int rc = -1;

	*out = NULL;
	if (!comment)
		comment = password ? SECKEY_DEFAULT_COMMENT_ENC : SECKEY_DEFAULT_COMMENT_PLAIN;
	if (check_comment_line(comment, err) < 0)
		return -1;
	memset(&b, 0, sizeof(b));
	memcpy(b.sig_alg, "Ed", 2);
	memcpy(b.chk_alg, "B2", 2);
	memcpy(b.keyid, sk->keyid, sizeof(b.keyid));
	memcpy(b.sk, sk->seed, 32);
	memcpy(b.sk + 32, sk->pk, 32);
	if (seckey_checksum(&b, b.chk, err) < 0)
		goto out;
	if (password) {
		/* As minisign -G: fresh salt, libsodium's SENSITIVE limits. */
		memcpy(b.kdf_alg, "Sc", 2);
		if (RAND_bytes(b.salt, sizeof(b.salt)) != 1) {
			fail_kind(err, ERR_SYSTEM, "cannot get random bytes for the salt");
			goto out;
		}
		le64_store(b.opslimit_le, OPSLIMIT_SENSITIVE);
		le64_store(b.memlimit_le, MEMLIMIT_SENSITIVE);
		if (scrypt_stream(password, &b, stream, err) < 0)
			goto out;
		xor_keynum(&b, stream);
	}
	base64_encode((const uint8_t *)&b, SECKEY_BYTES, b64);
	if (asprintf(out, UNTRUSTED_PREFIX "%s\n%s\n", comment, b64) < 0) {
		*out = NULL;
		fail_oom(err);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(&b, sizeof(b));
	OPENSSL_cleanse(stream, sizeof(stream));
	OPENSSL_cleanse(b64, sizeof(b64));
	return rc;
}

int minisign_keygen(struct minisign_seckey *out, struct err *err)
{
	if (RAND_bytes(out->keyid, sizeof(out->keyid)) != 1 ||
	    RAND_priv_bytes(out->seed, sizeof(out->seed)) != 1) {
		minisign_seckey_wipe(out);
		return fail_kind(err, ERR_SYSTEM, "cannot get random bytes for the key");
	}
	if (derive_pk(out->seed, out->pk, err) < 0) {
		minisign_seckey_wipe(out);
		return -1;
	}
	return 0;
}

void minisign_seckey_public(const struct minisign_seckey *sk, struct minisign_pubkey *out)
{
	memcpy(out->keyid, sk->keyid, sizeof(out->keyid));
	memcpy(out->pk, sk->pk, sizeof(out->pk));
}

void minisign_seckey_wipe(struct minisign_seckey *sk)
{
	OPENSSL_cleanse(sk, sizeof(*sk));
}
