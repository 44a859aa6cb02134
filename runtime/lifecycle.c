#include "runtime/lifecycle.h"
#include "runtime/handover.h"
#include "runtime/notify.h"
#include "runtime/portowner.h"
#include "runtime/ports.h"
#include "release/base/clock.h"
#include "release/base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK  4096 /* output read per service per wake-up (issue 15 item 3) */
#define DRAIN_READS 16   /* at a failure: up to a pipe's 64 KiB, so the tail has the reason */

void sup_say(struct sup *sp, const char *fmt, ...)
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

static void emit_service_line(void *ctx, const char *line, size_t len)
{
	struct emit_ctx *c = ctx;
	struct service *s = c->s;
	int port = 0;

	logsink_line(&c->sp->log, s->spec.name, s->id, line, len);
	outtail_add(&s->tail, line, len);
	if (ports_addr_in_use(line, len, &port)) {
		s->addr_in_use = 1;
		if (port)
			s->addr_port = port;
	}
	if (s->pid && s->state == SVC_STARTING && s->spec.ready == READY_LOG &&
	    memmem(line, len, s->spec.ready_log, strlen(s->spec.ready_log)))
		mark_ready(c->sp, s, clock_mono_ms(), "log");
}

void sup_notify(struct sup *sp, const char *fmt, ...)
{
	struct err err;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (notify_send(msg, &err) < 0)
		sup_say(sp, "warning: sd_notify: %s", err.msg);
}

/* One read of at most READ_CHUNK bytes: a service that prints faster than slipway can log
 * must not keep the loop from signals, timers and probes (it waits in write(2) instead).
 * Returns 1 when it read something. */
static int read_chunk(struct sup *sp, struct service *s)
{
	struct emit_ctx c = {sp, s};
	char buf[READ_CHUNK];
	ssize_t r;

	if (s->out_fd < 0)
		return 0;
	do
		r = read(s->out_fd, buf, sizeof(buf));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r <= 0) {
		linebuf_flush(&s->lb, emit_service_line, &c);
		close(s->out_fd);
		s->out_fd = -1;
		return 0;
	}
	linebuf_feed(&s->lb, buf, (size_t)r, emit_service_line, &c);
	return 1;
}

void lifecycle_read_output(struct sup *sp, struct service *s)
{
	read_chunk(sp, s);
}

/* An instance failed (exited unexpectedly, did not start, or was not ready in time): what it
 * printed last, read to the end of the pipe (bounded), is kept with the failure for `status`
 * and `--wait`, and the failure counts for the crash-loop rule. */
static void note_failure(struct sup *sp, struct service *s, uint64_t now)
{
	struct state_failure f = {0};

	for (int i = 0; i < DRAIN_READS && read_chunk(sp, s); i++)
		;
	crashlog_add(&s->crashes, now);
	s->exit_tail = s->tail;
	snprintf(f.service, sizeof(f.service), "%s", s->spec.name);
	snprintf(f.release, sizeof(f.release), "%s", s->version);
	f.generation = s->gen;
	snprintf(f.reason, sizeof(f.reason), "%s", s->last_exit);
	clock_iso_utc(time(NULL), f.at);
	f.output = s->tail;
	statefile_note_failure(sp->failures, &sp->n_failures, &f);
	sp->dirty = 1;
}

