/* minisign-compatible keys and signatures (format: specs/signature.md).
 *
 * Everything here reads and writes the exact byte formats of minisign 0.11, so that stock
 * `minisign -V` accepts slipway's signatures and slipway accepts minisign's. Crypto is
 * OpenSSL 3.0 EVP (Ed25519, BLAKE2b-512, scrypt) plus libsodium's crypto_generichash for the
 * one hash OpenSSL 3.0 cannot compute (the unkeyed 32-byte BLAKE2b secret-key checksum).
 *
 * Errors follow release/base/error.h: 0 on success, -1 with one line in err (ERR_MAX bytes).
 * Inputs named "text" are untrusted and may contain anything, including NUL bytes. */
#ifndef SLIPWAY_MINISIGN_H
#define SLIPWAY_MINISIGN_H

#include "release/base/error.h"
#include <stddef.h>
#include <stdint.h>

#define MINISIGN_KEYID_BYTES 8
#define MINISIGN_PK_BYTES    32
#define MINISIGN_SEED_BYTES  32
#define MINISIGN_SIG_BYTES   64

/* Limits of minisign's own reader: a longer line would be cut there, so it is refused here. */
#define MINISIGN_COMMENT_LINE_MAX 1023 /* an "untrusted comment: ..." line, without "\n" */
#define MINISIGN_TRUSTED_MAX      8173 /* trusted comment text, without its prefix */
#define MINISIGN_SIGFILE_MAX      16384
#define MINISIGN_KEYFILE_MAX      4096

#define MINISIGN_DEFAULT_SIG_COMMENT "signature from slipway secret key"
#define MINISIGN_SIG_SUFFIX          ".minisig" /* an archive's signature: ARCHIVE.minisig */

struct minisign_pubkey {
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t pk[MINISIGN_PK_BYTES];
};

/* A decrypted secret key. Secret: wipe with minisign_seckey_wipe when done. */
struct minisign_seckey {
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t seed[MINISIGN_SEED_BYTES]; /* Ed25519 private seed (minisign's sk[0..32]) */
	uint8_t pk[MINISIGN_PK_BYTES];     /* Ed25519 public key (minisign's sk[32..64]) */
};

/* A parsed signature file. Strings are heap, owned by the struct; free with
 * minisign_sig_release. */
struct minisign_sig {
	uint8_t alg[2]; /* "ED" (prehashed, BLAKE2b-512) or "Ed" (legacy, whole file) */
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t sig[MINISIGN_SIG_BYTES];
	uint8_t global_sig[MINISIGN_SIG_BYTES];
	char *untrusted_comment; /* text after "untrusted comment: " */
	char *trusted_comment;   /* text after "trusted comment: " */
};

enum {
	MINISIGN_ALLOW_LEGACY = 1, /* accept "Ed" signatures (raw file signed) */
};

/* The key id in slipway's canonical form: the 8 bytes read as a little-endian u64, "%016llX".
 * (minisign itself prints "%llX", dropping leading zeros.) */
void minisign_keyid_hex(const uint8_t keyid[MINISIGN_KEYID_BYTES], char out[17]);
/* The reverse of minisign_keyid_hex, for file formats: exactly 16 upper-case hex digits, or -1. */
int minisign_keyid_parse(const char *hex, uint8_t keyid[MINISIGN_KEYID_BYTES]);
/* A key id typed by a user: 1 to 16 hex digits of either case, so that the id minisign
 * prints (leading zeros dropped, "minisign public key 28EACE222673DB6") is accepted as is.
 * -1 for anything else (NULL, empty, a sign, a space, 17 digits). */
int minisign_keyid_parse_user(const char *s, uint8_t keyid[MINISIGN_KEYID_BYTES]);

/* ---- public keys ---- */

/* Parses a public key file's contents ("untrusted comment: ..." line, then base64 line). */
int minisign_pubkey_parse(const char *text, size_t len, struct minisign_pubkey *out,
                          struct err *err);
/* The one way a command loads a public key file given by the user (-p PUBFILE): read
 * (bounded, MINISIGN_KEYFILE_MAX) and parse. Fails with "public key: cannot open PATH: <why>"
 * or "PATH: <why it is not a key>". When text_out is not NULL, *text_out is the file's text
 * (heap, owned by the caller) and *len_out (may be NULL) its length. */
