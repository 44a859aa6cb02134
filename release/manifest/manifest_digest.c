/* See manifest_digest.h. */
#include "release/base/hex.h"
#include "release/manifest/manifest_digest.h"

#include <openssl/evp.h>
#include <stdio.h>

void manifest_digest(const void *data, size_t len, uint8_t out[MANIFEST_DIGEST_BYTES])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

void manifest_digest_hex(const void *data, size_t len, char hex[2 * MANIFEST_DIGEST_BYTES + 1])
{
	uint8_t d[MANIFEST_DIGEST_BYTES];

	manifest_digest(data, len, d);
	hex_encode(d, MANIFEST_DIGEST_BYTES, hex);
}
