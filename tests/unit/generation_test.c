/* The switch between generations driven through a fake ops table: no process, no store.
 * Each fake release has one service, "web"; the fake records what the switch asked for. */
#include "runtime/generation.h"
#include "runtime/crashloop.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake {
	struct generation g;
	struct service *list;
	unsigned next_id;
	char log[4096];     /* "op arg; " per call */
	int warm;           /* keep_warm keeps instances warm */
	int warm_gone;      /* the warm instances are no longer warm (warm time over) */
	char said[4096];    /* the log lines */
	int foreign;        /* a foreign process holds the new release's port */
	const char *broken; /* load fails for this version */
};

static void note(struct fake *f, const char *fmt, const char *a, const char *b)
{
	size_t len = strlen(f->log);

	snprintf(f->log + len, sizeof(f->log) - len, fmt, a, b);
}

static struct service *find(struct fake *f, const char *version, unsigned gen)
{
	for (struct service *s = f->list; s; s = s->next)
		if (!strcmp(s->version, version) && (!gen || s->gen == gen))
			return s;
	return NULL;
}

static int fk_load(void *ctx, const char *version, struct loaded_release *rel, struct err *err)
{
	struct fake *f = ctx;

	note(f, rel->m ? "load-env %s; " : "load %s; ", version, "");
	if (f->broken && !strcmp(version, f->broken))
		return fail(err, "release %s is broken", version);
	if (!rel->m) {
		rel->m = calloc(1, sizeof(*rel->m));
		rel->version = strdup(version);
		rel->dir = strdup(version);
	}
	return 0;
}

/* Adopts a running instance of the same release (a warm one too), else creates one that takes
 * over from the running instance of another release (a worker's handover). */
static int fk_populate(void *ctx, const struct loaded_release *rel, unsigned gen, uint64_t now,
                       struct err *err)
{
	struct fake *f = ctx;
	struct service *s;

	(void)now;
	(void)err;
	note(f, "populate %s; ", rel->version, "");
	for (s = f->list; s; s = s->next)
		if (!strcmp(s->version, rel->version) && s->state != SVC_STOPPED &&
		    s->state != SVC_STOPPING) {
			s->gen = gen;
			s->retiring = 0;
			s->was_ready = s->state == SVC_READY;
			return 0;
		}
	s = calloc(1, sizeof(*s));
	for (struct service *o = f->list; o; o = o->next)
		if (!o->retiring && o->state != SVC_STOPPED)
			s->handover_from = o->id;
	s->id = ++f->next_id;
	s->gen = gen;
	s->spec.name = strdup("web");
	s->version = strdup(rel->version);
	s->release_dir = strdup(rel->version);
	s->state = SVC_STARTING;
	s->pid = 1000 + (int)s->id;
	s->next = f->list;
	f->list = s;
	return 0;
}

static int fk_port_foreign(void *ctx, const struct loaded_release *rel, char *why, size_t cap)
{
	struct fake *f = ctx;

	(void)rel;
	if (f->foreign)
		snprintf(why, cap,
		         "web: port 5000 is held by nc (pid 7), which slipway did not start");
	return f->foreign;
}

static uint64_t fk_deadline(void *ctx, unsigned gen, uint64_t now)
{
	(void)ctx;
	(void)gen;
	return now + 1000;
}

static void fk_stop(void *ctx, struct service *s, uint64_t now, const char *why)
{
	(void)now;
	note(ctx, "stop %s (%s); ", s->version, why);
	s->retiring = 1;
	s->state = SVC_STOPPING;
}

static void fk_drop(void *ctx, struct service *s, uint64_t now)
{
	(void)now;
	note(ctx, "drop %s; ", s->version, "");
	s->retiring = 1;
	s->state = SVC_STOPPED;
}

static void fk_backoff(void *ctx, struct service *s, uint64_t now)
{
	struct fake *f = ctx;

	(void)now;
	note(f, "backoff %s; ", s->version, "");
	s->pid = 0;
	s->state = SVC_BACKOFF;
	s->failure_no = gen_count_failure(&f->g);
}

static int fk_keep_warm(void *ctx, struct service *s, uint64_t now)
{
	struct fake *f = ctx;

	(void)now;
	if (!f->warm)
		return 0;
	note(f, "warm %s; ", s->version, "");
	s->retiring = 1;
	return 1;
}

static void fk_restore(void *ctx, unsigned gen)
{
	char g[16];

	snprintf(g, sizeof(g), "%u", gen);
	note(ctx, "restore %s; ", g, "");
}

