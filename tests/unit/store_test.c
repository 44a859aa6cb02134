#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/history.h"
#include "release/manifest/manifest_check.h"
#include "release/store/gate.h"
#include "release/store/store.h"
#include "release/store/store_meta.h"
#include "release/sig/base64.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A TEST public key (minisign format); nothing was ever signed with its secret half. */
static const char test_pub[] = "untrusted comment: minisign public key 6530A0EFB85DEF12\n"
                               "RWQS3124r6AwZfX+Hb3dNZ94OHG6pV8jIFJK/qYHmfhbzBFBUkNwIxCV\n";

static char dir[64] = "/tmp/slipway-store-test-XXXXXX";
static struct store st = {.rootfd = -1, .lockfd = -1};

static void setup(void)
{
	struct err err;

	cr_assert_not_null(mkdtemp(dir));
	strcat(dir, "/s");
	cr_assert_eq(store_init(dir, test_pub, strlen(test_pub), &err), 0, "%s", err.msg);
	cr_assert_eq(store_open(dir, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(store_lock(&st, 0, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
	struct err err;

	store_close(&st);
	*strrchr(dir, '/') = '\0';
	remove_tree_at(AT_FDCWD, dir, &err);
}

TestSuite(store, .init = setup, .fini = teardown);

/* A fake installed release: the directory and its record, as install leaves them. */
static void fake_release(const char *v, bool bad)
{
	struct release_record r = {.version = (char *)v,
	                           .app = "a",
	                           .serial = 1,
	                           .commit = "",
	                           .archive_hash = "00",
	                           .installed_at = "2026-01-01T00:00:00Z",
	                           .bad = bad,
	                           .bad_reason = ""};
	struct err err;
	char path[256];

	snprintf(path, sizeof(path), STORE_RELEASES "/%s", v);
	cr_assert_eq(mkdirat(st.rootfd, path, 0755), 0);
	cr_assert_eq(store_record_write(&st, &r, &err), 0, "%s", err.msg);
}

static char *target(void)
{
	struct err err;
	char *t = NULL;

	cr_assert_eq(store_rollback_target(&st, &t, &err), 0, "%s", err.msg);
	return t;
}

static void activate(const char *v, const char *action)
{
	struct err err;

	cr_assert_eq(store_activate(&st, v, action, NULL, &err), 0, "%s", err.msg);
}

static void expect_target(const char *want)
{
	char *t = target();

	if (want)
		cr_assert_str_eq(t ? t : "(none)", want);
	else
		cr_assert_null(t, "unexpected target %s", t);
	free(t);
}

Test(store, rollback_walks_back_without_bouncing)
{
	fake_release("a", false);
	fake_release("b", false);
	fake_release("c", false);
	expect_target(NULL);
	activate("a", "activate");
	activate("b", "activate");
	activate("c", "activate");
	expect_target("b");
	activate("b", "rollback");
	expect_target("a");
	activate("a", "rollback");
	expect_target(NULL);
	activate("c", "activate");
	expect_target("a");
}

Test(store, rollback_target_skips_bad_and_missing_releases)
{
	struct err err;

	fake_release("a", false);
	fake_release("b", false);
	fake_release("c", false);
	activate("a", "activate");
	activate("b", "activate");
	activate("c", "activate");
	cr_assert_eq(store_mark_bad(&st, "b", "health check failed", &err), 0, "%s", err.msg);
	expect_target("a");
	cr_assert_eq(remove_tree_at(st.rootfd, "releases/a", &err), 0);
	expect_target(NULL);
}

Test(store, current_is_the_truth_when_the_history_missed_a_switch)
{
	fake_release("a", false);
	fake_release("b", false);
	activate("a", "activate");
	/* A switch made without its history line, as after a crash between the two. */
	cr_assert_eq(symlinkat("releases/b", st.rootfd, ".current.x"), 0);
	cr_assert_eq(renameat(st.rootfd, ".current.x", st.rootfd, "current"), 0);
	expect_target("a");
}

Test(store, activate_writes_link_and_history)
{
	struct err err;
	char buf[64], *cur = NULL;
	struct history h;
	bool changed;
	ssize_t n;

	fake_release("1.0", false);
	cr_assert_eq(store_activate(&st, "1.0", "activate", &changed, &err), 0, "%s", err.msg);
	cr_assert(changed);
	n = readlinkat(st.rootfd, "current", buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "releases/1.0");
	cr_assert_eq(store_activate(&st, "1.0", "activate", &changed, &err), 0, "%s", err.msg);
	cr_assert(!changed);
	cr_assert_eq(store_current_version(&st, &cur, &err), 0);
	cr_assert_str_eq(cur, "1.0");
	free(cur);
	cr_assert_eq(history_load(&st, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 1);
	cr_assert_str_eq(h.ev[0].action, "activate");
	cr_assert_null(h.ev[0].from);
	cr_assert_str_eq(h.ev[0].to, "1.0");
	cr_assert_eq(h.ev[0].seq, 1);
	history_release(&h);
}

Test(store, activate_refuses_missing_release_and_real_directory)
{
	struct err err;

	fake_release("1.0", false);
	cr_assert_eq(store_activate(&st, "2.0", "activate", NULL, &err), -1);
	cr_assert_not_null(strstr(err.msg, "2.0 is not installed"), "%s", err.msg);
	cr_assert_eq(store_activate(&st, "../x", "activate", NULL, &err), -1);
	cr_assert_eq(mkdirat(st.rootfd, "current", 0755), 0);
	cr_assert_eq(store_activate(&st, "1.0", "activate", NULL, &err), -1);
	cr_assert_not_null(strstr(err.msg, "not a symlink"), "%s", err.msg);
	cr_assert_eq(faccessat(st.rootfd, "current/.", F_OK, 0), 0, "directory replaced");
}

Test(store, activate_and_sweep_need_the_lock)
{
	struct err err;
	struct stat sb;
	char *cur = NULL;

	fake_release("1.0", false);
	fake_release("2.0", false);
	activate("1.0", "activate");
	cr_assert_eq(mkdirat(st.rootfd, STORE_STAGING "/leftover.0", 0700), 0);
	store_unlock(&st);

	cr_assert_eq(store_activate(&st, "2.0", "activate", NULL, &err), -1);
	cr_assert_eq(err.kind, ERR_SYSTEM);
	cr_assert_not_null(strstr(err.msg, "without the store lock"), "%s", err.msg);
	cr_assert_eq(store_sweep(&st, &err), -1);
	cr_assert_not_null(strstr(err.msg, "without the store lock"), "%s", err.msg);
	/* Nothing moved: `current` still names 1.0 and the leftover is still there. */
	cr_assert_eq(store_current_version(&st, &cur, &err), 0, "%s", err.msg);
	cr_assert_str_eq(cur, "1.0");
	free(cur);
	cr_assert_eq(fstatat(st.rootfd, STORE_STAGING "/leftover.0", &sb, AT_SYMLINK_NOFOLLOW), 0,
	             "the sweep without the lock removed a leftover");
}

Test(store, lock_times_out_naming_the_holder)
{
	struct store other = {.rootfd = -1, .lockfd = -1};
	struct err err;
	char want[64];

	cr_assert_eq(store_open(dir, &other, &err), 0, "%s", err.msg);
	cr_assert_eq(store_lock(&other, 100, &err), -1);
	snprintf(want, sizeof(want), "store is locked by pid %ld", (long)getpid());
	cr_assert_not_null(strstr(err.msg, want), "%s", err.msg);
	store_unlock(&st);
	cr_assert_eq(store_lock(&other, 100, &err), 0, "%s", err.msg);
	store_close(&other);
}

Test(store, sweep_removes_leftovers_but_not_releases)
{
	struct err err;
	struct release_record r;

	fake_release("1.0", false);
	fake_release("2.0", false);
	cr_assert_eq(remove_tree_at(st.rootfd, "releases/2.0", &err), 0); /* orphan record */
	cr_assert_eq(mkdirat(st.rootfd, "staging/123.0", 0700), 0);
	cr_assert_eq(mkdirat(st.rootfd, "trash/1.0.99", 0700), 0);
	cr_assert_eq(symlinkat("releases/1.0", st.rootfd, ".current.77"), 0);
	cr_assert_eq(store_sweep(&st, &err), 0, "%s", err.msg);
	cr_assert_neq(faccessat(st.rootfd, "staging/123.0", F_OK, 0), 0);
	cr_assert_neq(faccessat(st.rootfd, "trash/1.0.99", F_OK, 0), 0);
	cr_assert_neq(faccessat(st.rootfd, ".current.77", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert_neq(faccessat(st.rootfd, "meta/2.0.json", F_OK, 0), 0);
	cr_assert(store_is_installed(&st, "1.0"));
	cr_assert_eq(store_record_read(&st, "1.0", &r, &err), 0, "%s", err.msg);
	store_record_release(&r);
}

Test(store, init_is_idempotent_and_keeps_its_pin)
{
	static const char other[] = "untrusted comment: minisign public key 0000000000000001\n"
	                            "RWQBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	struct err err;

	cr_assert_eq(store_init(dir, test_pub, strlen(test_pub), &err), 0, "%s", err.msg);
	cr_assert_eq(store_init(dir, other, strlen(other), &err), -1);
	cr_assert_not_null(strstr(err.msg, "already pinned to another key"), "%s", err.msg);
}

Test(store, state_round_trips)
{
	struct store_state s = {.app = "mediai",
	                        .has_high = true,
	                        .high_serial = 42,
	                        .high_hash = "ab",
	                        .high_version = "1.4.0"},
	                   back;
	struct err err;

	cr_assert_eq(store_state_read(&st, &back, &err), 0, "%s", err.msg);
	cr_assert(!back.has_high);
	cr_assert_str_eq(back.app, "");
	store_state_release(&back);
	cr_assert_eq(store_state_write(&st, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(store_state_read(&st, &back, &err), 0, "%s", err.msg);
	cr_assert(back.has_high);
	cr_assert_eq(back.high_serial, 42);
	cr_assert_str_eq(back.high_version, "1.4.0");
	/* The downgrade guard compares this hash: it must survive the round trip exactly. */
	cr_assert_str_eq(back.high_hash, "ab");
	cr_assert_str_eq(back.app, "mediai");
	store_state_release(&back);
	s.high_hash = "0123456789abcdef";
	s.high_serial = 43;
	cr_assert_eq(store_state_write(&st, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(store_state_read(&st, &back, &err), 0, "%s", err.msg);
	cr_assert_str_eq(back.high_hash, "0123456789abcdef");
	cr_assert_eq(back.high_serial, 43);
	store_state_release(&back);
}

static char *current(void)
{
	struct err err;
	char *v = NULL;

	cr_assert_eq(store_current_version(&st, &v, &err), 0, "%s", err.msg);
	return v;
}

/* The health gate's undo flips `current` back only while it still names the failed
 * release: an operator who moved on meanwhile is left alone. Each step takes the lock
 * itself, so the suite's own lock is let go first. */
Test(store, gate_undo_only_while_current_names_the_failed_release)
{
	struct err err;
	char *v;

	fake_release("a", false);
	fake_release("b", false);
	fake_release("c", false);
	activate("a", "activate");
	activate("b", "activate");
	store_unlock(&st);
	cr_assert_eq(store_gate_undo(dir, "b", "a", &err), 0, "%s", err.msg);
	cr_assert_str_eq(v = current(), "a");
	free(v);
	cr_assert_eq(store_lock(&st, 0, &err), 0, "%s", err.msg);
	activate("c", "activate");
	store_unlock(&st);
	cr_assert_eq(store_gate_undo(dir, "b", "a", &err), 1, "current moved on to c");
	cr_assert_str_eq(v = current(), "c");
	free(v);
}

Test(store, gate_marks_bad_only_what_is_installed)
{
	struct err err;

	fake_release("a", false);
	fake_release("b", false);
	activate("a", "activate");
	activate("b", "activate");
	store_unlock(&st);
	cr_assert_eq(store_gate_mark_bad(dir, "gone", "crashed", &err), 0, "%s", err.msg);
	cr_assert_eq(store_gate_mark_bad(dir, "a", "crashed", &err), 0, "%s", err.msg);
	cr_assert_eq(store_lock(&st, 0, &err), 0, "%s", err.msg);
	expect_target(NULL); /* a is bad: no rollback target from b */
}

/* specs/store.md "Layout": every store directory, run/ included, is the store owner's and
 * not writable by others; whoever owns run/ could replace the Node preload every web server
 * loads. Another owner is refused (nothing changed); a mode of ours is repaired. */
Test(store, every_store_directory_is_checked_run_included)
{
	static const char *const dirs[] = {STORE_RUN, STORE_RELEASES, STORE_SHARED};
	struct store other = {.rootfd = -1, .lockfd = -1};
	struct stat sb;
	struct err err;
	int fd;

	cr_assert_geq(fd = store_dir_open(st.rootfd, dir, STORE_RUN, true, &err), 0, "%s", err.msg);
	close(fd);
	cr_assert_eq(fstatat(st.rootfd, STORE_RUN, &sb, 0), 0);
	cr_assert_eq(sb.st_mode & 07777, 0755);

	/* Writable by others, ours: repaired by the next open of the store. */
	cr_assert_eq(fchmodat(st.rootfd, STORE_RUN, 0777, 0), 0);
	cr_assert_eq(store_open(dir, &other, &err), 0, "%s", err.msg);
	store_close(&other);
	cr_assert_eq(fstatat(st.rootfd, STORE_RUN, &sb, 0), 0);
	cr_assert_eq(sb.st_mode & 07777, 0755, "mode %o", sb.st_mode & 07777);

	if (geteuid() != 0)
		return; /* giving a directory away needs root */
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		cr_assert_eq(fchownat(st.rootfd, dirs[i], 65534, 65534, 0), 0);
		cr_assert_eq(store_open(dir, &other, &err), -1, "%s owned by another user",
		             dirs[i]);
		cr_assert(strstr(err.msg, "owned by uid 65534") && strstr(err.msg, dirs[i]), "%s",
		          err.msg);
		cr_assert_eq(err.kind, ERR_SYSTEM);
		cr_assert_eq(store_dir_open_path(dir, dirs[i], true, &err), -1);
		cr_assert_eq(fchownat(st.rootfd, dirs[i], 0, 0, 0), 0);
	}
	/* A link in run/'s place is never followed. */
	cr_assert_eq(unlinkat(st.rootfd, STORE_RUN, AT_REMOVEDIR), 0);
	cr_assert_eq(symlinkat("/tmp", st.rootfd, STORE_RUN), 0);
	cr_assert_eq(store_dir_open(st.rootfd, dir, STORE_RUN, true, &err), -1);
	cr_assert(strstr(err.msg, "symlink"), "%s", err.msg);
}

Test(store, action_key_is_made_once_private_and_stable)
{
	char a[STORE_ACTION_KEY_LEN + 1], b[STORE_ACTION_KEY_LEN + 1], path[256];
	uint8_t raw[STORE_ACTION_KEY_BYTES];
	struct stat sb;
	struct err err;

	cr_assert_eq(store_action_key(&st, a, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(a), STORE_ACTION_KEY_LEN);
	cr_assert_eq(base64_decode_exact(a, STORE_ACTION_KEY_LEN, raw, sizeof(raw)), 0);
	snprintf(path, sizeof(path), STORE_SHARED "/" STORE_ACTION_KEY);
	cr_assert_eq(fstatat(st.rootfd, path, &sb, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert(S_ISREG(sb.st_mode));
	cr_assert_eq(sb.st_mode & 07777, 0600);
	cr_assert_eq(sb.st_uid, geteuid());
	cr_assert_eq(sb.st_size, STORE_ACTION_KEY_LEN + 1);
	cr_assert_eq(store_action_key(&st, b, &err), 0, "%s", err.msg);
	cr_assert_str_eq(a, b, "the key changed between two calls");
}

Test(store, action_key_refuses_a_shared_or_linked_or_damaged_file)
{
	char key[STORE_ACTION_KEY_LEN + 1], path[256], outside[300];
	struct err err;
	int fd;

	cr_assert_eq(store_action_key(&st, key, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), STORE_SHARED "/" STORE_ACTION_KEY);
	cr_assert_eq(fchmodat(st.rootfd, path, 0644, 0), 0);
	cr_assert_eq(store_action_key(&st, key, &err), -1);
	cr_assert(strstr(err.msg, "mode 0600"), "%s", err.msg);

	cr_assert_eq(unlinkat(st.rootfd, path, 0), 0);
	fd = openat(st.rootfd, path, O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "not-a-key-but-a-secret\n", 23), 23);
	close(fd);
	cr_assert_eq(store_action_key(&st, key, &err), -1);
	cr_assert(strstr(err.msg, "is not a key"), "%s", err.msg);
	cr_assert_null(strstr(err.msg, "not-a-key-but-a-secret"), "content in the message");

	cr_assert_eq(unlinkat(st.rootfd, path, 0), 0);
	snprintf(outside, sizeof(outside), "%s/../outside-key", dir);
	cr_assert_eq(symlinkat(outside, st.rootfd, path), 0);
	cr_assert_eq(store_action_key(&st, key, &err), -1);
	cr_assert(strstr(err.msg, "symlink"), "%s", err.msg);
	cr_assert_neq(access(outside, F_OK), 0, "a file was made through the link");
}
