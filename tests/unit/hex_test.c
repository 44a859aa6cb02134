/* hex_encode: lowercase, two digits a byte, NUL-terminated, nothing written past 2n + 1. */
#include <criterion/criterion.h>

#include "release/base/hex.h"

#include <stdio.h>
#include <string.h>

Test(hex, encodes_every_byte_value_in_lowercase)
{
	uint8_t all[256];
	char out[2 * 256 + 1], want[3];

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	hex_encode(all, sizeof(all), out);
	cr_assert_eq(strlen(out), 512);
	for (int i = 0; i < 256; i++) {
		snprintf(want, sizeof(want), "%02x", i);
		cr_assert(!memcmp(out + 2 * i, want, 2), "byte %d: %.2s", i, out + 2 * i);
	}
}

Test(hex, writes_exactly_2n_plus_1_bytes)
{
	const uint8_t b[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[12];

	memset(out, '#', sizeof(out));
	hex_encode(b, sizeof(b), out);
	cr_assert_str_eq(out, "000fa5ff");
	cr_assert_eq(out[9], '#');
	hex_encode(b, 0, out);
	cr_assert_str_eq(out, "");
}