static int fk_warm(void *ctx, const char *version)
{
	struct fake *f = ctx;

	if (!f->warm || f->warm_gone)
		return 0;
	for (struct service *s = f->list; s; s = s->next)
		if (s->retiring && s->state == SVC_READY && !strcmp(s->version, version))
			return 1;
	return 0;
}

static void fk_flip_back(void *ctx, const char *bad, const char *good, const char *reason)
{
	(void)reason;
	note(ctx, "flip_back %s -> %s; ", bad, good ? good : "(none)");
}

static void fk_say(void *ctx, const char *line)
{
	struct fake *f = ctx;
	size_t len = strlen(f->said);

	snprintf(f->said + len, sizeof(f->said) - len, "%s\n", line);
}

static void fk_notify(void *ctx, const char *msg)
{
	if (!strncmp(msg, "READY=1", 7))
		note(ctx, "READY; ", "", "");
}

static const struct gen_ops fake_ops = {
    .load = fk_load,
    .populate = fk_populate,
    .port_foreign = fk_port_foreign,
    .deadline = fk_deadline,
    .stop = fk_stop,
    .drop = fk_drop,
    .backoff = fk_backoff,
    .keep_warm = fk_keep_warm,
    .restore = fk_restore,
    .warm = fk_warm,
    .flip_back = fk_flip_back,
    .say = fk_say,
    .notify = fk_notify,
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	gen_init(&f->g, &fake_ops, f, &f->list);
	f->g.probation_ms = 600000;
	f->g.stable_ms = 10000;
}

static void fake_free(struct fake *f)
{
	struct service *s;

	gen_release(&f->g);
	while ((s = f->list)) {
		f->list = s->next;
		free(s->spec.name);
		free(s->version);
		free(s->release_dir);
		free(s);
	}
}

static void ready(struct service *s)
{
	s->state = SVC_READY;
	s->was_ready = 1;
}

/* Release `v` live as generation 1 after an ungated first start. */
static void start_live(struct fake *f, const char *v, uint64_t now)
{
	struct loaded_release rel = {0};
	struct err err;

	cr_assert_eq(fk_load(f, v, &rel, &err), 0);
	cr_assert_eq(gen_first(&f->g, v, &rel, now, &err), 0);
	ready(find(f, v, 1));
	gen_tick(&f->g, now);
	cr_assert_eq(f->g.active, 1);
	f->log[0] = '\0';
}

Test(generation, first_start_is_a_switch_with_the_gate_off)
{
	struct fake f;
	struct loaded_release rel = {0};
	struct err err;

	fake_init(&f);
	fk_load(&f, "A", &rel, &err);
	cr_assert_eq(gen_first(&f.g, "A", &rel, 10, &err), 0);
	cr_assert_null(rel.version, "the release is taken over");
	cr_assert_eq(f.g.pending, 1);
	cr_assert_not(f.g.gated);
	cr_assert_eq(f.g.seq, 0, "the first start is switch 0");
	cr_assert_eq(gen_phase(&f.g, 0), GEN_STARTING);
	cr_assert_eq(gen_wakeup(&f.g), UINT64_MAX, "no deadline without a gate");
	/* A failure before the first generation is up is a restart, not a switch's. */
	cr_assert_eq(gen_instance_failed(&f.g, find(&f, "A", 1), 20, "web exited"), 0);
	cr_assert_eq(f.g.result, GEN_PENDING);
	ready(find(&f, "A", 1));
	gen_tick(&f.g, 30);
	cr_assert_eq(f.g.result, GEN_OK);
	cr_assert_eq(f.g.active, 1);
	cr_assert_eq(f.g.pending, 0);
	cr_assert_str_eq(f.g.live.version, "A");
	cr_assert(strstr(f.log, "READY; "));
	cr_assert(gen_settled(&f.g, 0));
	cr_assert_not(gen_settled(&f.g, 1), "a stopping supervisor is not settled");
	cr_assert_eq(gen_phase(&f.g, 0), GEN_RUNNING);
	fake_free(&f);
}

