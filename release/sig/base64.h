/* Strict standard base64 (RFC 4648 alphabet, '=' padding, no line breaks), as minisign
 * writes it. Built on OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock, which alone are lenient
 * (whitespace, padding counted in lengths), hence the checks here. */
#ifndef SLIPWAY_BASE64_H
#define SLIPWAY_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes, without the NUL. */
#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/* Encodes n bytes into out (at least BASE64_LEN(n) + 1 bytes), NUL-terminated. */
void base64_encode(const uint8_t *in, size_t n, char *out);

/* Decodes exactly `len` characters into exactly `want` bytes. Fails unless the text is the
 * canonical encoding of `want` bytes (right length, alphabet only, correct padding, unused
 * bits zero). Returns 0 or -1 (no message: callers say what was being decoded). */
int base64_decode_exact(const char *text, size_t len, uint8_t *out, size_t want);

/* Decodes canonical base64 text of any length (the same checks as base64_decode_exact) into
 * a heap buffer, NUL-terminated after its *n bytes, owned by the caller. -1 when the text is
 * not canonical base64 or memory ran out. */
int base64_decode_alloc(const char *text, size_t len, uint8_t **out, size_t *n);

#endif