/* The state file says how many failures are in the last minute: rewritten when one leaves. */
static void note_crash_window(struct sup *sp, struct service *s, uint64_t now)
{
	unsigned recent = crashlog_recent(&s->crashes, now);

	if (recent != s->crashes_noted) {
		s->crashes_noted = recent;
		sp->dirty = 1;
	}
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

static void url_of(const struct service *s, char *buf, size_t cap)
{
	if (s->spec.port)
		snprintf(buf, cap, "  %s://%s:%d", s->spec.ready == READY_HTTP ? "http" : "tcp",
		         s->spec.host, s->spec.port);
	else if (s->health_port)
		snprintf(buf, cap, "  health port %d (SLIPWAY_HEALTH_PORT)", s->health_port);
	else
		buf[0] = '\0';
}

static int probe_port(const struct service *s)
{
	return s->spec.port ? handover_probe_port(s) : s->health_port;
}

void lifecycle_backoff(struct sup *sp, struct service *s, uint64_t now)
{
	uint64_t ran = s->started_at && now > s->started_at ? now - s->started_at : 0;
	uint64_t delay;
	char d[32];

	s->failures = backoff_next_failures(&sp->cfg->backoff, s->failures, ran);
	delay = backoff_delay(&sp->cfg->backoff, s->failures);
	s->next_start_at = clock_deadline_ms(now, delay);
	s->wait_deadline = 0;
	s->failure_no = gen_count_failure(&sp->gen);
	service_set_state(s, SVC_BACKOFF, now);
	logsink_fmt_ms(delay, d, sizeof(d));
	sup_say(sp, "%s: restarting in %s (failure %u in a row)", s->spec.name, d, s->failures);
	sp->dirty = 1;
}

static void do_start(struct sup *sp, struct service *s, uint64_t now)
{
	struct err err;
	char url[300];
	int rc = 0;

	s->wait_deadline = 0;
	if (s->spec.health_base && !s->health_port) {
		rc = ports_pick_health(sp->list, s, &err);
		if (rc > 0)
			s->health_port = rc;
	}
	if (rc < 0 || handover_start(&sp->sw, s, now, &err) < 0) {
		snprintf(s->last_exit, sizeof(s->last_exit), "start failed: %s", err.msg);
		sup_say(sp, "%s: %s", s->spec.name, s->last_exit);
		s->started_at = now;
		note_failure(sp, s, now);
		if (!gen_instance_failed(&sp->gen, s, now, "%s: %s", s->spec.name, s->last_exit))
			lifecycle_backoff(sp, s, now);
		return;
	}
	url_of(s, url, sizeof(url));
	sup_say(sp, "%s: started pid %ld  release %s (generation %u)%s", s->spec.name, (long)s->pid,
	        s->version, s->gen, url);
	sp->dirty = 1;
}

/* `me` must wait for its port (runtime/handover.h). */
static int port_busy(struct sup *sp, struct service *me)
{
	return handover_port_busy(&sp->sw, sp->list, me);
}

/* A start that is due: waits while the port is not free for it, but never past the wait
 * deadline; a foreign holder fails a gated start at once (it is named). */
static void start_when_free(struct sup *sp, struct service *s, uint64_t now)
{
	char who[512];

	if (port_busy(sp, s)) {
		struct service *holder = ports_blocker(sp->list, s);

		if (!s->wait_deadline)
			s->wait_deadline = ports_wait_deadline(holder, now);
		if (now < s->wait_deadline)
			return;
		if (holder)
			snprintf(who, sizeof(who), "%s of release %s (pid %ld)", holder->spec.name,
			         holder->version, (long)holder->last_pid);
		else
			snprintf(who, sizeof(who), "a socket slipway holds for another address");
		if (gen_instance_failed(&sp->gen, s, now, "%s: port %d still held by %s",
		                        s->spec.name, s->spec.port, who))
			return;
		sup_say(sp, "%s: port %d still held by %s; starting anyway", s->spec.name,
		        s->spec.port, who);
	} else if (s->spec.port && gen_gates(&sp->gen, s) &&
	           ports_foreign(sp->list, s->spec.port, who, sizeof(who)) &&
	           gen_instance_failed(&sp->gen, s, now,
	                               "%s: port %d is held by %s, which slipway did not start",
	                               s->spec.name, s->spec.port, who)) {
		return;
	}
	if (s->state == SVC_BACKOFF)
		s->restarts++;
	do_start(sp, s, now);
}

void lifecycle_stop(struct sup *sp, struct service *s, uint64_t now, const char *why)
{
	char d[32];
	int had_process = service_group_alive(s) && !s->term_sent;

	s->retiring = 1;
	service_stop(s, now);
	if (had_process) {
		logsink_fmt_ms(s->spec.stop_timeout_ms, d, sizeof(d));
		sup_say(sp, "%s: sent SIGTERM to pid %ld (release %s, %s); waiting up to %s",
		        s->spec.name, (long)s->last_pid, s->version, why, d);
	}
	sp->dirty = 1;
}

void lifecycle_stop_cb(void *ctx, struct service *s, uint64_t now, const char *why)
{
	lifecycle_stop(ctx, s, now, why);
}

int lifecycle_populate(struct sup *sp, const struct loaded_release *rel, unsigned gen, uint64_t now,
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
			if (handover_is_warm(o) && o->pid && o->state == SVC_READY &&
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
		if (svc_spec_add_action_key(&spec, rel->m, ms, &rel->env, rel->action_key, err) <
		    0) {
			svc_spec_release(&spec);
			return -1;
		}
		if (warm && handover_adopt_warm(&sp->sw, sp->list, warm, &spec, gen, now)) {
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
		if (handover_attach(&sp->sw, s) < 0) {
			service_free(s);
			return fail_oom(err);
		}
		s->handover_from = handover;
		s->next = sp->list;
		sp->list = s;
		if ((int)strlen(ms->name) > sp->log.width)
			sp->log.width = (int)strlen(ms->name);
		if (ms->port)
			for (o = sp->list; o; o = o->next)
				if (o != s && o->spec.port == ms->port && o->gen != gen &&
				    !handover_shares_port(s, o))
					lifecycle_stop(sp, o, now, "its port is handed over");
		service_set_state(s, SVC_WAITING, now);
	}
	sp->dirty = 1;
	return 0;
}

static void mark_ready(struct sup *sp, struct service *s, uint64_t now, const char *how)
{
	struct service *old;
	char url[300];

	s->ready_at = now;
	s->was_ready = 1;
	service_set_state(s, SVC_READY, now);
	url_of(s, url, sizeof(url));
	sup_say(sp, "%s: ready after %llu ms (%s)%s", s->spec.name,
	        (unsigned long long)(now - s->started_at), how, url);
	if (gen_serves(&sp->gen, s))
		handover_promote(&sp->sw, sp->list, s);
	if (s->handover_from && (old = find_id(sp, s->handover_from)) && !old->retiring)
		lifecycle_stop(sp, old, now, "its successor is up");
	s->handover_from = 0;
	sp->dirty = 1;
}

/* A probe answered: ready only if a listener on the port belongs to this instance's process
 * group. A stale server left on the port (a migration's leftover `next start`) must not
 * pass for the new release. */
void lifecycle_probe_passed(struct sup *sp, struct service *s, uint64_t now)
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
	ports_foreign(sp->list, port, who, sizeof(who));
	if (gen_instance_failed(
	        &sp->gen, s, now, "%s: port %d answers, but %s holds it, not %s (pid %ld)",
	        s->spec.name, port, *who ? who : "another process", s->spec.name, (long)s->pid))
		return;
	if (!s->foreign_noted) {
		snprintf(s->foreign, sizeof(s->foreign), " (port %d is held by %s)", port,
		         *who ? who : "another process");
		sup_say(sp, "%s: port %d answers, but %s holds it, not pid %ld: not ready",
		        s->spec.name, port, *who ? who : "another process", (long)s->pid);
		s->foreign_noted = 1;
	}
	s->next_probe_at = clock_deadline_ms(now, sp->cfg->probe_interval_ms);
}

static void on_exit_unexpected(struct sup *sp, struct service *s, uint64_t now)
{
	note_failure(sp, s, now);
	if (s->addr_in_use) {
		char advice[512];

		ports_diagnose(sp->list, s, probe_port(s), advice, sizeof(advice));
		sup_say(sp, "%s", advice);
	}
	sup_say(sp, "%s: pid %ld %s unexpectedly", s->spec.name, (long)s->last_pid, s->last_exit);
	if (service_group_alive(s))
		service_kill_group(s); /* leftovers would hold the port */
	if (!gen_instance_failed(&sp->gen, s, now, "%s %s before the switch completed",
	                         s->spec.name, s->last_exit))
		lifecycle_backoff(sp, s, now);
}

void lifecycle_reap(struct sup *sp)
{
	uint64_t now = clock_mono_ms();
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct service *s = find_pid(sp, pid);

		if (!s) {
			/* run --follow's job, or an orphaned grandchild we adopted as subreaper */
			if (periodic_reaped(&sp->follow, pid, status, &sp->log))
				sp->dirty = 1;
			continue;
		}
		service_reaped(s, status);
		handover_reaped(s);
		handover_announce(&sp->sw, sp->list, s);
		lifecycle_read_output(sp, s);
		sp->dirty = 1;
		switch (s->state) {
		case SVC_STOPPING:
			/* Like systemd: once the main process is gone, what remains of its group
			 * gets SIGKILL (nobody is left to end it); lifecycle_tick() then finishes
			 * it. */
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

void lifecycle_stop_all(struct sup *sp)
{
	struct service *s;
	uint64_t now = clock_mono_ms();

	if (sp->stopping) {
		sup_say(sp,
		        "already stopping; waiting for the services to finish (no second SIGTERM)");
		return;
	}
	sp->stopping = 1;
	sup_say(sp, "stopping all services");
	sup_notify(sp, "STOPPING=1\nSTATUS=stopping");
	for (s = sp->list; s; s = s->next)
		lifecycle_stop(sp, s, now, "slipway is stopping");
	sp->dirty = 1;
}

static void tick_backoff(struct sup *sp, struct service *s, uint64_t now)
{
	if (now < s->next_start_at)
		return;
	if (service_group_alive(s)) {
		/* SIGKILLed leftovers that do not go away (a process stuck in the kernel): the
		 * restart waits, but not forever. */
		if (!s->wait_deadline)
			s->wait_deadline = clock_deadline_ms(now, PORTS_GRACE_MS);
		if (now < s->wait_deadline)
			return;
		sup_say(sp, "%s: processes of pid %ld survive SIGKILL; starting anyway",
		        s->spec.name, (long)s->last_pid);
		s->pgid = 0;
		s->wait_deadline = 0;
	}
	start_when_free(sp, s, now);
}

static void not_ready_in_time(struct sup *sp, struct service *s, uint64_t now)
{
	char d[32];

	logsink_fmt_ms(s->spec.ready_timeout_ms, d, sizeof(d));
	snprintf(s->last_exit, sizeof(s->last_exit), "not ready within %s%s", d, s->foreign);
	note_failure(sp, s, now);
	if (gen_instance_failed(&sp->gen, s, now, "%s %s", s->spec.name, s->last_exit))
		return;
	sup_say(sp, "%s: not ready within %s; killing it", s->spec.name, d);
	probe_abort(&s->probe);
	service_kill_group(s);
	lifecycle_backoff(sp, s, now);
}

static void tick_starting(struct sup *sp, struct service *s, uint64_t now)
{
	if (s->spec.ready == READY_NONE &&
	    now >= clock_deadline_ms(s->started_at, sp->cfg->settle_ms)) {
		mark_ready(sp, s, now, "still running");
		return;
	}
	if (s->probe.fd >= 0 && now >= s->probe_deadline) {
		if (probe_expire(&s->probe) == PROBE_OK) {
			lifecycle_probe_passed(sp, s, now);
			return;
		}
		s->next_probe_at = clock_deadline_ms(now, sp->cfg->probe_interval_ms);
	}
	if (now >= s->ready_deadline) {
		not_ready_in_time(sp, s, now);
		return;
	}
	if (handover_mode(s) == SOCK_PRELOAD && s->spec.ready == READY_TCP) {
		/* The gate socket always accepts: its server's listen() is the sign. */
		if (handover_listening(s))
			mark_ready(sp, s, now, "listening");
		return;
	}
	if (s->spec.ready != READY_LOG && s->spec.ready != READY_NONE && s->probe.fd < 0 &&
	    now >= s->next_probe_at) {
		if (probe_begin(&s->probe, s->spec.ready, probe_port(s), s->spec.ready_path) ==
		    PROBE_PENDING)
			s->probe_deadline = now + 1000;
		else
			s->next_probe_at = clock_deadline_ms(now, sp->cfg->probe_interval_ms);
	}
}

static void tick_stopping(struct sup *sp, struct service *s, uint64_t now)
{
	if (!s->kill_sent && now >= s->stop_deadline) {
		sup_say(sp, "%s: still running after its stop timeout; sending SIGKILL",
		        s->spec.name);
		service_kill_group(s);
	}
	if (!s->pid && !service_group_alive(s)) {
		sup_say(sp, "%s: stopped (pid %ld %s)", s->spec.name, (long)s->last_pid,
		        s->last_exit);
		service_set_state(s, SVC_STOPPED, now);
		sp->dirty = 1;
	}
}

/* Frees the retired instances that are stopped and whose output is closed. */
static void drop_retired(struct sup *sp)
{
	struct service *s, **pp;

	for (pp = &sp->list; (s = *pp);) {
		if (s->state == SVC_STOPPED && s->retiring && s->out_fd < 0 && !s->pid) {
			*pp = s->next;
			handover_forget(&sp->sw, s);
			service_free(s);
			sp->dirty = 1;
			continue;
		}
		if (s->state == SVC_STOPPED && s->retiring && s->out_fd >= 0 && sp->stopping) {
			/* An escaped grandchild may hold the pipe: do not wait on it forever. */
			lifecycle_read_output(sp, s);
			if (s->out_fd >= 0) {
				close(s->out_fd);
				s->out_fd = -1;
			}
			continue;
		}
		pp = &s->next;
	}
}

/* While stopping, systemd is told how long the longest stop may still take. */
static void extend_stop_timeout(struct sup *sp, uint64_t now)
{
	uint64_t last = now;

	for (struct service *s = sp->list; s; s = s->next)
		if (s->state == SVC_STOPPING && s->stop_deadline > last)
			last = s->stop_deadline;
	sup_notify(sp, "EXTEND_TIMEOUT_USEC=%llu", (unsigned long long)(last - now + 10000) * 1000);
	sp->next_extend = now + 5000;
}

void lifecycle_tick(struct sup *sp, uint64_t now)
{
	for (struct service *s = sp->list; s; s = s->next) {
		note_crash_window(sp, s, now);
		switch (s->state) {
		case SVC_WAITING:
			start_when_free(sp, s, now);
			break;
		case SVC_BACKOFF:
			tick_backoff(sp, s, now);
			break;
		case SVC_STARTING:
			tick_starting(sp, s, now);
			break;
		case SVC_READY:
			handover_warm_tick(&sp->sw, s, now);
			break;
		case SVC_STOPPING:
			tick_stopping(sp, s, now);
			break;
		default:
			break;
		}
	}
	drop_retired(sp);
	gen_tick(&sp->gen, now);
	if (sp->stopping && now >= sp->next_extend)
		extend_stop_timeout(sp, now);
}

int64_t lifecycle_next_wakeup(struct sup *sp, uint64_t now)
{
	uint64_t t = UINT64_MAX;
	struct service *s;

#define AT(x)                                                                                      \
	do {                                                                                       \
		if ((x) < t)                                                                       \
			t = (x);                                                                   \
	} while (0)
	for (s = sp->list; s; s = s->next) {
		AT(crashlog_next_change(&s->crashes, now));
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
			AT(handover_warm_wakeup(s));
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
	AT(gen_wakeup(&sp->gen));
#undef AT
	if (t == UINT64_MAX)
		return -1;
	return t > now ? (int64_t)(t - now) : 0;
}