Test(generation, gated_switch_commits_once_all_are_ready)
{
	struct fake f;

	fake_init(&f);
	start_live(&f, "A", 0);
	gen_check(&f.g, "B", 100, 0);
	cr_assert_eq(f.g.seq, 1);
	cr_assert(f.g.gated);
	cr_assert_eq(f.g.pending, 2);
	cr_assert_str_eq(f.g.from, "A");
	cr_assert_str_eq(f.g.to, "B");
	cr_assert_eq(gen_phase(&f.g, 0), GEN_SWITCHING);
	cr_assert_eq(gen_wakeup(&f.g), 1100);
	cr_assert_not(gen_settled(&f.g, 0));
	gen_tick(&f.g, 200);
	cr_assert_eq(f.g.result, GEN_PENDING, "not ready yet: still pending");
	cr_assert(gen_serves(&f.g, find(&f, "B", 2)), "the pending generation is promoted");
	ready(find(&f, "B", 2));
	gen_tick(&f.g, 300);
	cr_assert_eq(f.g.result, GEN_OK);
	cr_assert_eq(f.g.active, 2);
	cr_assert_str_eq(f.g.live.version, "B");
	cr_assert_str_eq(f.g.previous.version, "A");
	cr_assert(strstr(f.log, "stop A (replaced by the new release)"), "%s", f.log);
	cr_assert_null(strstr(f.log, "READY; "), "READY=1 is sent once");
	cr_assert(f.g.recheck, "current is read again after a decision");
	fake_free(&f);
}

Test(generation, failure_before_ready_rolls_back_and_is_not_retried)
{
	struct fake f;

	fake_init(&f);
	start_live(&f, "A", 0);
	gen_check(&f.g, "B", 100, 0);
	cr_assert(gen_gates(&f.g, find(&f, "B", 2)));
	cr_assert_not(gen_gates(&f.g, find(&f, "A", 1)), "the live generation is not gated");
	cr_assert_eq(gen_instance_failed(&f.g, find(&f, "B", 2), 150, "web %s", "exited"), 1);
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK);
	cr_assert_str_eq(f.g.reason, "web exited");
	cr_assert_eq(f.g.pending, 0);
	cr_assert_eq(f.g.active, 1);
	cr_assert(strstr(f.log, "restore 1; "), "%s", f.log);
	cr_assert(strstr(f.log, "stop B (its release failed the health check)"), "%s", f.log);
	cr_assert(strstr(f.log, "flip_back B -> A; "), "%s", f.log);
	cr_assert(gen_settled(&f.g, 0), "A is ready again");
	/* `current` still names B a moment later: no second try, until an operator acts. */
	f.log[0] = '\0';
	gen_check(&f.g, "B", 200, 0);
	cr_assert_eq(f.g.seq, 1);
	cr_assert_str_eq(f.log, "");
	gen_explicit_change(&f.g);
	gen_check(&f.g, "B", 300, 0);
	cr_assert_eq(f.g.seq, 2);
	cr_assert_eq(f.g.result, GEN_PENDING);
	fake_free(&f);
}

Test(generation, deadline_decides_a_switch_that_is_not_ready)
{
	struct fake f;

	fake_init(&f);
	start_live(&f, "A", 0);
	gen_check(&f.g, "B", 100, 0);
	gen_tick(&f.g, 1099);
	cr_assert_eq(f.g.result, GEN_PENDING);
	gen_tick(&f.g, 1100);
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK);
	cr_assert_str_eq(f.g.reason, "switch not complete in time: not ready: web (starting)");
	cr_assert(strstr(f.log, "flip_back B -> A; "));
	fake_free(&f);
}

Test(generation, broken_or_blocked_release_rolls_back_before_it_starts)
{
	struct fake f;

	fake_init(&f);
	start_live(&f, "A", 0);
	f.broken = "B";
	gen_check(&f.g, "B", 100, 0);
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK);
	cr_assert_str_eq(f.g.reason, "release B is broken");
	cr_assert_null(find(&f, "B", 0), "nothing of B was started");
	f.foreign = 1;
	gen_check(&f.g, "C", 200, 0);
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK);
	cr_assert(strstr(f.g.reason, "port 5000 is held by nc"), "%s", f.g.reason);
	cr_assert_null(find(&f, "C", 0), "nothing of C was started");
	cr_assert_null(strstr(f.log, "stop A"), "the live release was left alone: %s", f.log);
	fake_free(&f);
}

