#include "release/base/seektable.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const struct seek_frame two[2] = {{.csize = 100, .dsize = 512}, {.csize = 7, .dsize = 1}};

Test(seektable, encodes_zstd_seekable_layout_without_checksums)
{
	uint8_t b[64];
	size_t n = 0;

	cr_assert_eq(seektable_size(2), 8 + 16 + 9);
	seektable_encode(two, 2, b);
	/* skippable magic 0x184D2A5E, content size 25, little-endian */
	cr_assert_eq(memcmp(b, "\x5e\x2a\x4d\x18\x19\x00\x00\x00", 8), 0);
	cr_assert_eq(memcmp(b + 8, "\x64\x00\x00\x00\x00\x02\x00\x00", 8), 0);
	cr_assert_eq(memcmp(b + 24, "\x02\x00\x00\x00\x00\xb1\xea\x92\x8f", 9), 0);
	cr_assert_eq(seektable_footer(b + 24, &n, NULL), 0);
	cr_assert_eq(n, 2);
}

Test(seektable, parse_round_trips)
{
	uint8_t b[64];
	struct seek_frame v[2];

	seektable_encode(two, 2, b);
	cr_assert_eq(seektable_parse(b, seektable_size(2), 2, v, NULL), 0);
	cr_assert_eq(memcmp(v, two, sizeof(two)), 0);
}

Test(seektable, footer_refuses_checksum_flag_bad_magic_and_huge_counts)
{
	uint8_t b[64];
	struct err err;
	size_t n;

	seektable_encode(two, 2, b);
	b[28] = 0x80;
	cr_assert_eq(seektable_footer(b + 24, &n, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	seektable_encode(two, 2, b);
	b[32] ^= 1;
	cr_assert_eq(seektable_footer(b + 24, &n, &err), -1);
	seektable_encode(two, 2, b);
	memcpy(b + 24, "\xff\xff\xff\xff", 4);
	cr_assert_eq(seektable_footer(b + 24, &n, &err), -1);
	memcpy(b + 24, "\0\0\0\0", 4);
	cr_assert_eq(seektable_footer(b + 24, &n, &err), -1);
}

Test(seektable, parse_refuses_disagreeing_sizes_and_empty_frames)
{
	uint8_t b[64];
	struct seek_frame v[3];
	struct err err;

	seektable_encode(two, 2, b);
	cr_assert_eq(seektable_parse(b, seektable_size(2) - 1, 2, v, &err), -1);
	cr_assert_eq(seektable_parse(b, seektable_size(2), 3, v, &err), -1);
	b[4] ^= 1;
	cr_assert_eq(seektable_parse(b, seektable_size(2), 2, v, &err), -1);
	seektable_encode(two, 2, b);
	memset(b + 8, 0, 4);
	cr_assert_eq(seektable_parse(b, seektable_size(2), 2, v, &err), -1);
	cr_assert(strstr(err.msg, "empty"));
}

Test(seektable, file_tail_is_the_table_size_or_zero)
{
	uint8_t b[200];
	FILE *f = tmpfile();
	size_t end = 100 + seektable_size(2);

	cr_assert(f);
	memset(b, 0x11, sizeof(b));
	seektable_encode(two, 2, b + 100);
	cr_assert_eq(fwrite(b, 1, end, f), end);
	fflush(f);
	cr_assert_eq(seektable_file_tail(fileno(f), end), seektable_size(2));
	/* a table as large as the file, a cut footer, a file shorter than a footer: none */
	cr_assert_eq(seektable_file_tail(fileno(f), end - 1), 0);
	cr_assert_eq(seektable_file_tail(fileno(f), 5), 0);
	cr_assert_eq(seektable_file_tail(fileno(f), 0), 0);
	fclose(f);
}
