/* Signed documents (specs/trust.md "Signed documents"): the one envelope every document the
 * host trusts by signature uses (the keyring today; the channel index is its next user).
 *
 * An envelope is one line of JSON, DSSE-shaped:
 *   {"payload":"<base64>","payloadType":"<type>","signatures":[{"keyid":"<KEYID>","sig":"<base64>"}]}
 * The payload is the document's canonical JSON (its own module checks that). Each "sig" is
 * the base64 of a complete minisign signature file (four lines, algorithm "ED") over
 * PAE(payloadType, payload) = "DSSEv1" SP len(type) SP type SP len(payload) SP payload, so
 * that stock `minisign -V -m <PAE bytes>` verifies every signature, and a signature made for
 * one type can never be read as another's.
 *
 * A threshold counts distinct keys: a key that signed twice counts once; a signature by a key
 * outside the set, or one that does not verify, counts for nothing.
 * Errors follow release/base/error.h; everything said about the input is ERR_REFUSED. */
#ifndef SLIPWAY_ENVELOPE_H
#define SLIPWAY_ENVELOPE_H

#include "release/base/error.h"
#include "release/sig/minisign.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_LINE_MAX    65536 /* one envelope, in bytes, without its "\n" */
#define ENVELOPE_PAYLOAD_MAX 16384 /* decoded payload bytes */
#define ENVELOPE_SIGS_MAX    32    /* signatures in one envelope */
#define ENVELOPE_TYPE_MAX    128

struct envelope_sig {
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	char *text; /* the minisign signature file text (heap) */
	size_t len;
};

struct envelope {
	char *type;       /* payloadType (heap) */
	uint8_t *payload; /* decoded payload (heap, NUL-terminated for convenience) */
	size_t payload_len;
	struct envelope_sig sigs[ENVELOPE_SIGS_MAX];
	size_t n_sigs;
};

/* Parses one envelope line (strict JSON, exactly these keys, bounded sizes, every "sig" a
 * well-formed minisign signature whose key id equals "keyid"). `what` names it in errors.
 * Release with envelope_release (also after a failure). */
int envelope_parse(const char *line, size_t len, const char *what, struct envelope *out,
                   struct err *err);
void envelope_release(struct envelope *e);

/* A new envelope without signatures: copies type and payload. */
int envelope_init(struct envelope *e, const char *type, const void *payload, size_t len,
                  struct err *err);

/* DSSE's pre-authentication encoding, "DSSEv1 <len> <type> <len> <payload>": the bytes
 * every signature of an envelope (and of a plain DSSE envelope, dsse.h) signs. Heap. */
int dsse_pae(const char *type, const uint8_t *payload, size_t payload_len, uint8_t **out,
             size_t *len, struct err *err);

/* The bytes every signature signs: PAE(type, payload), heap, owned by the caller. */
int envelope_pae(const struct envelope *e, uint8_t **out, size_t *len, struct err *err);

/* Signs the PAE with `sk` and `trusted_comment`; a signature by the same key is replaced.
 * *sig_text (may be NULL) receives a heap copy of the minisign signature file text (for a
 * detached signature file). */
int envelope_sign(struct envelope *e, const struct minisign_seckey *sk, const char *trusted_comment,
                  char **sig_text, struct err *err);

/* Adds a detached minisign signature file's text (a signature by the same key replaces the
 * old one). Checks its form only; envelope_count judges it. */
int envelope_add_sig(struct envelope *e, const char *text, size_t len, struct err *err);

/* The threshold rule (specs/trust.md "Thresholds"), the one count every threshold uses: the
 * number of distinct keys of `keys` (n of them; a key id listed twice counts once) for which
 * `signed_by(key, ctx)` says there is a valid signature. Keys outside the set are never asked. */
size_t threshold_count(const struct minisign_pubkey *keys, size_t n,
                       bool (*signed_by)(const struct minisign_pubkey *key, void *ctx), void *ctx);

/* The number of distinct keys of `keys` (n of them) with a valid signature in `e`
 * (threshold_count over the envelope's minisign signatures). */
size_t envelope_count(const struct envelope *e, const struct minisign_pubkey *keys, size_t n);

/* The envelope as one line of JSON with "\n", signatures in key-id order; heap. */
int envelope_format(const struct envelope *e, char **out, size_t *len, struct err *err);

#endif