Test(generation, operator_rollback_to_a_served_release_is_kept_when_it_fails)
{
	struct fake f;
	struct service *a;

	fake_init(&f);
	start_live(&f, "A", 0);
	gen_check(&f.g, "B", 100, 0);
	ready(find(&f, "B", 2));
	gen_tick(&f.g, 200);
	cr_assert_eq(f.g.result, GEN_OK);
	/* A was stopped at commit; going back starts it again from its loaded manifest. */
	find(&f, "A", 1)->state = SVC_STOPPED;
	f.log[0] = '\0';
	gen_check(&f.g, "A", 300, 0);
	cr_assert(strstr(f.log, "load-env A; "), "a rollback reuses the manifest: %s", f.log);
	a = find(&f, "A", 3);
	cr_assert_not_null(a);
	cr_assert_eq(gen_instance_failed(&f.g, a, 400, "web exited"), 1);
	cr_assert_eq(f.g.result, GEN_FAILED);
	cr_assert_null(strstr(f.log, "flip_back"), "current is not turned around: %s", f.log);
	cr_assert_eq(f.g.active, 3, "committed anyway");
	cr_assert_str_eq(f.g.live.version, "A");
	cr_assert(strstr(f.log, "backoff A; "), "%s", f.log);
	cr_assert_null(strstr(f.log, "stop B"), "B serves until A's successor is ready: %s", f.log);
	cr_assert_eq(a->handover_from, find(&f, "B", 2)->id, "B is stopped once A is ready");
	cr_assert(gen_settled(&f.g, 0), "failed again after the decision counts as settled");
	fake_free(&f);
}

Test(generation, crash_in_the_settle_window_restarts_and_settles)
{
	struct fake f;
	struct service *a;

	fake_init(&f);
	start_live(&f, "A", 0);
	gen_check(&f.g, "B", 100, 0);
	a = find(&f, "A", 1);
	a->state = SVC_STARTING; /* stopped for the switch, being restored */
	a->was_ready = 0;
	gen_instance_failed(&f.g, find(&f, "B", 2), 150, "web exited");
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK);
	cr_assert_not(gen_settled(&f.g, 0), "A is not ready again yet");
	/* A crashes before it is ready: the live generation restarts, no switch fails. */
	cr_assert_eq(gen_instance_failed(&f.g, a, 160, "web exited"), 0);
	fk_backoff(&f, a, 160);
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK);
	cr_assert(gen_settled(&f.g, 0), "failed again since the decision");
	fake_free(&f);
}

Test(generation, warm_instance_promoted_at_adoption_counts_as_ready)
{
	struct fake f;

	fake_init(&f);
	f.warm = 1;
	start_live(&f, "A", 0);
	gen_check(&f.g, "B", 100, 0);
	ready(find(&f, "B", 2));
	gen_tick(&f.g, 200);
	cr_assert(strstr(f.log, "warm A; "), "A is kept warm: %s", f.log);
	cr_assert_null(strstr(f.log, "stop A"), "%s", f.log);
	/* Rollback: the warm A is adopted ready into the new generation; nothing starts. */
	gen_check(&f.g, "A", 300, 0);
	cr_assert_eq(find(&f, "A", 0)->gen, 3);
	cr_assert_eq(f.next_id, 2, "no new instance");
	cr_assert(gen_serves(&f.g, find(&f, "A", 3)));
	gen_tick(&f.g, 301);
	cr_assert_eq(f.g.result, GEN_OK);
	cr_assert_eq(f.g.active, 3);
	cr_assert(strstr(f.log, "warm B; "), "B is kept warm in turn: %s", f.log);
	fake_free(&f);
}

Test(generation, ungated_start_superseded_becomes_the_base)
{
	struct fake f;
	struct loaded_release rel = {0};
	struct err err;

	fake_init(&f);
	fk_load(&f, "A", &rel, &err);
	gen_first(&f.g, "A", &rel, 0, &err);
	gen_check(&f.g, "B", 50, 0);
	cr_assert_eq(f.g.active, 1, "A became the live generation");
	cr_assert_eq(f.g.pending, 2);
	cr_assert(f.g.gated);
	cr_assert_str_eq(f.g.from, "A");
	gen_check(&f.g, "C", 60, 1);
	cr_assert_str_eq(f.g.to, "B", "a stopping supervisor starts no switch");
	fake_free(&f);
}

Test(generation, result_and_phase_names_round_trip)
{
	for (int r = GEN_PENDING; r <= GEN_FAILED; r++)
		cr_assert_eq(gen_result_parse(gen_result_name((enum gen_result)r)), r);
	for (int p = GEN_STARTING; p <= GEN_STOPPING; p++)
		cr_assert_eq(gen_phase_parse(gen_phase_name((enum gen_phase)p)), p);
	cr_assert_str_eq(gen_result_name(GEN_ROLLED_BACK), "rolled_back");
	cr_assert_eq(gen_result_parse("rolled back"), -1);
	cr_assert_eq(gen_result_parse(NULL), -1);
}

