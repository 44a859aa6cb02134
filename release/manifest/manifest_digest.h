/* The digest that names a manifest in the signed trusted comment (specs/channel.md "The
 * chain"): SHA-256 of the manifest entry's data, exactly the bytes of the archive's first
 * entry. One home, so that pack (which writes it) and the store (which checks it) agree. */
#ifndef SLIPWAY_MANIFEST_DIGEST_H
#define SLIPWAY_MANIFEST_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define MANIFEST_DIGEST_BYTES 32

void manifest_digest(const void *data, size_t len, uint8_t out[MANIFEST_DIGEST_BYTES]);
/* The same as 64 lower-case hex digits and a NUL. */
void manifest_digest_hex(const void *data, size_t len, char hex[2 * MANIFEST_DIGEST_BYTES + 1]);

#endif
