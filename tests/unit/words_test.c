#include <criterion/criterion.h>

#include "pack/words.h"
#include "release/base/error.h"

#include <stdlib.h>
#include <string.h>

Test(words, split_with_quotes_and_no_shell)
{
	struct strlist w = {0};
	struct err err;

	cr_assert_eq(words_split("node  server.js 'a b' \"c \\\"d\\\"\" e\\ f $HOME;x", &w, &err),
	             0);
	cr_assert_eq(w.n, 6);
	cr_assert_str_eq(w.v[0], "node");
	cr_assert_str_eq(w.v[2], "a b");
	cr_assert_str_eq(w.v[3], "c \"d\"");
	cr_assert_str_eq(w.v[4], "e f");
	cr_assert_str_eq(w.v[5], "$HOME;x");
	strlist_clear(&w);
	cr_assert_eq(words_split("''", &w, &err), 0);
	cr_assert_eq(w.n, 1);
	cr_assert_str_eq(w.v[0], "");
	strlist_clear(&w);
	cr_assert_eq(words_split("a 'b", &w, &err), -1);
	cr_assert_eq(words_split("a \"b", &w, &err), -1);
	cr_assert_eq(words_split("a\\", &w, &err), -1);
	strlist_clear(&w);
}

Test(words, quote_round_trips)
{
	const char *samples[] = {"plain", "two words", "say \"hi\"", "back\\slash", "", "a;b",
	                         "it's",  "x ;y",      ";"};
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct strlist w = {0};
		char *q = words_quote(samples[i]);
		struct err err;

		cr_assert_eq(words_split(q, &w, &err), 0, "%s", q);
		cr_assert_eq(w.n, 1, "%s", q);
		cr_assert_str_eq(w.v[0], samples[i]);
		strlist_clear(&w);
		free(q);
	}
}

Test(words, join_reads_back_as_the_same_words)
{
	struct strlist in = {0}, back = {0};
	struct err err;
	char *line;

	cr_assert_eq(strlist_push(&in, "node"), 0);
	cr_assert_eq(strlist_push(&in, "two words"), 0);
	cr_assert_eq(strlist_push(&in, "say \"hi\""), 0);
	cr_assert_eq(strlist_push(&in, "a;b$X"), 0);
	line = words_join(&in);
	cr_assert_not_null(line);
	cr_assert_eq(words_split(line, &back, &err), 0, "%s", err.msg);
	cr_assert_eq(back.n, in.n);
	for (size_t i = 0; i < in.n; i++)
		cr_assert_str_eq(back.v[i], in.v[i]);
	free(line);
	strlist_clear(&in);
	strlist_clear(&back);
}
