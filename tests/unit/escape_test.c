#include <criterion/criterion.h>

#include "release/base/escape.h"

#include <locale.h>
#include <stdio.h>
#include <wchar.h>
#include <stdlib.h>
#include <string.h>

static void expect(const char *in, size_t len, const char *want)
{
	char out[512];
	size_t n = esc_text(out, sizeof(out), in, len);

	cr_assert_str_eq(out, want);
	cr_assert_eq(n, strlen(want));
}
#define EXPECT(lit, want) expect(lit, sizeof(lit) - 1, want)

Test(escape, keeps_printable_ascii_and_valid_utf8)
{
	EXPECT("app/index.txt", "app/index.txt");
	EXPECT("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80",
	       "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80");
}

Test(escape, escapes_c0_del_and_backslash)
{
	EXPECT("\x1b]0;owned\x07\x1b[2J", "\\x1b]0;owned\\x07\\x1b[2J");
	EXPECT("a\nb\rc\td", "a\\nb\\rc\\td");
	EXPECT("x\x7fy", "x\\x7fy");
	EXPECT("C:\\x1b", "C:\\\\x1b");
	EXPECT("nul\0here", "nul\\x00here");
}

Test(escape, escapes_c1_and_reordering_characters)
{
	EXPECT("\xc2\x9b"
	       "31m",
	       "\\xc2\\x9b31m");
	EXPECT("\xc2\x85", "\\xc2\\x85");
	EXPECT("abc\xe2\x80\xaetxt.exe", "abc\\xe2\\x80\\xaetxt.exe");
	EXPECT("\xe2\x81\xa6x", "\\xe2\\x81\\xa6x");
	EXPECT("line\xe2\x80\xa8sep", "line\\xe2\\x80\\xa8sep");
	EXPECT("\xc2\xa0nbsp", "\xc2\xa0nbsp");
}

Test(escape, escapes_every_byte_of_invalid_utf8)
{
	EXPECT("\xff\xfe", "\\xff\\xfe");
	EXPECT("\xc0\xaf", "\\xc0\\xaf");                   /* overlong '/' */
	EXPECT("\xe0\x80\xaf", "\\xe0\\x80\\xaf");          /* overlong, 3 bytes */
	EXPECT("\xed\xa0\x80", "\\xed\\xa0\\x80");          /* surrogate */
	EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* beyond U+10FFFF */
	EXPECT("end\xe6\x97", "end\\xe6\\x97");             /* truncated */
	EXPECT("\x80x", "\\x80x");                          /* lone continuation */
}

Test(escape, cuts_only_between_units_and_reports_the_full_length)
{
	char out[8];
	size_t n = esc_text(out, sizeof(out), "ab\x1b\x1b", 4);

	cr_assert_str_eq(out, "ab\\x1b");
	cr_assert_eq(n, 10);
	n = esc_text(out, sizeof(out), "abcdef\xc3\xa9", 8);
	cr_assert_str_eq(out, "abcdef");
	cr_assert_eq(n, 8);
}

/* Whatever the input, the output has no control byte and is valid UTF-8 (checked by the
 * C library's decoder in a UTF-8 locale). */
Test(escape, output_is_safe_for_any_input)
{
	char in[64], out[4 * sizeof(in) + 1];

	cr_assert_not_null(setlocale(LC_CTYPE, "C.UTF-8"));
	srand(15);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(in));
		mbstate_t st;
		const char *p;

		for (size_t i = 0; i < len; i++)
			in[i] = (char)(rand() % 4 ? rand() % 256 : 0x80 + rand() % 64);
		esc_text(out, sizeof(out), in, len);
		for (p = out; *p; p++)
			cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f,
			          "control byte in output");
		memset(&st, 0, sizeof(st));
		p = out;
		cr_assert_neq(mbsrtowcs(NULL, &p, 0, &st), (size_t)-1, "invalid UTF-8 in output");
	}
}

Test(escape, fputs_escapes_long_text_across_slices)
{
	char in[3001], want[3020], *got = NULL;
	size_t got_len = 0;
	FILE *f = open_memstream(&got, &got_len);

	/* 999 euro signs, a truncated one, an escape: slices never split a sequence. */
	for (int i = 0; i < 1000; i++)
		memcpy(in + 3 * i, "\xe2\x82\xac", 3);
	in[2998] = '\x1b';
	in[2999] = '\0';
	memcpy(want, in, 2997);
	strcpy(want + 2997, "\\xe2\\x1b");
	esc_fputs(in, f);
	fclose(f);
	cr_assert_str_eq(got, want);
	free(got);
}
