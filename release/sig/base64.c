#include "release/sig/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

void base64_encode(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	out[BASE64_LEN(n)] = '\0';
}

static int is_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int base64_decode_exact(const char *text, size_t len, uint8_t *out, size_t want)
{
	/* Sized for the largest object minisign encodes (a 158-byte secret key). */
	unsigned char buf[192];
	char again[BASE64_LEN(sizeof(buf)) + 1];
	size_t i, pad = want % 3 ? 3 - want % 3 : 0;
	int rc = -1;

	if (want == 0 || want > sizeof(buf) - 2 || len != BASE64_LEN(want))
		return -1;
	for (i = 0; i < len - pad; i++)
		if (!is_b64_char(text[i]))
			return -1;
	for (; i < len; i++)
		if (text[i] != '=')
			return -1;
	if (EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len) != (int)(want + pad))
		goto out;
	/* Canonical form only: re-encoding must give back the same text (unused bits zero). */
	base64_encode(buf, want, again);
	if (memcmp(again, text, len) != 0)
		goto out;
	memcpy(out, buf, want);
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(again, sizeof(again));
	return rc;
}

int base64_decode_alloc(const char *text, size_t len, uint8_t **out, size_t *n)
{
	size_t want, pad = 0, i;
	unsigned char *buf;
	char *again;

	*out = NULL;
	if (len % 4 || len > (size_t)1 << 30)
		return -1;
	if (len && text[len - 1] == '=')
		pad++;
	if (len > 1 && text[len - 2] == '=')
		pad++;
	want = len / 4 * 3 - pad;
	for (i = 0; i < len - pad; i++)
		if (!is_b64_char(text[i]))
			return -1;
	buf = calloc(1, len / 4 * 3 + 1);
	again = malloc(len + 1);
	if (!buf || !again)
		goto bad;
	if (len && EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len) != (int)(want + pad))
		goto bad;
	base64_encode(buf, want, again);
	if (memcmp(again, text, len) != 0)
		goto bad;
	free(again);
	buf[want] = '\0';
	*out = buf;
	*n = want;
	return 0;
bad:
	free(buf);
	free(again);
	return -1;
}
