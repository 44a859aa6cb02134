/* A release judged by its minisig alone (specs/channel.md "The chain", step 2): what a host
 * that does not have the whole archive (push, pull) trusts, and how it trusts the manifest.
 *
 * signed_release_open takes the release key the signature names from the host's keyring
 * (an unknown or revoked key is refused), checks the trusted comment's global signature and,
 * when the caller has the archive's BLAKE2b-512 from somewhere, the file signature over it
 * (so that digest is the signed one), then reads app:, version:, serial: and manifest: from
 * the authenticated comment and judges the serial by the keyring's floor and expiry.
 * signed_release_manifest then accepts manifest bytes only when their SHA-256 is the
 * comment's manifest:, and only a manifest that says the signed app, version and serial.
 * Every refusal is ERR_REFUSED with one line. */
#ifndef SLIPWAY_SIGNED_RELEASE_H
#define SLIPWAY_SIGNED_RELEASE_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/manifest/manifest_digest.h"
#include "release/sig/keyring.h"

#include <stdbool.h>
#include <stdint.h>

struct signed_release {
	char *app, *version; /* from the authenticated trusted comment (heap) */
	uint64_t serial;
	uint8_t manifest_sha256[MANIFEST_DIGEST_BYTES]; /* the comment's manifest: */
	bool file_checked; /* the file signature was checked over the caller's digest */
	char *tc;          /* the whole authenticated comment (heap) */
};

/* archive_digest: the archive's BLAKE2b-512 (64 bytes), or NULL to check the comment only. */
int signed_release_open(const struct keyring *kr, const char *sig_text, size_t sig_len,
                        const uint8_t *archive_digest, struct signed_release *out, struct err *err);

/* The first steps of signed_release_open, for a caller that words its own refusal: the
 * release key the signature names from kr, then the file signature over archive_digest (NULL:
 * the comment's global signature only). *tc (heap, the caller's) is the authenticated
 * comment. err carries no prefix. */
int signed_release_verify(const struct keyring *kr, const char *sig_text, size_t sig_len,
                          const uint8_t *archive_digest, char **tc, struct err *err);

/* *m (heap, manifest_free) is the parsed manifest of `len` bytes at `bytes`. */
int signed_release_manifest(const struct signed_release *s, const char *bytes, size_t len,
                            struct manifest **m, struct err *err);

void signed_release_release(struct signed_release *s);

/* The rules shared with verified.c (one home): app:, version:, serial: of an authenticated
 * comment, and a manifest that must say them. */
int signed_comment_fields(const char *tc, char **app, char **version, uint64_t *serial,
                          struct err *err);
int signed_manifest_agrees(const struct manifest *m, const char *app, const char *version,
                           uint64_t serial, struct err *err);
/* The comment's manifest: (the SHA-256 of the manifest entry's data): 0; 1 when it has none;
 * -1 with err when it is not 64 lower-case hex digits. */
int signed_comment_manifest(const char *tc, uint8_t out[MANIFEST_DIGEST_BYTES], struct err *err);

#endif