int minisign_pubkey_load(const char *path, struct minisign_pubkey *out, char **text_out,
                         size_t *len_out, struct err *err);
/* The public key file text, "untrusted comment: minisign public key <KEYID>\n<base64>\n";
 * a heap string owned by the caller. */
int minisign_pubkey_format(const struct minisign_pubkey *pk, char **out, struct err *err);

/* ---- secret keys ---- */

/* Whether a secret key text is password-protected (kdf "Sc") or not (kdf zero bytes). */
int minisign_seckey_is_encrypted(const char *text, size_t len, int *encrypted, struct err *err);
/* Parses and, when encrypted, decrypts a secret key file's contents. `password` is required
 * for an encrypted key and ignored otherwise. A wrong password is detected (checksum and
 * derived public key) and reported as "wrong password for this secret key"; no garbage key
 * is ever returned. Runs scrypt (about 1 GiB, seconds) for encrypted keys. */
int minisign_seckey_parse(const char *text, size_t len, const char *password,
                          struct minisign_seckey *out, struct err *err);
int minisign_seckey_load(const char *path, const char *password, struct minisign_seckey *out,
                         struct err *err);
/* The secret key file text (comment line + base64), encrypted with scrypt under `password`,
 * or unencrypted when password is NULL. `comment` NULL gives a default. Heap string, owned by
 * the caller, holding secret material: wipe (OPENSSL_cleanse) before freeing. */
int minisign_seckey_format(const struct minisign_seckey *sk, const char *password,
                           const char *comment, char **out, struct err *err);
/* A fresh random key pair (random key id, random Ed25519 seed). */
int minisign_keygen(struct minisign_seckey *out, struct err *err);
void minisign_seckey_public(const struct minisign_seckey *sk, struct minisign_pubkey *out);
void minisign_seckey_wipe(struct minisign_seckey *sk);

/* ---- signatures ---- */

/* The default signature path of `file`, "<file>.minisig" (MINISIGN_SIG_SUFFIX), or a heap copy
 * of `given` when it is not NULL; owned by the caller. NULL only when out of memory. */
char *minisign_sig_path(const char *file, const char *given);

/* Reads the signature file at `path` (text into *out, NUL-terminated, caller frees). What
 * makes it unusable as a signature is a refusal (ERR_REFUSED: missing, not a regular file,
 * larger than MINISIGN_SIGFILE_MAX); the system's failures (permission, I/O) are
 * ERR_SYSTEM. The one classification verify, install and deploy share (specs/exit-codes.md).
 * Never blocks (a FIFO is refused, not waited for). */
int minisign_sig_read(const char *path, char **out, size_t *len, struct err *err);

/* Parses a signature file's text strictly: exactly four lines, known prefixes, canonical
 * base64 of exactly 74 and 64 bytes, line lengths within minisign's limits. Does not check
 * the algorithm tag (verify does, to give a precise reason). */
int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *out, struct err *err);

/* The BLAKE2b-512 of everything readable from fd (pread from offset 0, constant memory): what
 * an "ED" signature signs, and the archive hash a store records (release_record). */
int minisign_prehash_fd(int fd, uint8_t hash[64], struct err *err);
void minisign_sig_release(struct minisign_sig *sig);

/* Signs the contents of `fd` (read with pread from offset 0 to EOF, streamed through
 * BLAKE2b-512 in constant memory) with algorithm "ED". `untrusted_comment` NULL gives
 * MINISIGN_DEFAULT_SIG_COMMENT. Comments must be one line (no CR/LF/NUL) within the limits.
 * *out is the four-line signature text, heap, owned by the caller. */
int minisign_sign_fd(int fd, const struct minisign_seckey *sk, const char *trusted_comment,
                     const char *untrusted_comment, char **out, struct err *err);

/* The same signature as minisign_sign_fd, from the BLAKE2b-512 of the file computed by the
 * caller (e.g. while it wrote the file, so that it is not read again). */
int minisign_sign_digest(const uint8_t digest[64], const struct minisign_seckey *sk,
                         const char *trusted_comment, const char *untrusted_comment, char **out,
                         struct err *err);

/* Signs the file at `path` and writes the signature atomically to `sig_path` (NULL:
 * "<path>.minisig"), mode 0644, replacing any previous signature. */