/* An unexpected exit of `s` (exited with status 1): the generation's decision, then, when
 * it is only a restart, backoff and a restart that is ready again. Returns the decision. */
static int crash(struct fake *f, struct service *s, uint64_t now)
{
	int r;

	s->pid = 0;
	snprintf(s->last_exit, sizeof(s->last_exit), "exited with status 1");
	crashlog_add(&s->crashes, now); /* as the lifecycle counts every failure */
	r = gen_instance_failed(&f->g, s, now, "web exited");
	if (!r) {
		fk_backoff(f, s, now);
		s->pid = 2000 + (int)now;
		ready(s);
	}
	return r;
}

/* A live, B switched to and committed at `at` (A kept warm when f->warm). */
static struct service *b_live(struct fake *f, uint64_t at)
{
	start_live(f, "A", 0);
	gen_check(&f->g, "B", at - 100, 0);
	ready(find(f, "B", 2));
	gen_tick(&f->g, at);
	cr_assert_eq(f->g.result, GEN_OK);
	cr_assert_str_eq(f->g.live.version, "B");
	f->log[0] = '\0';
	return find(f, "B", 2);
}

Test(generation, new_release_is_on_probation_and_wait_settles_after_the_stable_window)
{
	struct fake f;

	fake_init(&f);
	f.warm = 1;
	b_live(&f, 1000);
	cr_assert_eq(f.g.probation_until, 601000);
	cr_assert_eq(f.g.stable_at, 11000);
	cr_assert_eq(gen_wakeup(&f.g), 11000, "woken for the end of the stable window");
	cr_assert_not(gen_settled(&f.g, 0), "--wait waits out the stable window");
	gen_tick(&f.g, 10999);
	cr_assert_not(gen_settled(&f.g, 0));
	f.g.dirty = 0;
	gen_tick(&f.g, 11000);
	cr_assert(gen_settled(&f.g, 0));
	cr_assert(f.g.dirty, "the state file says settled when the window ends");
	cr_assert_eq(gen_wakeup(&f.g), 601000, "woken for the end of probation");
	gen_tick(&f.g, 601000);
	cr_assert_eq(f.g.probation_until, 0);
	cr_assert(strstr(f.said, "release B passed its probation"), "%s", f.said);
	fake_free(&f);
}

Test(generation, crash_loop_on_probation_with_warm_previous_flips_back)
{
	struct fake f;
	struct service *b;

	fake_init(&f);
	f.warm = 1;
	b = b_live(&f, 1000);
	cr_assert_eq(crash(&f, b, 20000), 0, "one exit: a restart");
	cr_assert_eq(crash(&f, b, 22000), 0, "two exits: a restart");
	cr_assert_null(strstr(f.log, "flip_back"), "%s", f.log);
	cr_assert_eq(crash(&f, b, 25000), 1, "the third exit within 60 s is a crash loop");
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK);
	cr_assert_str_eq(f.g.reason, "web crash-looped on probation: 3 unexpected exits within 60 "
	                             "s (last: exited with status 1)");
	cr_assert_eq(f.g.seq, 1, "the switch to B keeps its record");
	cr_assert_str_eq(f.g.to, "B");
	cr_assert(strstr(f.log, "drop B; "), "the looping instance is dropped: %s", f.log);
	cr_assert(strstr(f.log, "flip_back B -> A; "), "%s", f.log);
	cr_assert(strstr(f.log, "load-env A; "), "A's manifest is reused: %s", f.log);
	cr_assert_eq(f.g.pending, 3);
	cr_assert(f.g.gated);
	cr_assert_eq(find(&f, "A", 0)->gen, 3, "the warm A is adopted, nothing starts");
	cr_assert_eq(f.next_id, 2);
	cr_assert(gen_serves(&f.g, find(&f, "A", 3)), "and promoted");
	cr_assert_not(gen_settled(&f.g, 0));
	gen_check(&f.g, "A", 25001, 0); /* current points at A again: nothing new */
	cr_assert_eq(f.g.pending, 3);
	gen_tick(&f.g, 25002);
	cr_assert_eq(f.g.active, 3);
	cr_assert_str_eq(f.g.live.version, "A");
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK, "the record stays rolled back");
	cr_assert_eq(f.g.probation_until, 0, "A served before: no probation");
	cr_assert(gen_settled(&f.g, 0), "--wait answers: B rolled back");
	/* B is not retried until an operator asks, and then it is gated as a new release. */
	f.log[0] = '\0';
	gen_check(&f.g, "B", 26000, 0);
	cr_assert_str_eq(f.log, "");
	gen_explicit_change(&f.g);
	gen_check(&f.g, "B", 27000, 0);
	cr_assert_eq(gen_instance_failed(&f.g, find(&f, "B", 4), 27100, "web exited"), 1);
	cr_assert_eq(f.g.result, GEN_ROLLED_BACK, "B no longer counts as served");
	fake_free(&f);
}

