/* minisign signatures: parse, sign and verify, streaming the file through BLAKE2b-512.
 * Format: specs/signature.md. */
#include "release/sig/minisign.h"
#include "release/sig/base64.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/minisign_lines.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX   "trusted comment: "
#define SIG_BYTES        74 /* alg 2 + keyid 8 + signature 64 */
#define HASH_BYTES       64
#define READ_CHUNK       (256 * 1024)
/* minisign refuses to sign more than this in legacy mode; the same bound applies here. */
#define LEGACY_MAX_BYTES (1LL << 30)

static char *dup_line(const struct text_line *l, size_t skip)
{
	char *s = malloc(l->len - skip + 1);

	if (s) {
		memcpy(s, l->s + skip, l->len - skip);
		s[l->len - skip] = '\0';
	}
	return s;
}

void minisign_sig_release(struct minisign_sig *sig)
{
	free(sig->untrusted_comment);
	free(sig->trusted_comment);
	sig->untrusted_comment = sig->trusted_comment = NULL;
}

int minisign_sig_read(const char *path, char **out, size_t *len, struct err *err)
{
	if (read_file_at(AT_FDCWD, path, MINISIGN_SIGFILE_MAX, 0, out, len, err) == 0)
		return 0;
	if (errno == ENOENT)
		fail_recast(err, ERR_REFUSED);
	return -1;
}

int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *out, struct err *err)
{
	struct text_line l[4];
	uint8_t raw[SIG_BYTES];

	memset(out, 0, sizeof(*out));
	if (len > MINISIGN_SIGFILE_MAX)
		return fail(err, "malformed signature: larger than %d bytes", MINISIGN_SIGFILE_MAX);
	if (minisign_split_lines(text, len, l, 4, "malformed signature: signature file", err) < 0)
		return -1;
	if (!minisign_line_has_prefix(&l[0], UNTRUSTED_PREFIX))
		return fail(err, "malformed signature: line 1 does not start with \"%s\"",
		            UNTRUSTED_PREFIX);
	if (l[0].len > MINISIGN_COMMENT_LINE_MAX)
		return fail(err, "malformed signature: line 1 is longer than %d bytes",
		            MINISIGN_COMMENT_LINE_MAX);
	if (base64_decode_exact(l[1].s, l[1].len, raw, sizeof(raw)) < 0)
		return fail(err, "malformed signature: line 2 is not the base64 of %d bytes",
		            SIG_BYTES);
	if (!minisign_line_has_prefix(&l[2], TRUSTED_PREFIX))
		return fail(err, "malformed signature: line 3 does not start with \"%s\"",
		            TRUSTED_PREFIX);
	if (l[2].len - strlen(TRUSTED_PREFIX) > MINISIGN_TRUSTED_MAX)
		return fail(err, "malformed signature: trusted comment is longer than %d bytes",
		            MINISIGN_TRUSTED_MAX);
	if (base64_decode_exact(l[3].s, l[3].len, out->global_sig, MINISIGN_SIG_BYTES) < 0)
		return fail(err, "malformed signature: line 4 is not the base64 of %d bytes",
		            MINISIGN_SIG_BYTES);
	memcpy(out->alg, raw, 2);
	memcpy(out->keyid, raw + 2, MINISIGN_KEYID_BYTES);
	memcpy(out->sig, raw + 10, MINISIGN_SIG_BYTES);
	out->untrusted_comment = dup_line(&l[0], strlen(UNTRUSTED_PREFIX));
	out->trusted_comment = dup_line(&l[2], strlen(TRUSTED_PREFIX));
	if (!out->untrusted_comment || !out->trusted_comment) {
		minisign_sig_release(out);
		return fail_oom(err);
	}
	return 0;
}

/* BLAKE2b-512 of everything readable from fd, from offset 0, in constant memory. */
static int hash_fd(int fd, uint8_t hash[HASH_BYTES], struct err *err);

int minisign_prehash_fd(int fd, uint8_t hash[64], struct err *err)
{
	return hash_fd(fd, hash, err);
}