int minisign_sign_file(const char *path, const char *sig_path, const struct minisign_seckey *sk,
                       const char *trusted_comment, const char *untrusted_comment, struct err *err);

/* Verifies signature text against the contents of `fd` (pread from offset 0 to EOF; the
 * file position is not used or moved) and the trusted key. Returns 0 only when the key id
 * matches, the file signature and the trusted-comment signature are both valid; else -1,
 * with err's kind ERR_REFUSED when the signature is refused and ERR_SYSTEM when the system
 * failed (the file cannot be read or mapped, out of memory). On success
 * and when `trusted_comment` is not NULL, *trusted_comment is a heap copy of the
 * authenticated trusted comment, owned by the caller. On failure err starts with one of:
 * "malformed signature", "unknown signature algorithm", "legacy signature refused",
 * "signature made by another key", "signature does not match the file",
 * "trusted comment signature does not match", or an I/O error. */
int minisign_verify_fd(const struct minisign_pubkey *pk, const char *sig_text, size_t sig_len,
                       int fd, unsigned flags, char **trusted_comment, struct err *err);

/* Only the trusted comment's global signature (line 4) of an "ED" signature by `pk`: what a
 * host can check with the minisig alone, without the signed file (specs/channel.md). The
 * file signature is NOT checked: trust nothing but the comment's fields. Messages as
 * minisign_verify_fd's. */
int minisign_verify_comment(const struct minisign_pubkey *pk, const char *sig_text, size_t sig_len,
                            char **trusted_comment, struct err *err);

/* minisign_verify_fd for a file whose BLAKE2b-512 the caller computed (e.g. while copying
 * it): the same checks and messages; a legacy "Ed" signature is refused (it signs the raw
 * file, which is not at hand). */
int minisign_verify_digest(const struct minisign_pubkey *pk, const char *sig_text, size_t sig_len,
                           const uint8_t digest[64], char **trusted_comment, struct err *err);

/* Checks the file signature of an already parsed "ED" signature against a BLAKE2b-512
 * digest the caller computed, e.g. over the bytes it actually unpacked, so that a file
 * swapped after minisign_verify_fd cannot pass. Checks neither the key id nor the trusted
 * comment: use it after minisign_verify_fd accepted the same signature text. Fails with
 * "signature does not match the file" or, for a non-"ED" signature, "not a prehashed
 * signature". */
int minisign_sig_check_digest(const struct minisign_pubkey *pk, const struct minisign_sig *sig,
                              const uint8_t digest[64], struct err *err);

/* ---- raw Ed25519 (for DSSE envelopes, which sign the message itself, dsse.h) ---- */

int minisign_ed25519_sign(const struct minisign_seckey *sk, const uint8_t *msg, size_t len,
                          uint8_t sig[MINISIGN_SIG_BYTES], struct err *err);
/* 1 valid, 0 invalid, -1 error (ERR_SYSTEM). */
int minisign_ed25519_verify(const struct minisign_pubkey *pk, const uint8_t *msg, size_t len,
                            const uint8_t sig[MINISIGN_SIG_BYTES], struct err *err);

/* ---- trusted comment fields ---- */

/* The value of `key` in a trusted comment made of space- or tab-separated key:value tokens,
 * e.g. key "serial" in "app:x version:v serial:7 file:a.tar.zst" gives "7". *value is heap,
 * owned by the caller. Fails when the key is absent, appears twice, or has an empty value. */
int minisign_comment_get(const char *trusted_comment, const char *key, char **value,
                         struct err *err);

/* Builds slipway's trusted comment "app:<app> version:<version> serial:<serial> file:<file>",
 * followed by " manifest:<manifest_sha256>" when that is not NULL (64 lower-case hex digits:
 * the SHA-256 of the manifest entry's data, specs/channel.md "The chain").
 * Fails if a value is empty or contains whitespace, control characters or ':' in app.
 * Heap string owned by the caller. */
int minisign_trusted_comment(const char *app, const char *version, uint64_t serial,
                             const char *file, const char *manifest_sha256, char **out,
                             struct err *err);

/* The name of the trusted comment field holding the manifest's SHA-256. */
#define MINISIGN_MANIFEST_FIELD "manifest"

#endif
