#include <criterion/criterion.h>

#include "runtime/linebuf.h"

#include <stdlib.h>
#include <string.h>

struct lines {
	char text[8][LINEBUF_MAX + 1];
	int n;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;

	memcpy(l->text[l->n], line, len);
	l->text[l->n++][len] = '\0';
}

Test(linebuf, splits_across_reads_and_flushes_partial_line)
{
	struct linebuf lb = {.n = 0};
	struct lines l = {.n = 0};

	linebuf_feed(&lb, "hel", 3, collect, &l);
	cr_assert_eq(l.n, 0);
	linebuf_feed(&lb, "lo\nwor", 6, collect, &l);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.text[0], "hello");
	linebuf_feed(&lb, "ld\n\n", 4, collect, &l);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.text[1], "world");
	cr_assert_str_eq(l.text[2], "");
	linebuf_feed(&lb, "tail", 4, collect, &l);
	linebuf_flush(&lb, collect, &l);
	cr_assert_eq(l.n, 4);
	cr_assert_str_eq(l.text[3], "tail");
}

Test(linebuf, overlong_line_is_cut_not_lost)
{
	static char big[LINEBUF_MAX + 10];
	struct linebuf lb = {.n = 0};
	struct lines l = {.n = 0};

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	linebuf_feed(&lb, big, sizeof(big), collect, &l);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(strlen(l.text[0]), LINEBUF_MAX);
	cr_assert_eq(strlen(l.text[1]), 9);
}