static int hash_fd(int fd, uint8_t hash[HASH_BYTES], struct err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(READ_CHUNK);
	unsigned int n = 0;
	off_t off = 0;
	int rc = -1;

	if (!ctx || !buf) {
		fail_oom(err);
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_blake2b512(), NULL) != 1) {
		fail_kind(err, ERR_SYSTEM, "BLAKE2b-512 is not available in this OpenSSL");
		goto out;
	}
	for (;;) {
		ssize_t r = pread(fd, buf, READ_CHUNK, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail_sys(err, "cannot read the file");
			goto out;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1) {
			fail_kind(err, ERR_SYSTEM, "hashing failed");
			goto out;
		}
		off += r;
	}
	if (EVP_DigestFinal_ex(ctx, hash, &n) != 1 || n != HASH_BYTES) {
		fail_kind(err, ERR_SYSTEM, "hashing failed");
		goto out;
	}
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int minisign_ed25519_sign(const struct minisign_seckey *sk, const uint8_t *msg, size_t len,
                          uint8_t sig[MINISIGN_SIG_BYTES], struct err *err)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk->seed, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = MINISIGN_SIG_BYTES;
	int rc = -1;

	if (!key || !ctx)
		fail_kind(err, ERR_SYSTEM, "cannot load the Ed25519 secret key");
	else if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	         EVP_DigestSign(ctx, sig, &n, msg, len) != 1 || n != MINISIGN_SIG_BYTES)
		fail_kind(err, ERR_SYSTEM, "Ed25519 signing failed");
	else
		rc = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