Test(generation, crash_loop_after_probation_only_backs_off)
{
	struct fake f;
	struct service *b;

	fake_init(&f);
	f.warm = 1;
	f.g.probation_ms = 5000;
	b = b_live(&f, 1000);
	for (uint64_t t = 6000; t < 6300; t += 100)
		cr_assert_eq(crash(&f, b, t), 0);
	cr_assert_null(strstr(f.log, "flip_back"), "%s", f.log);
	cr_assert_eq(f.g.result, GEN_OK);
	cr_assert_str_eq(f.g.live.version, "B");
	cr_assert_eq(f.g.probation_until, 0);
	fake_free(&f);
}

Test(generation, single_crash_or_slow_crashes_on_probation_are_restarts)
{
	struct fake f;
	struct service *b;

	fake_init(&f);
	f.warm = 1;
	b = b_live(&f, 1000);
	cr_assert_eq(crash(&f, b, 2000), 0);
	cr_assert(strstr(f.log, "backoff B; "), "%s", f.log);
	/* Three exits, but never three within 60 s. */
	cr_assert_eq(crash(&f, b, 62000), 0);
	cr_assert_eq(crash(&f, b, 122000), 0);
	cr_assert_eq(crash(&f, b, 182001), 0);
	cr_assert_null(strstr(f.log, "flip_back"), "%s", f.log);
	cr_assert_eq(f.g.result, GEN_OK);
	gen_tick(&f.g, 182002);
	cr_assert(gen_settled(&f.g, 0));
	fake_free(&f);
}

Test(generation, operator_rollback_during_probation_is_not_turned_around)
{
	struct fake f;
	struct service *a;

	fake_init(&f);
	f.warm = 1;
	b_live(&f, 1000);
	gen_check(&f.g, "A", 2000, 0); /* the operator's rollback */
	cr_assert_eq(f.g.probation_until, 0, "a new switch ends probation");
	a = find(&f, "A", 3);
	cr_assert_not_null(a, "the warm A is adopted");
	gen_tick(&f.g, 2001);
	cr_assert_eq(f.g.result, GEN_OK);
	cr_assert_str_eq(f.g.live.version, "A");
	cr_assert_eq(f.g.probation_until, 0, "A served before: no probation");
	cr_assert(gen_settled(&f.g, 0), "no stable window for a release that served");
	for (uint64_t t = 3000; t < 3300; t += 100)
		cr_assert_eq(crash(&f, a, t), 0, "A's crashes are restarts");
	cr_assert_null(strstr(f.log, "flip_back"), "never turned around: %s", f.log);
	cr_assert_str_eq(f.g.live.version, "A");
	fake_free(&f);
}

Test(generation, crash_loop_without_a_warm_previous_is_reported_not_flipped)
{
	struct fake f;
	struct service *b;

	fake_init(&f);
	f.warm = 1;
	b = b_live(&f, 1000);
	f.warm_gone = 1; /* A's warm time is over, or it failed its checks */
	for (uint64_t t = 2000; t < 2500; t += 100)
		cr_assert_eq(crash(&f, b, t), 0, "a restart with backoff");
	cr_assert_null(strstr(f.log, "flip_back"), "%s", f.log);
	cr_assert_eq(f.g.result, GEN_OK);
	cr_assert_str_eq(f.g.live.version, "B");
	cr_assert(strstr(f.said, "web crash-looped on probation: 3 unexpected exits within 60 s "
	                         "(last: exited with status 1); release A is no longer warm, so B "
	                         "stays live and web keeps restarting"),
	          "%s", f.said);
	cr_assert_null(strstr(strstr(f.said, "no longer warm") + 1, "no longer warm"),
	               "reported once: %s", f.said);
	fake_free(&f);
}
