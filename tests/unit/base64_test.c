/* base64 as minisign writes it: only canonical text of the exact length decodes. */
#include <criterion/criterion.h>

#include "release/sig/base64.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(base64, decode_exact_accepts_only_canonical_text_of_the_exact_length)
{
	uint8_t in[158], out[158];
	char text[BASE64_LEN(158) + 1];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	base64_encode(in, sizeof(in), text);
	cr_assert_eq(strlen(text), 212);
	cr_assert_eq(base64_decode_exact(text, strlen(text), out, sizeof(out)), 0);
	cr_assert_eq(memcmp(in, out, sizeof(in)), 0);
	cr_assert_eq(base64_decode_exact(text, strlen(text), out, 157), -1);
	cr_assert_eq(base64_decode_exact(text, strlen(text) - 4, out, 156), 0, "prefix groups");
	cr_assert_eq(base64_decode_exact("QQ==", 4, out, 1), 0);
	cr_assert_eq(out[0], 'A');
	cr_assert_eq(base64_decode_exact("QR==", 4, out, 1), -1, "non-zero padding bits");
	cr_assert_eq(base64_decode_exact("QQ=A", 4, out, 1), -1);
	cr_assert_eq(base64_decode_exact("Q Q=", 4, out, 1), -1);
	cr_assert_eq(base64_decode_exact("QUJD\n", 5, out, 3), -1);
	cr_assert_eq(base64_decode_exact("QUJD", 4, out, 3), 0);
}