int minisign_ed25519_verify(const struct minisign_pubkey *pk, const uint8_t *msg, size_t len,
                            const uint8_t sig[MINISIGN_SIG_BYTES], struct err *err)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk->pk, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	if (!key || !ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		fail_kind(err, ERR_SYSTEM, "cannot load the Ed25519 public key");
	else
		rc = EVP_DigestVerify(ctx, sig, MINISIGN_SIG_BYTES, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

/* The message of the global signature: signature bytes || trusted comment text. */
static uint8_t *global_message(const uint8_t sig[MINISIGN_SIG_BYTES], const char *tc, size_t *len)
{
	size_t tlen = strlen(tc);
	uint8_t *m = malloc(MINISIGN_SIG_BYTES + tlen + 1);

	if (m) {
		memcpy(m, sig, MINISIGN_SIG_BYTES);
		memcpy(m + MINISIGN_SIG_BYTES, tc, tlen);
		*len = MINISIGN_SIG_BYTES + tlen;
	}
	return m;
}

static int check_one_line(const char *s, size_t max, const char *what, struct err *err)
{
	size_t n = strlen(s);

	if (strpbrk(s, "\r\n"))
		return fail(err, "%s must be a single line", what);
	if (n > max)
		return fail(err, "%s is longer than %zu bytes", what, max);
	return 0;
}

int minisign_sign_digest(const uint8_t digest[64], const struct minisign_seckey *sk,
                         const char *trusted_comment, const char *untrusted_comment, char **out,
                         struct err *err)
{
	uint8_t raw[SIG_BYTES], global[MINISIGN_SIG_BYTES], *gm = NULL;
	char sig_b64[BASE64_LEN(SIG_BYTES) + 1], global_b64[BASE64_LEN(MINISIGN_SIG_BYTES) + 1];
	size_t gm_len = 0;
	int rc = -1;

	*out = NULL;
	if (!untrusted_comment)
		untrusted_comment = MINISIGN_DEFAULT_SIG_COMMENT;
	if (check_one_line(untrusted_comment, MINISIGN_COMMENT_LINE_MAX - strlen(UNTRUSTED_PREFIX),
	                   "untrusted comment", err) < 0 ||
	    check_one_line(trusted_comment, MINISIGN_TRUSTED_MAX, "trusted comment", err) < 0)
		return -1;
	memcpy(raw, "ED", 2);
	memcpy(raw + 2, sk->keyid, MINISIGN_KEYID_BYTES);
	if (minisign_ed25519_sign(sk, digest, HASH_BYTES, raw + 10, err) < 0)
		return -1;
	if (!(gm = global_message(raw + 10, trusted_comment, &gm_len)))
		return fail_oom(err);
	if (minisign_ed25519_sign(sk, gm, gm_len, global, err) < 0)
		goto out;
	base64_encode(raw, sizeof(raw), sig_b64);
	base64_encode(global, sizeof(global), global_b64);
	if (asprintf(out, UNTRUSTED_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", untrusted_comment,
	             sig_b64, trusted_comment, global_b64) < 0) {
		*out = NULL;
		fail_oom(err);
		goto out;
	}
	rc = 0;
out:
	free(gm);
	return rc;
}

int minisign_sign_fd(int fd, const struct minisign_seckey *sk, const char *trusted_comment,
                     const char *untrusted_comment, char **out, struct err *err)
{
	uint8_t hash[HASH_BYTES];

	*out = NULL;
	if (hash_fd(fd, hash, err) < 0)
		return -1;
	return minisign_sign_digest(hash, sk, trusted_comment, untrusted_comment, out, err);
}

char *minisign_sig_path(const char *file, const char *given)
{
	char *out = NULL;

	if (given)
		return strdup(given);
	if (asprintf(&out, "%s" MINISIGN_SIG_SUFFIX, file) < 0)
		return NULL;
	return out;
}

int minisign_sign_file(const char *path, const char *sig_path, const struct minisign_seckey *sk,
                       const char *trusted_comment, const char *untrusted_comment, struct err *err)
{
	char *sig = NULL, *target = NULL, *dir_copy = NULL, *base_copy = NULL;
	int fd = -1, dirfd = -1, rc = -1;

	target = minisign_sig_path(path, sig_path);
	if (!target)
		return fail_oom(err);
	fd = open_regular_at(AT_FDCWD, path, 0, NULL, err);
	if (fd < 0)
		goto out;
	if (minisign_sign_fd(fd, sk, trusted_comment, untrusted_comment, &sig, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	dir_copy = strdup(target);
	base_copy = strdup(target);
	if (!dir_copy || !base_copy) {
		fail_oom(err);
		goto out;
	}
	dirfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fail_sys(err, "cannot open the directory of %s", target);
		goto out;
	}
	if (write_file_atomic(dirfd, basename(base_copy), sig, strlen(sig), 0644, 0, err) < 0) {
		fail_prefix(err, "cannot write %s", target);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(sig);
	free(target);
	free(dir_copy);
	free(base_copy);
	return rc;
}

/* The legacy "Ed" message is the whole file: mapped, not copied. 1 valid, 0 invalid,
 * -1 error (refused, or the system's: err says which). */
static int verify_legacy(const struct minisign_pubkey *pk, int fd,
                         const uint8_t sig[MINISIGN_SIG_BYTES], struct err *err)
{
	struct stat st;
	void *map = NULL;
	static const uint8_t empty[1];
	int ok;

	if (fstat(fd, &st) < 0)
		return fail_sys(err, "cannot stat the file");
	if (!S_ISREG(st.st_mode))
		return fail(err, "legacy signatures can only be checked on regular files");
	if (st.st_size > LEGACY_MAX_BYTES)
		return fail(err, "legacy signature refused: the file is larger than 1 GiB");
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return fail_sys(err, "cannot map the file");
	}
	ok = minisign_ed25519_verify(pk, map ? map : empty, (size_t)st.st_size, sig, err);
	if (map)
		munmap(map, (size_t)st.st_size);
	return ok;
}

#define VERIFY_COMMENT_ONLY (1u << 8) /* internal: stop after the global signature */

/* Both verifications of minisign_verify_fd; `fd` is read only for a legacy signature,
 * `digest` (the file's BLAKE2b-512, or NULL: read fd) serves a prehashed one. */
static int verify(const struct minisign_pubkey *pk, const char *sig_text, size_t sig_len, int fd,
                  const uint8_t *digest, unsigned flags, char **trusted_comment, struct err *err)
{
	struct minisign_sig sig;
	uint8_t hash[HASH_BYTES], *gm = NULL;
	char want[17], got[17];
	size_t gm_len = 0;
	int legacy, ok, rc = -1;

	if (trusted_comment)
		*trusted_comment = NULL;
	if (minisign_sig_parse(sig_text, sig_len, &sig, err) < 0)
		return -1;
	legacy = memcmp(sig.alg, "Ed", 2) == 0;
	if (!legacy && memcmp(sig.alg, "ED", 2) != 0) {
		if (isprint(sig.alg[0]) && isprint(sig.alg[1]))
			fail(err, "unknown signature algorithm '%c%c' (expected ED)", sig.alg[0],
			     sig.alg[1]);
		else
			fail(err, "unknown signature algorithm 0x%02x%02x (expected ED)",
			     sig.alg[0], sig.alg[1]);
		goto out;
	}
	if (memcmp(sig.keyid, pk->keyid, MINISIGN_KEYID_BYTES) != 0) {
		minisign_keyid_hex(sig.keyid, got);
		minisign_keyid_hex(pk->keyid, want);
		fail(err, "signature made by another key: key id %s, trusted key id %s", got, want);
		goto out;
	}
	if (legacy &&
	    (!(flags & MINISIGN_ALLOW_LEGACY) || fd < 0 || (flags & VERIFY_COMMENT_ONLY))) {
		fail(err, "legacy signature refused: algorithm Ed signs the raw file; "
		          "re-sign it, or allow legacy signatures explicitly");
		goto out;
	}
	/* The trusted comment first: it is cheap, and an edit there is the likelier attack. */
	if (!(gm = global_message(sig.sig, sig.trusted_comment, &gm_len))) {
		fail_oom(err);
		goto out;
	}
	ok = minisign_ed25519_verify(pk, gm, gm_len, sig.global_sig, err);
	if (ok < 0)
		goto out;
	if (!ok) {
		fail(err, "trusted comment signature does not match: the comment was altered or "
		          "the signature is forged");
		goto out;
	}
	if (flags & VERIFY_COMMENT_ONLY) {
		ok = 1;
	} else if (legacy) {
		ok = verify_legacy(pk, fd, sig.sig, err);
	} else if (!digest && hash_fd(fd, hash, err) < 0) {
		ok = -1;
	} else {
		ok = minisign_ed25519_verify(pk, digest ? digest : hash, HASH_BYTES, sig.sig, err);
	}
	if (ok < 0)
		goto out;
	if (!ok) {
		fail(err, "signature does not match the file: it was altered, truncated or is not "
		          "the signed file");
		goto out;
	}
	if (trusted_comment) {
		*trusted_comment = sig.trusted_comment;
		sig.trusted_comment = NULL;
	}
	rc = 0;
out:
	free(gm);
	minisign_sig_release(&sig);
	return rc;
}

int minisign_verify_fd(const struct minisign_pubkey *pk, const char *sig_text, size_t sig_len,
                       int fd, unsigned flags, char **trusted_comment, struct err *err)
{
	return verify(pk, sig_text, sig_len, fd, NULL, flags, trusted_comment, err);
}

int minisign_verify_comment(const struct minisign_pubkey *pk, const char *sig_text, size_t sig_len,
                            char **trusted_comment, struct err *err)
{
	return verify(pk, sig_text, sig_len, -1, NULL, VERIFY_COMMENT_ONLY, trusted_comment, err);
}

int minisign_verify_digest(const struct minisign_pubkey *pk, const char *sig_text, size_t sig_len,
                           const uint8_t digest[64], char **trusted_comment, struct err *err)
{
	return verify(pk, sig_text, sig_len, -1, digest, 0, trusted_comment, err);
}

int minisign_sig_check_digest(const struct minisign_pubkey *pk, const struct minisign_sig *sig,
                              const uint8_t digest[64], struct err *err)
{
	int ok;

	if (memcmp(sig->alg, "ED", 2) != 0)
		return fail(err, "not a prehashed signature (algorithm ED expected)");
	ok = minisign_ed25519_verify(pk, digest, HASH_BYTES, sig->sig, err);
	if (ok < 0)
		return -1;
	if (!ok)
		return fail(err, "signature does not match the file: it was altered, truncated or "
		                 "is not the signed file");
	return 0;
}
