#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/history.h"
#include "release/store/store.h"
#include "release/store/store_meta.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A TEST public key (minisign format); nothing was ever signed with its secret half. */
static const char test_pub[] = "untrusted comment: minisign public key 6530A0EFB85DEF12\n"
                               "RWQS3124r6AwZfX+Hb3dNZ94OHG6pV8jIFJK/qYHmfhbzBFBUkNwIxCV\n";

static char dir[64];
static struct store st = {.rootfd = -1, .lockfd = -1};
static const char *versions[] = {"a", "b", "c", "d", "e", "f"};
#define NV (sizeof(versions) / sizeof(versions[0]))

/* The store lives in tmpfs where there is one: thousands of fdatasyncs cost nothing there,
 * and what is measured below is bytes read, not time. */
static void setup(void)
{
	struct err err;

	snprintf(dir, sizeof(dir), "%s/slipway-history-test-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	strcat(dir, "/s");
	cr_assert_eq(store_init(dir, test_pub, strlen(test_pub), &err), 0, "%s", err.msg);
	cr_assert_eq(store_open(dir, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(store_lock(&st, 0, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < NV; i++) {
		struct release_record r = {.version = (char *)versions[i],
		                           .app = "a",
		                           .serial = 1,
		                           .commit = "",
		                           .archive_hash = "00",
		                           .installed_at = "2026-01-01T00:00:00Z",
		                           .bad_reason = ""};
		char path[256];

		snprintf(path, sizeof(path), STORE_RELEASES "/%s", versions[i]);
		cr_assert_eq(mkdirat(st.rootfd, path, 0755), 0);
		cr_assert_eq(store_record_write(&st, &r, &err), 0, "%s", err.msg);
	}
}

static void teardown(void)
{
	struct err err;

	store_close(&st);
	*strrchr(dir, '/') = '\0';
	remove_tree_at(AT_FDCWD, dir, &err);
}

TestSuite(history, .init = setup, .fini = teardown);

struct collected {
	char **v;
	size_t n;
};

static int collect(void *ctx, const char *version)
{
	struct collected *c = ctx;

	c->v = realloc(c->v, (c->n + 1) * sizeof(char *));
	cr_assert_not_null(c->v);
	c->v[c->n++] = strdup(version);
	return 0;
}

static char *current_version(void)
{
	struct err err;
	char *cur = NULL;

	cr_assert_eq(store_current_version(&st, &cur, &err), 0, "%s", err.msg);
	return cur;
}

/* The entries below the top that the stored stack gives must be those of the reference
 * replay of the whole history, in the same order. */
static void assert_stack_matches_replay(const char *when)
{
	struct collected got = {0};
	struct history h;
	struct err err;
	char **stack = NULL, *cur = current_version();
	size_t n = 0;

	cr_assert_eq(history_stack_visit(&st, cur, collect, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(history_activation_stack(&h, cur, &stack, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(got.n, n ? n - 1 : 0, "%s: %zu entries below the top, the replay has %zu",
	             when, got.n, n ? n - 1 : 0);
	for (size_t i = 0; i < got.n; i++)
		cr_assert_str_eq(got.v[i], stack[n - 2 - i], "%s: entry %zu", when, i);
	for (size_t i = 0; i < got.n; i++)
		free(got.v[i]);
	free(got.v);
	for (size_t i = 0; i < n; i++)
		free(stack[i]);
	free(stack);
	history_release(&h);
	free(cur);
}

/* A switch the history never heard of: what a crash between the rename and the append
 * leaves. */
static void switch_without_history(const char *v)
{
	char target[64];

	snprintf(target, sizeof(target), STORE_RELEASES "/%s", v);
	unlinkat(st.rootfd, ".current.t", 0);
	cr_assert_eq(symlinkat(target, st.rootfd, ".current.t"), 0);
	cr_assert_eq(renameat(st.rootfd, ".current.t", st.rootfd, STORE_CURRENT), 0);
}

static void append_bytes(const char *bytes, size_t len)
{
	int fd = openat(st.rootfd, STORE_HISTORY, O_WRONLY | O_APPEND);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
	close(fd);
}

static void append_raw(const char *text)
{
	append_bytes(text, strlen(text));
}

static void random_steps(unsigned seed, int steps)
{
	struct err err;
	char *t;

	srand(seed);
	for (int i = 0; i < steps; i++) {
		const char *v = versions[rand() % NV];
		struct history_event ev = {.action = "install", .version = v};
		int what = rand() % 100;

		if (what < 45) {
			cr_assert_eq(store_activate(&st, v, "activate", NULL, &err), 0, "%s",
			             err.msg);
		} else if (what < 75) {
			cr_assert_eq(store_rollback_target(&st, &t, &err), 0, "%s", err.msg);
			if (t)
				cr_assert_eq(store_activate(&st, t, "rollback", NULL, &err), 0,
				             "%s", err.msg);
			free(t);
		} else if (what < 83) {
			cr_assert_eq(store_activate(&st, v, "rollback", NULL, &err), 0, "%s",
			             err.msg);
		} else if (what < 88) {
			switch_without_history(v);
		} else if (what < 93) {
			ev.action = rand() % 2 ? "install" : "mark-bad";
			ev.reason = "test";
			cr_assert_eq(history_append(&st, &ev, &err), 0, "%s", err.msg);
		} else if (what < 96) {
			append_raw(
			    "{\"seq\": 99, \"time\": \"2026-01-01T00:00:00Z\", \"act"); /* torn */
		} else {
			append_raw("\n"); /* an empty line, harmless */
		}
		assert_stack_matches_replay("random step");
	}
}

Test(history, stored_stack_matches_the_replay_of_random_switches)
{
	random_steps(1, 400);
	random_steps(2, 400);
}

Test(history, a_history_from_an_older_slipway_is_replayed_then_extended)
{
	struct err err;
	char *t = NULL;

	/* Lines without the stack fields, as written before them. */
	append_raw("{\"seq\":1,\"time\":\"2026-01-01T00:00:00Z\",\"action\":\"activate\","
	           "\"from\":null,\"to\":\"a\"}\n"
	           "{\"seq\":2,\"time\":\"2026-01-01T00:00:00Z\",\"action\":\"activate\","
	           "\"from\":\"a\",\"to\":\"b\"}\n"
	           "{\"seq\":3,\"time\":\"2026-01-01T00:00:00Z\",\"action\":\"activate\","
	           "\"from\":\"b\",\"to\":\"c\"}\n");
	switch_without_history("c");
	assert_stack_matches_replay("old history");
	cr_assert_eq(store_rollback_target(&st, &t, &err), 0, "%s", err.msg);
	cr_assert_str_eq(t, "b");
	cr_assert_eq(store_activate(&st, t, "rollback", NULL, &err), 0, "%s", err.msg);
	free(t);
	assert_stack_matches_replay("after a rollback on an old history");
	cr_assert_eq(store_rollback_target(&st, &t, &err), 0, "%s", err.msg);
	cr_assert_str_eq(t, "a");
	free(t);
	random_steps(3, 200);
}

Test(history, a_torn_last_line_is_ignored_and_cut_off_by_the_next_append)
{
	struct history_event ev = {.action = "prune", .version = "a"};
	struct history h;
	struct err err;
	char *text = NULL;
	size_t len;

	cr_assert_eq(store_activate(&st, "a", "activate", NULL, &err), 0, "%s", err.msg);
	append_raw("{\"seq\":2,\"time\":\"2026-01-01T00:00:00Z\",\"action\":\"acti");
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 1);
	history_release(&h);
	cr_assert_eq(history_append(&st, &ev, &err), 0, "%s", err.msg);
	cr_assert_eq(read_file_at(st.rootfd, STORE_HISTORY, 1 << 20, 1, &text, &len, &err), 0);
	cr_assert_null(strstr(text, "acti\""), "the torn line is still there: %s", text);
	cr_assert(len > 0 && text[len - 1] == '\n');
	free(text);
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 2);
	cr_assert_eq(h.ev[1].seq, 2);
	cr_assert_str_eq(h.ev[1].action, "prune");
	history_release(&h);

	/* A last line that ends in a newline but does not parse (pages of an append that did
	 * not all reach the disk) is torn as well. */
	append_bytes("{\"seq\":3,\"ti\0\0\0\0\n", 17);
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 2);
	history_release(&h);
	cr_assert_eq(store_activate(&st, "b", "activate", NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 3);
	cr_assert_eq(h.ev[2].seq, 3);
	history_release(&h);
}

/* specs/store.md "History": "Readers ignore a torn last line, and the next append cuts it off
 * (ftruncate) before writing" -- whatever its length. A tail of 100 KiB without a newline
 * (longer than any line slipway writes) made every later append fail. */
Test(history, a_torn_tail_of_any_length_is_cut_off_by_the_next_append)
{
	size_t big = 100u << 10, len;
	char *junk = malloc(big), *text = NULL;
	struct history h;
	struct err err;

	cr_assert_not_null(junk);
	cr_assert_eq(store_activate(&st, "a", "activate", NULL, &err), 0, "%s", err.msg);
	memset(junk, 'x', big);
	memcpy(junk, "{\"seq\":2,\"time\":\"", 17);
	append_bytes(junk, big);
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 1);
	history_release(&h);
	cr_assert_eq(store_activate(&st, "b", "activate", NULL, &err), 0, "%s", err.msg);

	/* The other kind of torn tail: ending in a newline, not parsing, here 1 MiB long. */
	free(junk);
	big = 1u << 20;
	junk = malloc(big);
	cr_assert_not_null(junk);
	memset(junk, 'y', big);
	junk[big - 1] = '\n';
	append_bytes(junk, big);
	cr_assert_eq(store_activate(&st, "c", "activate", NULL, &err), 0, "%s", err.msg);
	free(junk);

	cr_assert_eq(read_file_at(st.rootfd, STORE_HISTORY, 4 << 20, 1, &text, &len, &err), 0);
	cr_assert_lt(len, 4096, "the torn tails are still there (%zu bytes)", len);
	free(text);
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 3);
	cr_assert_eq(h.ev[2].seq, 3);
	cr_assert_str_eq(h.ev[2].to, "c");
	history_release(&h);
	assert_stack_matches_replay("after two long torn tails");
}

/* A FIFO in the history's place is refused at once, not waited for (rollback held the store
 * lock forever): every reader and the append. */
Test(history, a_fifo_in_place_of_the_history_is_refused_without_waiting, .timeout = 10)
{
	struct history_event ev = {.action = "prune", .version = "a"};
	struct history h;
	struct err err;
	char *t = NULL;

	cr_assert_eq(store_activate(&st, "a", "activate", NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(store_activate(&st, "b", "activate", NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(unlinkat(st.rootfd, STORE_HISTORY, 0), 0);
	cr_assert_eq(mkfifoat(st.rootfd, STORE_HISTORY, 0644), 0);
	cr_assert_eq(store_rollback_target(&st, &t, &err), -1);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
	cr_assert_eq(err.kind, ERR_SYSTEM);
	cr_assert_eq(history_load(&st, &h, &err), -1);
	cr_assert_eq(history_append(&st, &ev, &err), -1);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
}

static unsigned long long rchar(void)
{
	char buf[512];
	int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	unsigned long long v = 0;

	if (fd >= 0)
		close(fd);
	cr_assert_gt(n, 0, "/proc/self/io is needed to count bytes read");
	buf[n] = '\0';
	cr_assert_eq(sscanf(buf, "rchar: %llu", &v), 1);
	return v;
}

/* Bytes read by one activate and one rollback (target and switch). */
static unsigned long long cost_of_next_switch(void)
{
	struct err err;
	char *t = NULL;
	unsigned long long before = rchar();

	cr_assert_eq(store_activate(&st, "c", "activate", NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(store_rollback_target(&st, &t, &err), 0, "%s", err.msg);
	cr_assert_not_null(t);
	cr_assert_eq(store_activate(&st, t, "rollback", NULL, &err), 0, "%s", err.msg);
	free(t);
	return rchar() - before;
}

Test(history, ten_thousand_switches_do_not_slow_the_next_one, .timeout = 600)
{
	struct err err;
	unsigned long long early, late;
	struct stat sb;

	for (int i = 0; i < 500; i++) {
		cr_assert_eq(store_activate(&st, "a", "activate", NULL, &err), 0, "%s", err.msg);
		cr_assert_eq(store_activate(&st, "b", "activate", NULL, &err), 0, "%s", err.msg);
	}
	early = cost_of_next_switch();
	for (int i = 0; i < 4500; i++) {
		cr_assert_eq(store_activate(&st, "a", "activate", NULL, &err), 0, "%s", err.msg);
		cr_assert_eq(store_activate(&st, "b", "activate", NULL, &err), 0, "%s", err.msg);
	}
	late = cost_of_next_switch();
	cr_assert_eq(fstatat(st.rootfd, STORE_HISTORY, &sb, 0), 0);
	/* The history has grown tenfold, to about a megabyte; the next switch still reads only
	 * its end. */
	cr_assert_gt(sb.st_size, 1000000);
	cr_assert_leq(late, early + 1024,
	              "the next switch read %llu bytes after 10,000 switches, %llu after 1,000",
	              late, early);
	cr_assert_lt(late, 64 * 1024);
	assert_stack_matches_replay("after 10,000 switches");
}
