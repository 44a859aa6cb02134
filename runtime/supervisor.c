#include "runtime/supervisor.h"
#include "runtime/current.h"
#include "runtime/logsink.h"
#include "runtime/notify.h"
#include "runtime/service.h"
#include "runtime/spawn.h"
#include "runtime/statefile.h"
#include "runtime/switch.h"
#include "release/base/error.h"
#include "release/base/clock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FDS     256
#define VERSION_MAX 256

struct sup {
	const struct supervisor_config *cfg;
	struct service *list;
	unsigned next_id, gen_counter;
	unsigned active_gen, pending_gen;
	int pending_gated;
	struct loaded_release active, pending; /* the releases of those generations */
	struct loaded_release previous;        /* the one before active: a rollback reuses it */
	int stopping, check_release, dirty, ready_notified;
	char failed_version[VERSION_MAX]; /* a release that failed its gate: not retried */
	unsigned switch_seq;
	char switch_from[VERSION_MAX], switch_to[VERSION_MAX], switch_result[16],
	    switch_reason[512];
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

static void emit_service_line(void *ctx, const char *line, size_t len)
{
	struct emit_ctx *c = ctx;

	logsink_line(&c->sp->log, c->s->spec.name, c->s->id, line, len);
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

static void read_output(struct sup *sp, struct service *s)
{
	struct emit_ctx c = {sp, s};
	char buf[65536];

	while (s->out_fd >= 0) {
		ssize_t r = read(s->out_fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
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
	else
		buf[0] = '\0';
}

static void gate_fail(struct sup *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void enter_backoff(struct sup *sp, struct service *s, uint64_t now)
{
	uint64_t ran = s->started_at && now > s->started_at ? now - s->started_at : 0;
	uint64_t delay;
	char d[32];

	s->failures = backoff_next_failures(&sp->cfg->backoff, s->failures, ran);
	delay = backoff_delay(&sp->cfg->backoff, s->failures);
	s->next_start_at = now + delay;
	service_set_state(s, SVC_BACKOFF, now);
	logsink_fmt_ms(delay, d, sizeof(d));
	say(sp, "%s: restarting in %s (failure %u in a row)", s->spec.name, d, s->failures);
	sp->dirty = 1;
}

static void do_start(struct sup *sp, struct service *s, uint64_t now)
{
	struct err err;
	char url[300];

	if (switch_start(&sp->sw, s, now, &err) < 0) {
		snprintf(s->last_exit, sizeof(s->last_exit), "start failed: %s", err.msg);
		say(sp, "%s: %s", s->spec.name, s->last_exit);
		s->started_at = now;
		if (s->gen == sp->pending_gen && sp->pending_gated) {
			service_set_state(s, SVC_STOPPED, now);
			s->retiring = 1;
			gate_fail(sp, "%s: %s", s->spec.name, s->last_exit);
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

static int port_busy(struct sup *sp, struct service *me)
{
	return switch_port_busy(&sp->sw, sp->list, me);
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
			adopt->gen = gen;
			continue;
		}
		if (svc_spec_build(ms, rel->dir, rel->version, &rel->env, environ, &spec, err) < 0)
			return -1;
		if (warm && switch_adopt_warm(&sp->sw, sp->list, warm, &spec, gen, now)) {
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

	if (sp->cfg->mark_bad && sp->cfg->mark_bad(sp->cfg->root, bad, reason, &err) < 0)
		say(sp, "warning: cannot mark release %s bad: %s", bad, err.msg);
	if (!sp->active.version)
		return;
	if (!sp->cfg->flip_back) {
		say(sp, "error: cannot point current back at %s: no store hook",
		    sp->active.version);
		return;
	}
	r = sp->cfg->flip_back(sp->cfg->root, bad, sp->active.version, &err);
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

static void commit(struct sup *sp, uint64_t now)
{
	struct service *s;

	for (s = sp->list; s; s = s->next)
		if (s->gen != sp->pending_gen && !s->retiring &&
		    !switch_keep_warm(&sp->sw, sp->list, s, now))
			stop_service(sp, s, now, "replaced by the new release");
	loaded_release_clear(&sp->previous);
	sp->previous = sp->active;
	sp->active = sp->pending;
	memset(&sp->pending, 0, sizeof(sp->pending));
	sp->active_gen = sp->pending_gen;
	sp->pending_gen = 0;
	sp->pending_gated = 0;
	sp->sw.switch_began = 0;
	if (!strcmp(sp->switch_result, "pending"))
		snprintf(sp->switch_result, sizeof(sp->switch_result), "ok");
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

static void mark_ready(struct sup *sp, struct service *s, uint64_t now)
{
	struct service *old;
	char url[300];

	s->ready_at = now;
	service_set_state(s, SVC_READY, now);
	url_of(s, url, sizeof(url));
	say(sp, "%s: ready after %llu ms%s", s->spec.name,
	    (unsigned long long)(now - s->started_at), url);
	if (s->gen == (sp->pending_gen ? sp->pending_gen : sp->active_gen))
		switch_promote(&sp->sw, sp->list, s);
	if (s->handover_from && (old = find_id(sp, s->handover_from)) && !old->retiring)
		stop_service(sp, old, now, "its successor is up");
	s->handover_from = 0;
	sp->dirty = 1;
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
	if (rc == 0)
		rc = populate(sp, &sp->pending, sp->pending_gen, now, &err);
	if (rc != 0)
		gate_fail(sp, "%s", err.msg);
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

static void on_exit_unexpected(struct sup *sp, struct service *s, uint64_t now)
{
	say(sp, "%s: pid %ld %s unexpectedly", s->spec.name, (long)s->last_pid, s->last_exit);
	if (service_group_alive(s))
		service_kill_group(s); /* leftovers would hold the port */
	if (s->gen == sp->pending_gen && sp->pending_gated) {
		service_set_state(s, SVC_STOPPED, now);
		s->retiring = 1;
		gate_fail(sp, "%s %s before the switch completed", s->spec.name, s->last_exit);
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
			break; /* tick() finishes it when the group is empty */
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
			if (!port_busy(sp, s))
				do_start(sp, s, now);
			break;
		case SVC_BACKOFF:
			if (now >= s->next_start_at && !service_group_alive(s) &&
			    !port_busy(sp, s)) {
				s->restarts++;
				do_start(sp, s, now);
			}
			break;
		case SVC_STARTING:
			if (s->spec.ready == READY_NONE) {
				if (now >= s->started_at + sp->cfg->settle_ms)
					mark_ready(sp, s, now);
				break;
			}
			if (s->probe.fd >= 0 && now >= s->probe_deadline) {
				if (probe_expire(&s->probe) == PROBE_OK) {
					mark_ready(sp, s, now);
					break;
				}
				s->next_probe_at = now + sp->cfg->probe_interval_ms;
			}
			if (now >= s->ready_deadline) {
				char d[32];

				logsink_fmt_ms(s->spec.ready_timeout_ms, d, sizeof(d));
				snprintf(s->last_exit, sizeof(s->last_exit), "not ready within %s",
				         d);
				if (s->gen == sp->pending_gen && sp->pending_gated) {
					gate_fail(sp, "%s not ready within %s", s->spec.name, d);
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
					mark_ready(sp, s, now);
				break;
			}
			if (s->probe.fd < 0 && now >= s->next_probe_at) {
				if (probe_begin(&s->probe, s->spec.ready, switch_probe_port(s),
				                s->spec.ready_path) == PROBE_PENDING)
					s->probe_deadline = now + 1000;
				else
					s->next_probe_at = now + sp->cfg->probe_interval_ms;
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

		for (s = sp->list; s; s = s->next)
			if (s->gen == sp->pending_gen) {
				any = 1;
				if (s->state != SVC_READY)
					all = 0;
			}
		if (any && all)
			commit(sp, now);
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
			break;
		case SVC_BACKOFF:
			AT(s->next_start_at);
			if (now >= s->next_start_at)
				AT(now + 20);
			break;
		case SVC_STARTING:
			AT(s->ready_deadline);
			if (s->spec.ready == READY_NONE)
				AT(s->started_at + sp->cfg->settle_ms);
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
	const char *s;

	cfg->backoff = backoff_policy_from_env();
	cfg->settle_ms = 1000;
	cfg->probe_interval_ms = 50;
	cfg->warm_ms = 600000;
	if ((s = getenv("SLIPWAY_WARM_MS")) && *s && strspn(s, "0123456789") == strlen(s))
		cfg->warm_ms = strtoull(s, NULL, 10);
	if ((s = getenv("SLIPWAY_READY_NONE_MS")) && *s)
		cfg->settle_ms = strtoull(s, NULL, 10);
	if ((s = getenv("SLIPWAY_PROBE_INTERVAL_MS")) && *s && strtoull(s, NULL, 10) > 0)
		cfg->probe_interval_ms = strtoull(s, NULL, 10);
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
					mark_ready(&sp, s, now);
				else if (r == PROBE_FAILED)
					s->next_probe_at = now + sp.cfg->probe_interval_ms;
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
