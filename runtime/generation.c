#include "runtime/generation.h"
#include "runtime/crashloop.h"
#include "runtime/handover.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const result_names[] = {"pending", "ok", "rolled_back", "failed"};
static const char *const phase_names[] = {"starting", "running", "switching", "stopping"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *gen_result_name(enum gen_result r)
{
	return (size_t)r < N_OF(result_names) ? result_names[r] : "?";
}

const char *gen_phase_name(enum gen_phase p)
{
	return (size_t)p < N_OF(phase_names) ? phase_names[p] : "?";
}

static int lookup(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

int gen_result_parse(const char *name)
{
	return lookup(result_names, N_OF(result_names), name);
}

int gen_phase_parse(const char *name)
{
	return lookup(phase_names, N_OF(phase_names), name);
}

static void say(struct generation *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct generation *g, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	g->ops->say(g->ctx, line);
}

static void notify(struct generation *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void notify(struct generation *g, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->ops->notify(g->ctx, msg);
}

void gen_init(struct generation *g, const struct gen_ops *ops, void *ctx,
              struct service *const *list)
{
	memset(g, 0, sizeof(*g));
	g->ops = ops;
	g->ctx = ctx;
	g->list = list;
}

void gen_release(struct generation *g)
{
	loaded_release_clear(&g->live);
	loaded_release_clear(&g->next);
	loaded_release_clear(&g->previous);
}

static int is_served(const struct generation *g, const char *version)
{
	for (unsigned i = 0; i < g->n_served && i < GEN_SERVED_MAX; i++)
		if (!strcmp(g->served[i], version))
			return 1;
	return 0;
}

static void note_served(struct generation *g, const char *version)
{
	if (!is_served(g, version))
		snprintf(g->served[g->n_served++ % GEN_SERVED_MAX], GEN_VERSION_MAX, "%s", version);
}

/* A release that failed its probation is forgotten as served: an operator's activate of it
 * later is gated like a new release's. */
static void unserve(struct generation *g, const char *version)
{
	for (unsigned i = 0; i < g->n_served && i < GEN_SERVED_MAX; i++)
		if (!strcmp(g->served[i], version))
			g->served[i][0] = '\0';
}

static void end_probation(struct generation *g)
{
	g->probation_until = 0;
	g->stable_at = 0;
	g->probation_noted = 0;
	g->dirty = 1;
}

/* At the commit of a gated switch to a release new to this supervisor. */
static void begin_probation(struct generation *g, uint64_t now)
{
	uint64_t stable = g->stable_ms < g->probation_ms ? g->stable_ms : g->probation_ms;

	end_probation(g);
	if (!g->probation_ms)
		return;
	g->probation_until = now + g->probation_ms;
	g->stable_at = now + stable;
}

static const char *live_version(const struct generation *g)
{
	return g->live.version ? g->live.version : NULL;
}

/* Both the first start and a switch begin here; only a switch from a live generation is
 * gated and counted. */
static void begin(struct generation *g, const char *version, uint64_t now)
{
	if (g->counter) {
		g->seq++;
		g->began = now;
	}
	snprintf(g->from, sizeof(g->from), "%s", g->live.version ? g->live.version : "");
	snprintf(g->to, sizeof(g->to), "%s", version);
	g->result = GEN_PENDING;
	g->reason[0] = '\0';
	g->pending = ++g->counter;
	g->gated = g->active != 0;
	g->fallback = 0;
	end_probation(g);
}

int gen_first(struct generation *g, const char *version, struct loaded_release *rel, uint64_t now,
              struct err *err)
{
	begin(g, version, now);
	g->next = *rel;
	memset(rel, 0, sizeof(*rel));
	return g->ops->populate(g->ctx, &g->next, g->pending, now, err);
}

/* The gate failed on a release that never served here: the live generation serves again,
 * the new one is stopped and marked bad, and `current` points back. */
static void roll_back(struct generation *g, uint64_t now, const char *reason)
{
	struct service *s;
	struct err err;

	g->decided_after = g->failures_seen;
	say(g, "release %s failed its health check: %s; rolling back to %s",
	    g->next.version ? g->next.version : g->to, reason,
	    g->live.version ? g->live.version : "(none)");
	g->ops->restore(g->ctx, g->active);
	for (s = *g->list; s; s = s->next)
		if (s->gen == g->pending)
			g->ops->stop(g->ctx, s, now, "its release failed the health check");
	g->result = GEN_ROLLED_BACK;
	snprintf(g->reason, sizeof(g->reason), "%s", reason);
	snprintf(g->failed, sizeof(g->failed), "%s", g->to);
	g->ops->flip_back(g->ctx, g->to, live_version(g), reason);
	loaded_release_clear(&g->next);
	g->pending = 0;
	g->gated = 0;
	g->began = 0;
	/* Whatever of the live generation was stopped for the switch starts again. */
	if (g->live.version && g->ops->populate(g->ctx, &g->live, g->active, now, &err) < 0)
		say(g, "error: cannot restore release %s: %s", g->live.version, err.msg);
	notify(g, "STATUS=serving %s (rolled back from %s: %s)", g->live.version, g->to, reason);
	g->recheck = 1;
	g->dirty = 1;
}

/* The new instance that takes over from `old` (a worker's handover, or the same slipway
 * socket) and has not been ready yet, else NULL. Only a switch kept despite a failure
 * commits with one: `old` keeps serving until its successor is ready. */
static struct service *successor_pending(struct generation *g, const struct service *old)
{
	struct service *s;

	for (s = *g->list; s; s = s->next)
		if (s->gen == g->pending && !s->was_ready && s->state != SVC_READY &&
		    !s->retiring &&
		    (s->handover_from == old->id ||
		     (handover_mode(old) && handover_shares_port(s, old))))
			return s;
	return NULL;
}

static void commit(struct generation *g, uint64_t now)
{
	struct service *s, *next;
	int fresh = g->gated && g->result == GEN_PENDING && !is_served(g, g->to);

	for (s = *g->list; s; s = s->next) {
		if (s->gen == g->pending || s->retiring)
			continue;
		if ((next = successor_pending(g, s)))
			next->handover_from = s->id; /* stopped when `next` is ready */
		else if (!g->ops->keep_warm(g->ctx, s, now))
			g->ops->stop(g->ctx, s, now, "replaced by the new release");
	}
	loaded_release_clear(&g->previous);
	g->previous = g->live;
	g->live = g->next;
	memset(&g->next, 0, sizeof(g->next));
	g->active = g->pending;
	g->pending = 0;
	g->gated = 0;
	g->fallback = 0;
	g->decided_after = g->failures_seen;
	g->began = 0;
	if (fresh)
		begin_probation(g, now);
	if (g->result == GEN_PENDING) {
		g->result = GEN_OK;
		note_served(g, g->live.version);
	}
	say(g, "release %s is live (generation %u)", g->live.version, g->active);
	if (!g->ready_notified) {
		notify(g, "READY=1\nSTATUS=serving %s", g->live.version);
		g->ready_notified = 1;
	} else {
		notify(g, "STATUS=serving %s", g->live.version);
	}
	g->recheck = 1;
	g->dirty = 1;
}

/* A gated switch failed (because of `s`, or of the deadline when s is NULL). A new release
 * is rolled back. A release that served before under this supervisor, which is what an
 * operator's rollback or activate goes back to, is kept: current is not turned around and
 * the release is not marked bad; its failed instance restarts with backoff. */
static void switch_failed(struct generation *g, struct service *s, uint64_t now, const char *reason)
{
	const char *target = g->next.version ? g->next.version : g->to;

	if (!is_served(g, target)) {
		if (s && !s->pid)
			g->ops->drop(g->ctx, s, now);
		roll_back(g, now, reason);
		return;
	}
	say(g,
	    "release %s did not come up: %s; it served before, so current stays on it (not "
	    "turned around, not marked bad) and its services keep restarting",
	    target, reason);
	if (!g->fallback) { /* a flip back keeps the record of the release that failed */
		g->result = GEN_FAILED;
		snprintf(g->reason, sizeof(g->reason), "%s", reason);
	}
	commit(g, now);
	/* After the decision, so the failure counts as "failed again" for --wait. */
	if (s && s->state != SVC_BACKOFF)
		g->ops->backoff(g->ctx, s, now);
}

int gen_gates(const struct generation *g, const struct service *s)
{
	return g->pending && s->gen == g->pending && g->gated && !s->was_ready;
}

static int on_probation(struct generation *g, struct service *s, uint64_t now);

int gen_instance_failed(struct generation *g, struct service *s, uint64_t now, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	if (!gen_gates(g, s))
		return on_probation(g, s, now);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	switch_failed(g, s, now, reason);
	return 1;
}

/* Loads the release of a switch (a rollback reuses the previous one's manifest) and checks
 * its ports; fails with the reason in err. */
static int load_next(struct generation *g, const char *version, struct err *err)
{
	char why[512];
	int rc;

	if (g->previous.m && !strcmp(g->previous.version, version)) {
		g->next = g->previous;
		memset(&g->previous, 0, sizeof(g->previous));
	}
	rc = g->ops->load(g->ctx, version, &g->next, err);
	if (rc != 0) {
		loaded_release_clear(&g->next);
		return -1;
	}
	/* A foreign listener on a port of the new release: refuse before anything of the live
	 * release is stopped (a stale server would otherwise answer its probes). */
	if (g->gated && !is_served(g, version) &&
	    g->ops->port_foreign(g->ctx, &g->next, why, sizeof(why)))
		return fail(err, "%s", why);
	return 0;
}

static void begin_switch(struct generation *g, const char *version, uint64_t now)
{
	struct err err;

	begin(g, version, now);
	if (g->active)
		say(g, "current changed: %s -> %s; switching (generation %u)", g->live.version,
		    version, g->pending);
	notify(g, "STATUS=switching to %s", version);
	if (load_next(g, version, &err) < 0 ||
	    g->ops->populate(g->ctx, &g->next, g->pending, now, &err) < 0) {
		roll_back(g, now, err.msg);
		return;
	}
	if (g->gated)
		g->deadline = g->ops->deadline(g->ctx, g->pending, now);
}

/* A crash loop on probation with the previous release warm: the live release is marked bad,
 * `current` points back, and the previous release becomes live again through a gated switch
 * that keeps this switch's record (to, seq) with the result rolled_back. Its warm web is
 * adopted and promoted at once; its workers start next to the failed release's, which
 * drain once their successors are ready. 0 when the previous release cannot be loaded. */
static int fall_back(struct generation *g, struct service *s, uint64_t now, const char *reason)
{
	char bad[GEN_VERSION_MAX], back[GEN_VERSION_MAX];
	struct err err;

	snprintf(bad, sizeof(bad), "%s", g->live.version);
	snprintf(back, sizeof(back), "%s", g->previous.version);
	if (load_next(g, back, &err) < 0) {
		say(g, "%s; cannot go back to %s: %s; %s stays live", reason, back, err.msg, bad);
		end_probation(g);
		return 0;
	}
	say(g, "%s; release %s goes back to %s (kept warm) and is marked bad", reason, bad, back);
	end_probation(g);
	g->result = GEN_ROLLED_BACK;
	snprintf(g->reason, sizeof(g->reason), "%s", reason);
	snprintf(g->failed, sizeof(g->failed), "%s", bad);
	unserve(g, bad);
	if (s->pid)
		g->ops->stop(g->ctx, s, now, "its release crash-looped on probation");
	else
		g->ops->drop(g->ctx, s, now);
	g->ops->flip_back(g->ctx, bad, back, reason);
	g->pending = ++g->counter;
	g->gated = 1;
	g->fallback = 1;
	g->began = now;
	g->decided_after = g->failures_seen;
	if (g->ops->populate(g->ctx, &g->next, g->pending, now, &err) < 0)
		say(g, "error: cannot start release %s again: %s", back, err.msg);
	g->deadline = g->ops->deadline(g->ctx, g->pending, now);
	notify(g, "STATUS=switching back to %s (%s)", back, reason);
	return 1;
}

/* An unexpected exit of an instance of the live release (specs/runtime.md, "Probation after
 * the switch"): 1 when it went back, else 0 (a restart with backoff). */
static int on_probation(struct generation *g, struct service *s, uint64_t now)
{
	char reason[512];
	unsigned n;

	if (!g->probation_until || g->pending || s->gen != g->active || s->retiring)
		return 0;
	if (now >= g->probation_until) {
		end_probation(g);
		return 0;
	}
	/* The one crash-loop rule (runtime/crashloop.h): the caller counted this failure. */
	if (!crashlog_looping(&s->crashes, now))
		return 0;
	n = crashlog_recent(&s->crashes, now);
	snprintf(reason, sizeof(reason),
	         "%s crash-looped on probation: %u unexpected exits within %u s (last: %s)",
	         s->spec.name, n, CRASHLOOP_WINDOW_MS / 1000, s->last_exit);
	if (g->previous.version && g->ops->warm(g->ctx, g->previous.version))
		return fall_back(g, s, now, reason);
	if (!g->probation_noted)
		say(g, "%s; release %s is no longer warm, so %s stays live and %s keeps restarting",
		    reason, g->previous.version ? g->previous.version : "(none)", g->live.version,
		    s->spec.name);
	g->probation_noted = 1;
	return 0;
}

void gen_check(struct generation *g, const char *version, uint64_t now, int stopping)
{
	if (stopping)
		return;
	if (g->pending) {
		if (g->gated || (g->next.version && !strcmp(version, g->next.version)))
			return; /* decided when the gate opens or fails */
		/* An ungated start that is not up yet is superseded: it becomes the base. */
		g->active = g->pending;
		loaded_release_clear(&g->live);
		g->live = g->next;
		memset(&g->next, 0, sizeof(g->next));
		g->pending = 0;
	}
	if (g->live.version && !strcmp(version, g->live.version)) {
		g->failed[0] = '\0';
		return;
	}
	if (!strcmp(version, g->failed))
		return;
	begin_switch(g, version, now);
}

void gen_explicit_change(struct generation *g)
{
	g->failed[0] = '\0';
}

/* --wait's stability window and the end of probation. */
static void tick_probation(struct generation *g, uint64_t now)
{
	if (g->stable_at && now >= g->stable_at) {
		g->stable_at = 0;
		g->dirty = 1;
	}
	if (g->probation_until && now >= g->probation_until) {
		say(g, "release %s passed its probation", g->live.version);
		end_probation(g);
	}
}

void gen_tick(struct generation *g, uint64_t now)
{
	struct service *s;
	int all = 1, any = 0;
	char late[256] = "";

	tick_probation(g, now);
	if (!g->pending)
		return;
	for (s = *g->list; s; s = s->next)
		if (s->gen == g->pending) {
			any = 1;
			if (!s->was_ready && s->state != SVC_READY) {
				all = 0;
				snprintf(late + strlen(late), sizeof(late) - strlen(late),
				         "%s%s (%s)", *late ? ", " : "", s->spec.name,
				         svc_state_name(s->state));
			}
		}
	if (any && all) {
		commit(g, now);
	} else if (g->gated && now >= g->deadline) {
		char reason[512];

		snprintf(reason, sizeof(reason), "switch not complete in time: not ready: %s",
		         late);
		switch_failed(g, NULL, now, reason);
	}
}

uint64_t gen_wakeup(const struct generation *g)
{
	uint64_t t = g->pending && g->gated ? g->deadline : UINT64_MAX;

	if (g->stable_at && g->stable_at < t)
		t = g->stable_at;
	if (g->probation_until && g->probation_until < t)
		t = g->probation_until;
	return t;
}

int gen_serves(const struct generation *g, const struct service *s)
{
	return s->gen == (g->pending ? g->pending : g->active);
}

unsigned long gen_count_failure(struct generation *g)
{
	g->dirty = 1;
	return ++g->failures_seen;
}

int gen_settled(const struct generation *g, int stopping)
{
	const struct service *s;

	if (g->result == GEN_PENDING || g->pending || g->stable_at || stopping)
		return 0;
	for (s = *g->list; s; s = s->next)
		if (s->gen == g->active && !s->retiring && s->state != SVC_READY &&
		    !(s->state == SVC_BACKOFF && s->failure_no > g->decided_after))
			return 0;
	return 1;
}

enum gen_phase gen_phase(const struct generation *g, int stopping)
{
	if (stopping)
		return GEN_STOPPING;
	if (g->pending && g->active)
		return GEN_SWITCHING;
	if (g->pending)
		return GEN_STARTING;
	return GEN_RUNNING;
}
