#include "runtime/supervisor.h"
#include "runtime/current.h"
#include "runtime/envnum.h"
#include "runtime/logsink.h"
#include "runtime/notify.h"
#include "runtime/portowner.h"
#include "runtime/service.h"
#include "runtime/spawn.h"
#include "runtime/statefile.h"
#include "runtime/switch.h"
#include "release/base/error.h"
#include "release/base/clock.h"
#include "release/store/gate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FDS     256
#define VERSION_MAX 256
#define SERVED_MAX  16   /* releases remembered as having served */
#define READ_CHUNK  4096 /* output read per service per wake-up (issue 15 item 3) */
#define HEALTH_SPAN 64   /* health ports tried from a service's health_port up */
#define PORT_GRACE  5000 /* after a holder's stop timeout, before a wait is decided */

struct sup {
	const struct supervisor_config *cfg;
	struct service *list;
	unsigned next_id, gen_counter;
	unsigned active_gen, pending_gen;
	int pending_gated;
	uint64_t switch_deadline;    /* a gated switch not complete by then is decided */
	unsigned long failures_seen; /* unexpected exits so far (each gets the next number) */
	unsigned long decided_after; /* failures_seen when the last switch got its result */
	struct loaded_release active, pending; /* the releases of those generations */
	struct loaded_release previous;        /* the one before active: a rollback reuses it */
	int stopping, check_release, dirty, ready_notified;
	char failed_version[VERSION_MAX]; /* a release that failed its gate: not retried */
	unsigned switch_seq;
	char switch_from[VERSION_MAX], switch_to[VERSION_MAX], switch_result[16],
	    switch_reason[512];
	/* Releases that went live under this supervisor: an operator's switch back to one of
	 * them is never turned around by the gate (specs/runtime.md, "Health gate"). */
	char served[SERVED_MAX][VERSION_MAX];
	unsigned n_served;
	struct logsink log;
	uint64_t next_extend;
	int sfd, ifd;
	struct switcher sw; /* socket ownership and the zero-downtime moves (runtime/switch.c) */
};

static void say(struct sup *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct sup *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logsink_vsay(&sp->log, fmt, ap);
	va_end(ap);
}

struct emit_ctx {
	struct sup *sp;
	struct service *s;
};

static void mark_ready(struct sup *sp, struct service *s, uint64_t now, const char *how);

/* The port an "address already in use" line names: the last number after ':' or ", " that
 * ends the line or is followed by ')' or a blank ("... 0.0.0.0:8081", "('0.0.0.0', 8081):
 * address already in use"); 0 when none. */
static int port_in_line(const char *line, size_t len)
{
	int port = 0;

	for (size_t i = 1; i < len; i++) {
		unsigned long v = 0;
		size_t j = i;

		if (line[i - 1] != ':' && !(line[i - 1] == ' ' && i >= 2 && line[i - 2] == ','))
			continue;
		while (j < len && j - i < 6 && line[j] >= '0' && line[j] <= '9')
			v = v * 10 + (unsigned long)(line[j++] - '0');
		if (j > i && (j == len || line[j] == ')' || line[j] == ' ') && v > 0 && v < 65536)
			port = (int)v;
	}
	return port;
}

static int says_addr_in_use(const char *line, size_t len)
{
	static const char *const marks[] = {"EADDRINUSE", "ddress already in use", "ddress in use"};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(line, len, marks[i], strlen(marks[i])))
			return 1;
	return 0;
}

static void emit_service_line(void *ctx, const char *line, size_t len)
{
	struct emit_ctx *c = ctx;
	struct service *s = c->s;

	logsink_line(&c->sp->log, s->spec.name, s->id, line, len);
	if (says_addr_in_use(line, len)) {
		int port = port_in_line(line, len);

		s->addr_in_use = 1;
		if (port)
			s->addr_port = port;
	}
	if (s->pid && s->state == SVC_STARTING && s->spec.ready == READY_LOG &&
	    memmem(line, len, s->spec.ready_log, strlen(s->spec.ready_log)))
		mark_ready(c->sp, s, clock_mono_ms(), "log");
}

static void notify(struct sup *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notify(struct sup *sp, const char *fmt, ...)
{
	struct err err;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (notify_send(msg, &err) < 0)
		say(sp, "warning: sd_notify: %s", err.msg);
}

/* One read of at most READ_CHUNK bytes: a service that prints faster than slipway can log
 * must not keep the loop from signals, timers and probes (it waits in write(2) instead). */
static void read_output(struct sup *sp, struct service *s)
{
	struct emit_ctx c = {sp, s};
	char buf[READ_CHUNK];
	ssize_t r;

	if (s->out_fd < 0)
		return;
	do
		r = read(s->out_fd, buf, sizeof(buf));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return;
	if (r <= 0) {
		linebuf_flush(&s->lb, emit_service_line, &c);
		close(s->out_fd);
		s->out_fd = -1;
		return;
	}
	linebuf_feed(&s->lb, buf, (size_t)r, emit_service_line, &c);
}

static struct service *find_id(struct sup *sp, unsigned id)
{
	struct service *s;

	for (s = sp->list; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static struct service *find_pid(struct sup *sp, pid_t pid)
{
	struct service *s;

	for (s = sp->list; s; s = s->next)
		if (s->pid == pid)
			return s;
	return NULL;
}

static const char *phase(struct sup *sp)
{
	if (sp->stopping)
		return "stopping";
	if (sp->pending_gen && sp->active_gen)
		return "switching";
	if (sp->pending_gen)
		return "starting";
	return "running";
}

/* A decided switch is settled once every instance of the live generation is ready, or has
 * failed again since the decision (then it restarts with backoff): what `--wait` waits for
 * (specs/runtime.md, "Waiting for the outcome"). */
static int settled(struct sup *sp)
{
	struct service *s;

	if (!strcmp(sp->switch_result, "pending") || sp->pending_gen || sp->stopping)
		return 0;
	for (s = sp->list; s; s = s->next)
		if (s->gen == sp->active_gen && !s->retiring && s->state != SVC_READY &&
		    !(s->state == SVC_BACKOFF && s->failure_no > sp->decided_after))
			return 0;
	return 1;
}

static void write_state(struct sup *sp)
{
	struct state_snapshot snap;
	struct err err;

	memset(&snap, 0, sizeof(snap));
	snap.pid = getpid();
	snap.phase = phase(sp);
	snap.generation = sp->active_gen;
	snap.release = sp->active.version ? sp->active.version : "";
	snap.sw.seq = sp->switch_seq;
	snap.sw.from = sp->switch_from;
	snap.sw.to = sp->switch_to;
	snap.sw.result = sp->switch_result;
	snap.sw.reason = sp->switch_reason;
	snap.sw.settled = settled(sp);
	snap.services = sp->list;
	if (statefile_write(sp->cfg->root, &snap, &err) < 0)
		say(sp, "warning: cannot write the state file: %s", err.msg);
	sp->dirty = 0;
}

static void url_of(const struct service *s, char *buf, size_t cap)
{
	if (s->spec.port)
		snprintf(buf, cap, "  %s://%s:%d", s->spec.ready == READY_HTTP ? "http" : "tcp",
		         s->spec.host ? s->spec.host : "0.0.0.0", s->spec.port);
	else if (s->health_port)
		snprintf(buf, cap, "  health port %d (SLIPWAY_HEALTH_PORT)", s->health_port);
	else
		buf[0] = '\0';
}

static int probe_port(const struct service *s)
{
	return s->spec.port ? switch_probe_port(s) : s->health_port;
}

static int is_served(struct sup *sp, const char *version)
{
	for (unsigned i = 0; i < sp->n_served && i < SERVED_MAX; i++)
		if (!strcmp(sp->served[i], version))
			return 1;
	return 0;
}

static void note_served(struct sup *sp, const char *version)
{
	if (!is_served(sp, version))
		snprintf(sp->served[sp->n_served++ % SERVED_MAX], VERSION_MAX, "%s", version);
}

/* A gated switch is underway and `s` belongs to it without having been ready yet: its
 * failure is the switch's. Once an instance has been ready, a crash is a restart. */
static int gates(struct sup *sp, const struct service *s)
{
	return s->gen == sp->pending_gen && sp->pending_gated && !s->was_ready;
}

/* The instance whose process group holds `h` (a listener), NULL when none of ours does. */
static struct service *holder_instance(struct sup *sp, const struct port_holder *h)
{
	struct service *s;

	if (!h->pid)
		return NULL;
	for (s = sp->list; s; s = s->next)
		if (s->pgid && h->pgid == s->pgid && service_group_alive(s))
			return s;
	return NULL;
}

/* Describes who listens on `port` into buf; returns 1 when some listener is not ours (not
 * in the group of an instance slipway tracks, and not slipway itself), else 0. */
static int port_foreign(struct sup *sp, int port, char *buf, size_t cap)
{
	struct port_holder h[8];
	int n = port_holders(port, h, 8), foreign = 0;
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len < cap; i++) {
		struct service *t = holder_instance(sp, &h[i]);
		char d[96];

		if (h[i].pid == getpid())
			continue;
		if (t) {
			snprintf(d, sizeof(d), "%s of release %s (pid %ld)", t->spec.name,
			         t->version, (long)h[i].pid);
		} else {
			port_holder_describe(&h[i], d, sizeof(d));
			foreign = 1;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", d);
	}
	return foreign;
}

static void gate_fail(struct sup *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void enter_backoff(struct sup *sp, struct service *s, uint64_t now)
{
	uint64_t ran = s->started_at && now > s->started_at ? now - s->started_at : 0;
	uint64_t delay;
	char d[32];

	s->failures = backoff_next_failures(&sp->cfg->backoff, s->failures, ran);
	delay = backoff_delay(&sp->cfg->backoff, s->failures);
	s->next_start_at = clock_deadline_ms(now, delay);
	s->wait_deadline = 0;
	s->failure_no = ++sp->failures_seen;
	service_set_state(s, SVC_BACKOFF, now);
	logsink_fmt_ms(delay, d, sizeof(d));
	say(sp, "%s: restarting in %s (failure %u in a row)", s->spec.name, d, s->failures);
	sp->dirty = 1;
}

static void switch_failed(struct sup *sp, struct service *s, uint64_t now, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* SLIPWAY_HEALTH_PORT for an instance: the first port from its health_port up that no
 * instance slipway tracks has been given, that is no service's port, and that is free now.
 * Two generations running side by side therefore never share one. */
static int pick_health_port(struct sup *sp, struct service *me, struct err *err)
{
	int base = me->spec.health_base;

	for (int p = base; p < base + HEALTH_SPAN && p <= 65535; p++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
		struct service *o;
		int fd, one = 1, taken = 0;

		for (o = sp->list; o && !taken; o = o->next)
			taken = o != me && (o->health_port == p || o->spec.port == p);
		if (taken)
			continue;
		/* Like the frameworks (SO_REUSEADDR, all interfaces): TIME_WAIT does not count. */
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fail_sys(err, "cannot create a socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		taken = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0;
		close(fd);
		if (!taken)
			return p;
	}
	return fail_kind(err, ERR_SYSTEM, "no free health port in %d-%d", base,
	                 base + HEALTH_SPAN - 1 > 65535 ? 65535 : base + HEALTH_SPAN - 1);
}

static void do_start(struct sup *sp, struct service *s, uint64_t now)
{
	struct err err;
	char url[300];
	int rc = 0;

	s->wait_deadline = 0;
	if (s->spec.health_base && !s->health_port) {
		rc = pick_health_port(sp, s, &err);
		if (rc > 0)
			s->health_port = rc;
	}
	if (rc < 0 || switch_start(&sp->sw, s, now, &err) < 0) {
		snprintf(s->last_exit, sizeof(s->last_exit), "start failed: %s", err.msg);
		say(sp, "%s: %s", s->spec.name, s->last_exit);
		s->started_at = now;
		if (gates(sp, s)) {
			switch_failed(sp, s, now, "%s: %s", s->spec.name, s->last_exit);
			return;
		}
		enter_backoff(sp, s, now);
		return;
	}
	url_of(s, url, sizeof(url));
	say(sp, "%s: started pid %ld  release %s (generation %u)%s", s->spec.name, (long)s->pid,
	    s->version, s->gen, url);
	sp->dirty = 1;
}

/* `me` must wait for its port (runtime/switch.h). */
static int port_busy(struct sup *sp, struct service *me)
{
	return switch_port_busy(&sp->sw, sp->list, me);
}

/* The instance that keeps `me` from its port (NULL when it is a socket slipway holds), for
 * the wait's deadline and its messages. */
static struct service *port_blocker(struct sup *sp, struct service *me)
{
	struct service *s;

	if (!me->spec.port)
		return NULL;
	for (s = sp->list; s; s = s->next)
		if (s != me && s->spec.port == me->spec.port && !switch_shares_port(me, s) &&
		    service_group_alive(s))
			return s;
	return NULL;
}

/* When a start blocked by `holder` is decided: the holder's stop deadline (SIGKILL), or its
 * stop timeout from now if it is not stopping yet, plus a grace for the kernel to reap. */
static uint64_t port_wait_deadline(const struct service *holder, uint64_t now)
{
	uint64_t t = !holder ? now
	             : holder->state == SVC_STOPPING && holder->stop_deadline > now
	                 ? holder->stop_deadline
	                 : clock_deadline_ms(now, holder->spec.stop_timeout_ms);

	return clock_deadline_ms(t, PORT_GRACE);
}

/* A start that is due: waits while the port is not free for it, but never past the wait
 * deadline; a foreign holder fails a gated start at once (it is named). */
static void start_when_free(struct sup *sp, struct service *s, uint64_t now)
{
	char who[512];

	if (port_busy(sp, s)) {
		struct service *holder = port_blocker(sp, s);

		if (!s->wait_deadline)
			s->wait_deadline = port_wait_deadline(holder, now);
		if (now < s->wait_deadline)
			return;
		if (holder)
			snprintf(who, sizeof(who), "%s of release %s (pid %ld)", holder->spec.name,
			         holder->version, (long)holder->last_pid);
		else
			snprintf(who, sizeof(who), "a socket slipway holds for another address");
		if (gates(sp, s)) {
			switch_failed(sp, s, now, "%s: port %d still held by %s", s->spec.name,
			              s->spec.port, who);
			return;
		}
		say(sp, "%s: port %d still held by %s; starting anyway", s->spec.name, s->spec.port,
		    who);
	} else if (s->spec.port && gates(sp, s) &&
	           port_foreign(sp, s->spec.port, who, sizeof(who))) {
		switch_failed(sp, s, now, "%s: port %d is held by %s, which slipway did not start",
		              s->spec.name, s->spec.port, who);
		return;
	}
	if (s->state == SVC_BACKOFF)
		s->restarts++;
	do_start(sp, s, now);
}

static void stop_service(struct sup *sp, struct service *s, uint64_t now, const char *why)
{
	char d[32];
	int had_process = service_group_alive(s) && !s->term_sent;

	s->retiring = 1;
	service_stop(s, now);
	if (had_process) {
		logsink_fmt_ms(s->spec.stop_timeout_ms, d, sizeof(d));
		say(sp, "%s: sent SIGTERM to pid %ld (release %s, %s); waiting up to %s",
		    s->spec.name, (long)s->last_pid, s->version, why, d);
	}
	sp->dirty = 1;
}

static void stop_cb(void *ctx, struct service *s, uint64_t now, const char *why)
{
	stop_service(ctx, s, now, why);
}

/* Creates the instances of `rel` as generation `gen`. Port holders of other generations are
 * told to stop first and the new instance waits for the port; a portless service overlaps
 * its predecessor, which is stopped once the new one is up (handover). Instances of the
 * same release that still run and are not retiring are adopted instead of restarted. */
static int populate(struct sup *sp, const struct loaded_release *rel, unsigned gen, uint64_t now,
                    struct err *err)
{
	size_t i;
	struct service *s, *o;

	for (i = 0; i < rel->m->n_services; i++) {
		const struct manifest_service *ms = &rel->m->services[i];
		struct svc_spec spec;
		struct service *adopt = NULL, *warm = NULL;
		unsigned handover = 0;
		extern char **environ;

		for (o = sp->list; o; o = o->next) {
			if (o->warm_until && o->pid && o->state == SVC_READY &&
			    !strcmp(o->spec.name, ms->name) && !strcmp(o->release_dir, rel->dir))
				warm = o;
			if (o->retiring || strcmp(o->spec.name, ms->name))
				continue;
			if (o->gen == gen || !strcmp(o->release_dir, rel->dir))
				adopt = o;
			else if (!ms->port || o->spec.port != ms->port)
				handover = o->id;
		}
		if (adopt) {
			/* Ready again in this generation counts, not before (Health gate). */
			adopt->gen = gen;
			adopt->was_ready = adopt->state == SVC_READY;
			continue;
		}
		if (svc_spec_build(ms, rel->dir, rel->version, &rel->env, environ, &spec, err) < 0)
			return -1;
		if (warm && switch_adopt_warm(&sp->sw, sp->list, warm, &spec, gen, now)) {
			/* Counts once it is ready in this generation (promoted at once, or after
			 * its probe), not for having been ready before. */
			warm->was_ready = warm->state == SVC_READY;
			svc_spec_release(&spec);
			continue;
		}
		s = service_new(&spec, ++sp->next_id, gen, rel->dir, rel->version);
		if (!s) {
			svc_spec_release(&spec);
			return fail_oom(err);
		}
		s->handover_from = handover;
		s->sock_mode = switch_mode(&sp->sw, &s->spec);
		s->next = sp->list;
		sp->list = s;
		if ((int)strlen(ms->name) > sp->log.width)
			sp->log.width = (int)strlen(ms->name);
		if (ms->port)
			for (o = sp->list; o; o = o->next)
				if (o != s && o->spec.port == ms->port && o->gen != gen &&
				    !switch_shares_port(s, o))
					stop_service(sp, o, now, "its port is handed over");
		service_set_state(s, SVC_WAITING, now);
	}
	sp->dirty = 1;
	return 0;
}

static void flip_back(struct sup *sp, const char *bad, const char *reason)
{
	struct err err;
	int r;

	if (store_gate_mark_bad(sp->cfg->root, bad, reason, &err) < 0)
		say(sp, "warning: cannot mark release %s bad: %s", bad, err.msg);
	if (!sp->active.version)
		return;
	r = store_gate_undo(sp->cfg->root, bad, sp->active.version, &err);
	if (r < 0)
		say(sp, "error: cannot point current back at %s: %s", sp->active.version, err.msg);
	else if (r > 0)
		say(sp, "current no longer points at %s; leaving it alone", bad);
	else
		say(sp, "current points at %s again", sp->active.version);
}

static void gate_fail(struct sup *sp, const char *fmt, ...)
{
	char reason[512];
	struct service *s;
	uint64_t now = clock_mono_ms();
	struct err err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sp->decided_after = sp->failures_seen;
	say(sp, "release %s failed its health check: %s; rolling back to %s",
	    sp->pending.version ? sp->pending.version : sp->switch_to, reason,
	    sp->active.version ? sp->active.version : "(none)");
	switch_restore(&sp->sw, sp->list, sp->active_gen);
	for (s = sp->list; s; s = s->next)
		if (s->gen == sp->pending_gen)
			stop_service(sp, s, now, "its release failed the health check");
	snprintf(sp->switch_result, sizeof(sp->switch_result), "rolled_back");
	snprintf(sp->switch_reason, sizeof(sp->switch_reason), "%s", reason);
	snprintf(sp->failed_version, sizeof(sp->failed_version), "%s", sp->switch_to);
	flip_back(sp, sp->switch_to, reason);
	loaded_release_clear(&sp->pending);
	sp->pending_gen = 0;
	sp->pending_gated = 0;
	sp->sw.switch_began = 0;
	/* Restore: whatever of the live generation was stopped for the switch starts again. */
	if (sp->active.m && populate(sp, &sp->active, sp->active_gen, now, &err) < 0)
		say(sp, "error: cannot restore release %s: %s", sp->active.version, err.msg);
	notify(sp, "STATUS=serving %s (rolled back from %s: %s)", sp->active.version, sp->switch_to,
	       reason);
	sp->check_release = 1;
	sp->dirty = 1;
}

/* The new instance that takes over from `old` (a worker's handover, or the same slipway
 * socket) and has not been ready yet, else NULL. Only a switch kept despite a failure
 * (switch_failed) commits with one: `old` keeps serving until its successor is ready. */
static struct service *successor_pending(struct sup *sp, const struct service *old)
{
	struct service *s;

	for (s = sp->list; s; s = s->next)
		if (s->gen == sp->pending_gen && !s->was_ready && s->state != SVC_READY &&
		    !s->retiring &&
		    (s->handover_from == old->id || (old->sock_mode && switch_shares_port(s, old))))
			return s;
	return NULL;
}

static void commit(struct sup *sp, uint64_t now)
{
	struct service *s, *next;

	for (s = sp->list; s; s = s->next) {
		if (s->gen == sp->pending_gen || s->retiring)
			continue;
		if ((next = successor_pending(sp, s)))
			next->handover_from = s->id; /* stopped when `next` is ready */
		else if (!switch_keep_warm(&sp->sw, sp->list, s, now))
			stop_service(sp, s, now, "replaced by the new release");
	}
	loaded_release_clear(&sp->previous);
	sp->previous = sp->active;
	sp->active = sp->pending;
	memset(&sp->pending, 0, sizeof(sp->pending));
	sp->active_gen = sp->pending_gen;
	sp->pending_gen = 0;
	sp->pending_gated = 0;
	sp->decided_after = sp->failures_seen;
	sp->sw.switch_began = 0;
	if (!strcmp(sp->switch_result, "pending")) {
		snprintf(sp->switch_result, sizeof(sp->switch_result), "ok");
		note_served(sp, sp->active.version);
	}
	say(sp, "release %s is live (generation %u)", sp->active.version, sp->active_gen);
	if (!sp->ready_notified) {
		notify(sp, "READY=1\nSTATUS=serving %s", sp->active.version);
		sp->ready_notified = 1;
	} else {
		notify(sp, "STATUS=serving %s", sp->active.version);
	}
	sp->check_release = 1;
	sp->dirty = 1;
}

/* A gated switch failed (because of `s`, or of the switch deadline when s is NULL). A new
 * release is rolled back (gate_fail). A release that served before under this supervisor,
 * which is what an operator's rollback or activate goes back to, is kept: current is not
 * turned around and the release is not marked bad; its failed service restarts with backoff
 * and the switch is recorded as "failed". */
static void switch_failed(struct sup *sp, struct service *s, uint64_t now, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (!is_served(sp, sp->switch_to)) {
		if (s && !s->pid) {
			if (service_group_alive(s))
				service_kill_group(s);
			service_set_state(s, SVC_STOPPED, now);
			s->retiring = 1;
		}
		gate_fail(sp, "%s", reason);
		return;
	}
	say(sp,
	    "release %s did not come up: %s; it served before, so current stays on it (not "
	    "turned around, not marked bad) and its services keep restarting",
	    sp->switch_to, reason);
	snprintf(sp->switch_result, sizeof(sp->switch_result), "failed");
	snprintf(sp->switch_reason, sizeof(sp->switch_reason), "%s", reason);
	commit(sp, now);
	/* After the decision, so the failure counts as "failed again" for --wait. */
	if (s && s->state != SVC_BACKOFF) {
		probe_abort(&s->probe);
		if (service_group_alive(s))
			service_kill_group(s);
		enter_backoff(sp, s, now);
	}
}

static void mark_ready(struct sup *sp, struct service *s, uint64_t now, const char *how)
{
	struct service *old;
	char url[300];

	s->ready_at = now;
	s->was_ready = 1;
	service_set_state(s, SVC_READY, now);
	url_of(s, url, sizeof(url));
	say(sp, "%s: ready after %llu ms (%s)%s", s->spec.name,
	    (unsigned long long)(now - s->started_at), how, url);
	if (s->gen == (sp->pending_gen ? sp->pending_gen : sp->active_gen))
		switch_promote(&sp->sw, sp->list, s);
	if (s->handover_from && (old = find_id(sp, s->handover_from)) && !old->retiring)
		stop_service(sp, old, now, "its successor is up");
	s->handover_from = 0;
	sp->dirty = 1;
}

/* When a gated switch is decided at the latest: for each new instance, its readiness timeout
 * after the longest stop of an older instance holding its port, plus a grace. */
static uint64_t switch_deadline(struct sup *sp, uint64_t now)
{
	uint64_t last = now;
	struct service *s, *o;

	for (s = sp->list; s; s = s->next) {
		uint64_t t = now;

		if (s->gen != sp->pending_gen)
			continue;
		for (o = sp->list; o; o = o->next)
			if (o != s && s->spec.port && o->spec.port == s->spec.port &&
			    o->gen != s->gen && port_wait_deadline(o, now) > t)
				t = port_wait_deadline(o, now);
		t = clock_deadline_ms(t, s->spec.ready_timeout_ms);
		if (t > last)
			last = t;
	}
	return clock_deadline_ms(last, PORT_GRACE);
}

/* A probe answered: ready only if a listener on the port belongs to this instance's process
 * group. A stale server left on the port (a migration's leftover `next start`) must not
 * pass for the new release. */
static void probe_passed(struct sup *sp, struct service *s, uint64_t now)
{
	int port = probe_port(s), own = port_held_by_group(port, s->pgid);
	char who[512];

	if (own == PORT_NOBODY) { /* the listener that answered is gone already */
		s->next_probe_at = clock_deadline_ms(now, sp->cfg->probe_interval_ms);
		return;
	}
	if (own != 0) { /* 1: ours; -1: /proc/net unreadable, nothing to judge by */
		mark_ready(sp, s, now, s->spec.ready == READY_HTTP ? "http" : "tcp");
		return;
	}
	port_foreign(sp, port, who, sizeof(who));
	if (gates(sp, s)) {
		switch_failed(sp, s, now, "%s: port %d answers, but %s holds it, not %s (pid %ld)",
		              s->spec.name, port, *who ? who : "another process", s->spec.name,
		              (long)s->pid);
		return;
	}
	if (!s->foreign_noted) {
		snprintf(s->foreign, sizeof(s->foreign), " (port %d is held by %s)", port,
		         *who ? who : "another process");
		say(sp, "%s: port %d answers, but %s holds it, not pid %ld: not ready",
		    s->spec.name, port, *who ? who : "another process", (long)s->pid);
		s->foreign_noted = 1;
	}
	s->next_probe_at = clock_deadline_ms(now, sp->cfg->probe_interval_ms);
}

/* Starts a switch (or the first start) to the release `current` names. */
static void begin_switch(struct sup *sp, const char *version, uint64_t now)
{
	struct err err;
	int rc;

	sp->switch_seq++;
	sp->sw.switch_began = now;
	snprintf(sp->switch_from, sizeof(sp->switch_from), "%s",
	         sp->active.version ? sp->active.version : "");
	snprintf(sp->switch_to, sizeof(sp->switch_to), "%s", version);
	snprintf(sp->switch_result, sizeof(sp->switch_result), "pending");
	sp->switch_reason[0] = '\0';
	sp->pending_gen = ++sp->gen_counter;
	sp->pending_gated = sp->active_gen != 0;
	if (sp->active_gen)
		say(sp, "current changed: %s -> %s; switching (generation %u)", sp->active.version,
		    version, sp->pending_gen);
	notify(sp, "STATUS=switching to %s", version);
	if (sp->previous.m && !strcmp(sp->previous.version, version)) {
		/* Rolling back: the manifest is already parsed (releases are immutable). */
		sp->pending = sp->previous;
		memset(&sp->previous, 0, sizeof(sp->previous));
		rc = release_load_env(sp->cfg->root, &sp->pending, &err);
		if (rc != 0)
			loaded_release_clear(&sp->pending);
	} else {
		rc = release_load(sp->cfg->root, version, &sp->pending, &err);
	}
	if (rc == 0 && sp->pending_gated && !is_served(sp, version)) {
		/* A foreign listener on a port of the new release: refuse before anything of the
		 * live release is stopped (a stale server would otherwise answer its probes). */
		for (size_t i = 0; i < sp->pending.m->n_services; i++) {
			const struct manifest_service *ms = &sp->pending.m->services[i];
			char who[512];

			if (ms->port && port_foreign(sp, ms->port, who, sizeof(who))) {
				gate_fail(sp,
				          "%s: port %d is held by %s, which slipway did not start",
				          ms->name, ms->port, who);
				sp->dirty = 1;
				return;
			}
		}
	}
	if (rc == 0)
		rc = populate(sp, &sp->pending, sp->pending_gen, now, &err);
	if (rc != 0)
		gate_fail(sp, "%s", err.msg);
	else if (sp->pending_gated)
		sp->switch_deadline = switch_deadline(sp, now);
	sp->dirty = 1;
}

static void check_release(struct sup *sp, uint64_t now)
{
	struct err err;
	char v[VERSION_MAX];

	sp->check_release = 0;
	if (sp->stopping)
		return;
	if (current_version(sp->cfg->root, v, sizeof(v), &err) < 0) {
		say(sp, "warning: %s", err.msg);
		return;
	}
	if (sp->pending_gen) {
		if (sp->pending_gated || !strcmp(v, sp->pending.version))
			return; /* decided when the gate opens or fails */
		/* An ungated start that is not up yet is superseded: it becomes the base. */
		sp->active_gen = sp->pending_gen;
		loaded_release_clear(&sp->active);
		sp->active = sp->pending;
		memset(&sp->pending, 0, sizeof(sp->pending));
		sp->pending_gen = 0;
	}
	if (sp->active.version && !strcmp(v, sp->active.version)) {
		sp->failed_version[0] = '\0';
		return;
	}
	if (!strcmp(v, sp->failed_version))
		return;
	begin_switch(sp, v, now);
}

/* After an "address already in use" exit: who holds the port, and what to change. */
static void diagnose_addr_in_use(struct sup *sp, struct service *s)
{
	int port = s->addr_port ? s->addr_port : probe_port(s);
	char who[512] = "", *tail;
	size_t len;

	if (port)
		port_foreign(sp, port, who, sizeof(who));
	len = strlen(s->last_exit);
	tail = s->last_exit + len;
	if (port)
		snprintf(tail, sizeof(s->last_exit) - len, ": address in use (port %d%s%s)", port,
		         *who ? ", held by " : "", who);
	else
		snprintf(tail, sizeof(s->last_exit) - len, ": address in use");
	if (s->spec.port)
		say(sp, "%s: port %d is in use%s%s; stop that process or choose another port",
		    s->spec.name, port, *who ? " by " : "", who);
	else if (s->health_port && port && port != s->health_port)
		say(sp,
		    "%s: it bound port %d instead of SLIPWAY_HEALTH_PORT=%d, which slipway gives "
		    "each "
		    "generation so that old and new can overlap; make it read the variable, e.g. "
		    "port=int(os.environ.get(\"SLIPWAY_HEALTH_PORT\", 8081))",
		    s->spec.name, port, s->health_port);
	else if (!s->health_port)
		say(sp,
		    "%s: two generations of a worker overlap during a switch, so each needs its "
		    "own port: set health_port (e.g. 8081) in its [service] section and bind "
		    "SLIPWAY_HEALTH_PORT, e.g. port=int(os.environ.get(\"SLIPWAY_HEALTH_PORT\", "
		    "8081))",
		    s->spec.name);
	else
		say(sp, "%s: port %d was taken by another process after slipway chose it",
		    s->spec.name, port);
}

static void on_exit_unexpected(struct sup *sp, struct service *s, uint64_t now)
{
	if (s->addr_in_use)
		diagnose_addr_in_use(sp, s);
	say(sp, "%s: pid %ld %s unexpectedly", s->spec.name, (long)s->last_pid, s->last_exit);
	if (service_group_alive(s))
		service_kill_group(s); /* leftovers would hold the port */
	if (gates(sp, s)) {
		switch_failed(sp, s, now, "%s %s before the switch completed", s->spec.name,
		              s->last_exit);
		return;
	}
	enter_backoff(sp, s, now);
}

static void reap(struct sup *sp)
{
	uint64_t now = clock_mono_ms();
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct service *s = find_pid(sp, pid);

		if (!s)
			continue; /* an orphaned grandchild we adopted as subreaper */
		service_reaped(s, status);
		read_output(sp, s);
		sp->dirty = 1;
		switch (s->state) {
		case SVC_STOPPING:
			/* Like systemd: once the main process is gone, what remains of its group
			 * gets SIGKILL (nobody is left to end it); tick() then finishes it. */
			if (!s->kill_sent && service_group_alive(s))
				service_kill_group(s);
			break;
		case SVC_STARTING:
		case SVC_READY:
			if (s->retiring) {
				service_set_state(s, SVC_STOPPED, now);
				break;
			}
			on_exit_unexpected(sp, s, now);
			break;
		default:
			break;
		}
	}
}

static void stop_all(struct sup *sp)
{
	struct service *s;
	uint64_t now = clock_mono_ms();

	if (sp->stopping) {
		say(sp, "already stopping; waiting for the services to finish (no second SIGTERM)");
		return;
	}
	sp->stopping = 1;
	say(sp, "stopping all services");
	notify(sp, "STOPPING=1\nSTATUS=stopping");
	for (s = sp->list; s; s = s->next)
		stop_service(sp, s, now, "slipway is stopping");
	sp->dirty = 1;
}

static void tick(struct sup *sp, uint64_t now)
{
	struct service *s, **pp;

	for (s = sp->list; s; s = s->next) {
		switch (s->state) {
		case SVC_WAITING:
			start_when_free(sp, s, now);
			break;
		case SVC_BACKOFF:
			if (now < s->next_start_at)
				break;
			if (service_group_alive(s)) {
				/* SIGKILLed leftovers that do not go away (a process stuck in the
				 * kernel): the restart waits, but not forever. */
				if (!s->wait_deadline)
					s->wait_deadline = clock_deadline_ms(now, PORT_GRACE);
				if (now < s->wait_deadline)
					break;
				say(sp, "%s: processes of pid %ld survive SIGKILL; starting anyway",
				    s->spec.name, (long)s->last_pid);
				s->pgid = 0;
				s->wait_deadline = 0;
			}
			start_when_free(sp, s, now);
			break;
		case SVC_STARTING:
			if (s->spec.ready == READY_NONE &&
			    now >= clock_deadline_ms(s->started_at, sp->cfg->settle_ms)) {
				mark_ready(sp, s, now, "still running");
				break;
			}
			if (s->probe.fd >= 0 && now >= s->probe_deadline) {
				if (probe_expire(&s->probe) == PROBE_OK) {
					probe_passed(sp, s, now);
					break;
				}
				s->next_probe_at =
				    clock_deadline_ms(now, sp->cfg->probe_interval_ms);
			}
			if (now >= s->ready_deadline) {
				char d[32];

				logsink_fmt_ms(s->spec.ready_timeout_ms, d, sizeof(d));
				snprintf(s->last_exit, sizeof(s->last_exit),
				         "not ready within %s%s", d, s->foreign);
				if (gates(sp, s)) {
					switch_failed(sp, s, now, "%s %s", s->spec.name,
					              s->last_exit);
					break;
				}
				say(sp, "%s: not ready within %s; killing it", s->spec.name, d);
				probe_abort(&s->probe);
				service_kill_group(s);
				enter_backoff(sp, s, now);
				break;
			}
			if (s->sock_mode == SOCK_PRELOAD && s->spec.ready == READY_TCP) {
				/* The gate socket always accepts: its server's listen() is the
				 * sign. */
				if (s->app_listening)
					mark_ready(sp, s, now, "listening");
				break;
			}
			if (s->spec.ready != READY_LOG && s->spec.ready != READY_NONE &&
			    s->probe.fd < 0 && now >= s->next_probe_at) {
				if (probe_begin(&s->probe, s->spec.ready, probe_port(s),
				                s->spec.ready_path) == PROBE_PENDING)
					s->probe_deadline = now + 1000;
				else
					s->next_probe_at =
					    clock_deadline_ms(now, sp->cfg->probe_interval_ms);
			}
			break;
		case SVC_READY:
			if (s->warm_until && now >= s->warm_until) {
				s->warm_until = 0;
				stop_service(sp, s, now, "its warm time is over");
			} else if (s->warm_until) {
				switch_warm_tick(&sp->sw, s, now);
			}
			break;
		case SVC_STOPPING:
			if (!s->kill_sent && now >= s->stop_deadline) {
				say(sp, "%s: still running after its stop timeout; sending SIGKILL",
				    s->spec.name);
				service_kill_group(s);
			}
			if (!s->pid && !service_group_alive(s)) {
				say(sp, "%s: stopped (pid %ld %s)", s->spec.name, (long)s->last_pid,
				    s->last_exit);
				service_set_state(s, SVC_STOPPED, now);
				sp->dirty = 1;
			}
			break;
		default:
			break;
		}
	}
	for (pp = &sp->list; (s = *pp);) {
		if (s->state == SVC_STOPPED && s->retiring && s->out_fd < 0 && !s->pid) {
			*pp = s->next;
			switch_forget(&sp->sw, s);
			service_free(s);
			sp->dirty = 1;
			continue;
		}
		if (s->state == SVC_STOPPED && s->retiring && s->out_fd >= 0 && sp->stopping) {
			/* An escaped grandchild may hold the pipe: do not wait on it forever. */
			read_output(sp, s);
			if (s->out_fd >= 0) {
				close(s->out_fd);
				s->out_fd = -1;
			}
			continue;
		}
		pp = &s->next;
	}
	if (sp->pending_gen) {
		int all = 1, any = 0;
		char late[256] = "";

		for (s = sp->list; s; s = s->next)
			if (s->gen == sp->pending_gen) {
				any = 1;
				if (!s->was_ready && s->state != SVC_READY) {
					all = 0;
					snprintf(late + strlen(late), sizeof(late) - strlen(late),
					         "%s%s (%s)", *late ? ", " : "", s->spec.name,
					         svc_state_name(s->state));
				}
			}
		if (any && all) {
			commit(sp, now);
		} else if (sp->pending_gated && now >= sp->switch_deadline) {
			switch_failed(sp, NULL, now, "switch not complete in time: not ready: %s",
			              late);
		}
	}
	if (sp->stopping && now >= sp->next_extend) {
		uint64_t last = now;

		for (s = sp->list; s; s = s->next)
			if (s->state == SVC_STOPPING && s->stop_deadline > last)
				last = s->stop_deadline;
		notify(sp, "EXTEND_TIMEOUT_USEC=%llu",
		       (unsigned long long)(last - now + 10000) * 1000);
		sp->next_extend = now + 5000;
	}
}

static int64_t next_wakeup(struct sup *sp, uint64_t now)
{
	uint64_t t = UINT64_MAX;
	struct service *s;

#define AT(x)                                                                                      \
	do {                                                                                       \
		if ((x) < t)                                                                       \
			t = (x);                                                                   \
	} while (0)
	for (s = sp->list; s; s = s->next) {
		switch (s->state) {
		case SVC_WAITING:
			AT(now + 20);
			if (s->wait_deadline)
				AT(s->wait_deadline);
			break;
		case SVC_BACKOFF:
			AT(s->next_start_at);
			if (now >= s->next_start_at)
				AT(now + 20);
			break;
		case SVC_STARTING:
			AT(s->ready_deadline);
			if (s->spec.ready == READY_NONE)
				AT(clock_deadline_ms(s->started_at, sp->cfg->settle_ms));
			else if (s->spec.ready == READY_LOG)
				;
			else if (s->probe.fd >= 0)
				AT(s->probe_deadline);
			else
				AT(s->next_probe_at);
			break;
		case SVC_READY:
			if (s->warm_until) {
				AT(s->warm_until);
				AT(switch_warm_wakeup(s));
			}
			break;
		case SVC_STOPPING:
			if (!s->kill_sent)
				AT(s->stop_deadline);
			if (!s->pid)
				AT(now + 20);
			break;
		default:
			break;
		}
	}
	if (sp->stopping)
		AT(sp->next_extend);
	if (sp->pending_gen && sp->pending_gated)
		AT(sp->switch_deadline);
#undef AT
	if (t == UINT64_MAX)
		return -1;
	return t > now ? (int64_t)(t - now) : 0;
}

static void handle_signals(struct sup *sp)
{
	struct signalfd_siginfo si;

	while (read(sp->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(sp);
			break;
		case SIGTERM:
		case SIGINT:
			stop_all(sp);
			break;
		case SIGHUP:
			sp->check_release = 1;
			sp->failed_version[0] = '\0';
			break;
		default:
			break;
		}
	}
}

static void handle_inotify(struct sup *sp)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(sp->ifd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + n) {
			struct inotify_event *ev = (struct inotify_event *)p;

			/* An explicit change of `current` may retry a release that failed. */
			if ((ev->len && !strcmp(ev->name, "current")) ||
			    (ev->mask & IN_Q_OVERFLOW)) {
				sp->check_release = 1;
				sp->failed_version[0] = '\0';
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

void supervisor_config_defaults(struct supervisor_config *cfg)
{
	char *w = cfg->warnings;
	size_t cap = sizeof(cfg->warnings);

	w[0] = '\0';
	cfg->backoff = backoff_policy_from_env(w, cap);
	cfg->settle_ms = envnum_ms("SLIPWAY_READY_NONE_MS", 1000, 0, SUP_SETTLE_LIMIT_MS, w, cap);
	cfg->probe_interval_ms = envnum_ms("SLIPWAY_PROBE_INTERVAL_MS", 50, 10, 60000, w, cap);
	cfg->warm_ms = envnum_ms("SLIPWAY_WARM_MS", 600000, 0, SUP_WARM_LIMIT_MS, w, cap);
}

static void sup_release(struct sup *sp)
{
	struct service *s;

	while ((s = sp->list)) {
		sp->list = s->next;
		service_free(s);
	}
	loaded_release_clear(&sp->active);
	loaded_release_clear(&sp->pending);
	loaded_release_clear(&sp->previous);
	switch_release(&sp->sw);
	if (sp->sfd >= 0)
		close(sp->sfd);
	if (sp->ifd >= 0)
		close(sp->ifd);
}

int supervisor_run(const struct supervisor_config *cfg, struct err *err)
{
	struct sup sp;
	struct pollfd pfd[MAX_FDS];
	struct service *owner[MAX_FDS];
	char version[VERSION_MAX];
	sigset_t mask;
	int rc = -1, lock_fd = -1;
	uint64_t now;

	memset(&sp, 0, sizeof(sp));
	sp.cfg = cfg;
	sp.sfd = sp.ifd = -1;
	sp.log.out = cfg->out;
	sp.log.color = cfg->color;
	sp.log.width = 7; /* "slipway" */
	sp.sw.log = &sp.log;
	sp.sw.warm_ms = cfg->warm_ms;
	sp.sw.stop = stop_cb;
	sp.sw.ctx = &sp;

	if (current_version(cfg->root, version, sizeof(version), err) < 0)
		return -1;
	if (release_load(cfg->root, version, &sp.pending, err) < 0)
		return -1;
	if (statefile_claim(cfg->root, &lock_fd, err) < 0)
		goto out;
	if (spawn_become_subreaper(err) < 0)
		goto out;
	switch_setup(&sp.sw, cfg->root);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sp.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sp.sfd < 0) {
		fail_sys(err, "cannot create signalfd");
		goto out;
	}
	sp.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sp.ifd < 0 ||
	    inotify_add_watch(sp.ifd, cfg->root, IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
		say(&sp, "warning: cannot watch %s (%s); send SIGHUP after activate", cfg->root,
		    strerror(errno));
		if (sp.ifd >= 0)
			close(sp.ifd);
		sp.ifd = -1;
	}

	now = clock_mono_ms();
	sp.switch_seq = 0;
	snprintf(sp.switch_to, sizeof(sp.switch_to), "%s", version);
	snprintf(sp.switch_result, sizeof(sp.switch_result), "pending");
	sp.pending_gen = ++sp.gen_counter;
	say(&sp, "supervising %s: release %s (pid %ld)", cfg->root, version, (long)getpid());
	for (const char *w = cfg->warnings, *nl; *w; w = nl + 1) {
		if (!(nl = strchr(w, '\n')))
			break;
		say(&sp, "warning: %.*s", (int)(nl - w), w);
	}
	notify(&sp, "STATUS=starting %s", version);
	if (populate(&sp, &sp.pending, sp.pending_gen, now, err) < 0)
		goto out;

	for (;;) {
		int n = 0, i, timeout;
		int64_t wake;

		now = clock_mono_ms();
		tick(&sp, now);
		if (sp.check_release)
			check_release(&sp, now);
		if (sp.dirty)
			write_state(&sp);
		if (sp.stopping && !sp.list)
			break;
		pfd[n].fd = sp.sfd;
		pfd[n].events = POLLIN;
		owner[n++] = NULL;
		if (sp.ifd >= 0) {
			pfd[n].fd = sp.ifd;
			pfd[n].events = POLLIN;
			owner[n++] = NULL;
		}
		for (struct service *s = sp.list; s && n < MAX_FDS - 2; s = s->next) {
			if (s->out_fd >= 0) {
				pfd[n].fd = s->out_fd;
				pfd[n].events = POLLIN;
				owner[n++] = s;
			}
			if (s->probe.fd >= 0) {
				pfd[n].fd = s->probe.fd;
				pfd[n].events = s->probe.events;
				owner[n++] = s;
			}
			if (s->ctl_fd >= 0 && n < MAX_FDS - 2) {
				pfd[n].fd = s->ctl_fd;
				pfd[n].events = POLLIN;
				owner[n++] = s;
			}
		}
		wake = next_wakeup(&sp, now);
		timeout = wake < 0 ? -1 : (wake > 60000 ? 60000 : (int)wake);
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			fail_sys(err, "poll failed");
			goto out;
		}
		now = clock_mono_ms();
		for (i = 0; i < n; i++) {
			struct service *s = owner[i];

			if (!pfd[i].revents)
				continue;
			if (!s && pfd[i].fd == sp.sfd)
				handle_signals(&sp);
			else if (!s)
				handle_inotify(&sp);
			else if (pfd[i].fd == s->out_fd)
				read_output(&sp, s);
			else if (pfd[i].fd == s->ctl_fd)
				switch_read_ctl(&sp.sw, s);
			else if (pfd[i].fd == s->probe.fd && s->warm_until)
				switch_warm_probe_step(&sp.sw, s, now);
			else if (pfd[i].fd == s->probe.fd && s->state == SVC_STARTING) {
				enum probe_result r = probe_step(&s->probe);

				if (r == PROBE_OK)
					probe_passed(&sp, s, now);
				else if (r == PROBE_FAILED)
					s->next_probe_at =
					    clock_deadline_ms(now, sp.cfg->probe_interval_ms);
			}
		}
	}
	spawn_reap_orphans();
	say(&sp, "all services stopped; exiting");
	rc = 0;
out:
	sup_release(&sp);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}
