#include "runtime/supervisor.h"
#include "runtime/lifecycle.h"
#include "runtime/current.h"
#include "runtime/envnum.h"
#include "runtime/generation.h"
#include "runtime/ports.h"
#include "runtime/spawn.h"
#include "runtime/statefile.h"
#include "runtime/handover.h"
#include "release/base/error.h"
#include "release/base/clock.h"
#include "release/store/gate.h"
#include "release/store/store.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define MAX_FDS 256

static void write_state(struct sup *sp)
{
	struct state_file sf;
	struct err err;
	int rc;

	rc = statefile_snapshot(&sf, &sp->gen, sp->stopping, sp->list, sp->failures, sp->n_failures,
	                        &err);
	if (rc == 0 && sp->follow.spec) {
		snprintf(sf.follow.source, sizeof(sf.follow.source), "%s", sp->follow.spec->source);
		sf.follow.every_s = sp->follow.spec->every_ms / 1000;
		sf.follow.last = sp->follow.result;
	}
	if (rc < 0 || statefile_write(sp->cfg->root, &sf, &err) < 0)
		sup_say(sp, "warning: cannot write the state file: %s", err.msg);
	statefile_free(&sf);
	sp->dirty = 0;
	sp->gen.dirty = 0;
}

static void check_release(struct sup *sp, uint64_t now)
{
	struct err err;
	char v[GEN_VERSION_MAX];

	sp->check_release = 0;
	sp->gen.recheck = 0;
	if (sp->stopping)
		return;
	if (current_version(sp->cfg->root, v, sizeof(v), &err) < 0) {
		sup_say(sp, "warning: %s", err.msg);
		return;
	}
	gen_check(&sp->gen, v, now, sp->stopping);
}

static void handle_signals(struct sup *sp)
{
	struct signalfd_siginfo si;

	while (read(sp->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			lifecycle_reap(sp);
			break;
		case SIGTERM:
		case SIGINT:
			lifecycle_stop_all(sp);
			periodic_stop(&sp->follow);
			break;
		case SIGHUP:
			sp->check_release = 1;
			gen_explicit_change(&sp->gen);
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
			if ((ev->len && !strcmp(ev->name, STORE_CURRENT)) ||
			    (ev->mask & IN_Q_OVERFLOW)) {
				sp->check_release = 1;
				gen_explicit_change(&sp->gen);
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
	cfg->probation_ms = envnum_ms("SLIPWAY_PROBATION_MS", 600000, 0, SUP_WARM_LIMIT_MS, w, cap);
	cfg->stable_ms = envnum_ms("SLIPWAY_STABLE_MS", 10000, 0, SUP_STABLE_LIMIT_MS, w, cap);
}

static void sup_release(struct sup *sp)
{
	struct service *s;

	while ((s = sp->list)) {
		sp->list = s->next;
		handover_detach(s);
		service_free(s);
	}
	gen_release(&sp->gen);
	periodic_release(&sp->follow);
	handover_release(&sp->sw);
	if (sp->sfd >= 0)
		close(sp->sfd);
	if (sp->ifd >= 0)
		close(sp->ifd);
}

/* The generation's ops (runtime/generation.h): how a switch acts on instances and the store. */
static int op_load(void *ctx, const char *version, struct loaded_release *rel, struct err *err)
{
	struct sup *sp = ctx;

	return rel->m ? release_load_env(sp->cfg->root, rel, err)
	              : release_load(sp->cfg->root, version, rel, err);
}

static int op_populate(void *ctx, const struct loaded_release *rel, unsigned gen, uint64_t now,
                       struct err *err)
{
	return lifecycle_populate(ctx, rel, gen, now, err);
}

static int op_port_foreign(void *ctx, const struct loaded_release *rel, char *why, size_t cap)
{
	char who[512];

	for (size_t i = 0; i < rel->m->n_services; i++) {
		const struct manifest_service *ms = &rel->m->services[i];

		if (ms->port &&
		    ports_foreign(((struct sup *)ctx)->list, ms->port, who, sizeof(who))) {
			snprintf(why, cap, "%s: port %d is held by %s, which slipway did not start",
			         ms->name, ms->port, who);
			return 1;
		}
	}
	return 0;
}

static uint64_t op_deadline(void *ctx, unsigned gen, uint64_t now)
{
	return ports_switch_deadline(((struct sup *)ctx)->list, gen, now);
}

static void op_drop(void *ctx, struct service *s, uint64_t now)
{
	(void)ctx;
	if (service_group_alive(s))
		service_kill_group(s);
	service_set_state(s, SVC_STOPPED, now);
	s->retiring = 1;
}

static void op_backoff(void *ctx, struct service *s, uint64_t now)
{
	probe_abort(&s->probe);
	if (service_group_alive(s))
		service_kill_group(s);
	lifecycle_backoff(ctx, s, now);
}

static int op_keep_warm(void *ctx, struct service *s, uint64_t now)
{
	struct sup *sp = ctx;

	return handover_keep_warm(&sp->sw, sp->list, s, now);
}

static void op_restore(void *ctx, unsigned gen)
{
	struct sup *sp = ctx;

	handover_restore(&sp->sw, sp->list, gen);
}

static int op_warm(void *ctx, const char *version)
{
	for (struct service *s = ((struct sup *)ctx)->list; s; s = s->next)
		if (handover_is_warm(s) && s->pid && !strcmp(s->version, version))
			return 1;
	return 0;
}

static void op_flip_back(void *ctx, const char *bad, const char *good, const char *reason)
{
	struct sup *sp = ctx;
	struct err err;
	int r;

	if (store_gate_mark_bad(sp->cfg->root, bad, reason, &err) < 0)
		sup_say(sp, "warning: cannot mark release %s bad: %s", bad, err.msg);
	if (!good)
		return;
	r = store_gate_undo(sp->cfg->root, bad, good, &err);
	if (r < 0)
		sup_say(sp, "error: cannot point current back at %s: %s", good, err.msg);
	else if (r > 0)
		sup_say(sp, "current no longer points at %s; leaving it alone", bad);
	else
		sup_say(sp, "current points at %s again", good);
}

static void op_say(void *ctx, const char *line)
{
	sup_say(ctx, "%s", line);
}

static void op_notify(void *ctx, const char *msg)
{
	sup_notify(ctx, "%s", msg);
}

static const struct gen_ops sup_gen_ops = {
    .load = op_load,
    .populate = op_populate,
    .port_foreign = op_port_foreign,
    .deadline = op_deadline,
    .stop = lifecycle_stop_cb,
    .drop = op_drop,
    .backoff = op_backoff,
    .keep_warm = op_keep_warm,
    .restore = op_restore,
    .warm = op_warm,
    .flip_back = op_flip_back,
    .say = op_say,
    .notify = op_notify,
};

/* Signals through a signalfd, and an inotify watch on the root (optional: SIGHUP then). */
static int sup_open_events(struct sup *sp, struct err *err)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sp->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sp->sfd < 0)
		return fail_sys(err, "cannot create signalfd");
	sp->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sp->ifd < 0 ||
	    inotify_add_watch(sp->ifd, sp->cfg->root, IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
		sup_say(sp, "warning: cannot watch %s (%s); send SIGHUP after activate",
		        sp->cfg->root, strerror(errno));
		if (sp->ifd >= 0)
			close(sp->ifd);
		sp->ifd = -1;
	}
	return 0;
}

struct poll_set {
	struct pollfd pfd[MAX_FDS];
	struct service *owner[MAX_FDS];
	int n;
};

static void poll_add(struct poll_set *ps, int fd, short events, struct service *owner)
{
	ps->pfd[ps->n].fd = fd;
	ps->pfd[ps->n].events = events;
	ps->owner[ps->n++] = owner;
}

static void poll_fill(struct sup *sp, struct poll_set *ps)
{
	ps->n = 0;
	poll_add(ps, sp->sfd, POLLIN, NULL);
	if (sp->ifd >= 0)
		poll_add(ps, sp->ifd, POLLIN, NULL);
	if (periodic_fd(&sp->follow) >= 0)
		poll_add(ps, periodic_fd(&sp->follow), POLLIN, NULL);
	for (struct service *s = sp->list; s && ps->n < MAX_FDS - 2; s = s->next) {
		if (s->out_fd >= 0)
			poll_add(ps, s->out_fd, POLLIN, s);
		if (s->probe.fd >= 0)
			poll_add(ps, s->probe.fd, (short)s->probe.events, s);
		if (handover_ctl_fd(s) >= 0 && ps->n < MAX_FDS - 2)
			poll_add(ps, handover_ctl_fd(s), POLLIN, s);
	}
}

static void poll_dispatch(struct sup *sp, const struct poll_set *ps, uint64_t now)
{
	for (int i = 0; i < ps->n; i++) {
		struct service *s = ps->owner[i];
		int fd = ps->pfd[i].fd;

		if (!ps->pfd[i].revents)
			continue;
		if (!s && fd == sp->sfd)
			handle_signals(sp);
		else if (!s && fd == periodic_fd(&sp->follow))
			periodic_read(&sp->follow);
		else if (!s)
			handle_inotify(sp);
		else if (fd == s->out_fd)
			lifecycle_read_output(sp, s);
		else if (fd == handover_ctl_fd(s))
			handover_read_ctl(&sp->sw, sp->list, s);
		else if (fd == s->probe.fd && handover_is_warm(s))
			handover_warm_probe_step(&sp->sw, s, now);
		else if (fd == s->probe.fd && s->state == SVC_STARTING) {
			enum probe_result r = probe_step(&s->probe);

			if (r == PROBE_OK)
				lifecycle_probe_passed(sp, s, now);
			else if (r == PROBE_FAILED)
				s->next_probe_at =
				    clock_deadline_ms(now, sp->cfg->probe_interval_ms);
		}
	}
}

/* The loop: until a stop signal has been handled and no instance is left. */
static int sup_loop(struct sup *sp, struct err *err)
{
	struct poll_set ps;

	for (;;) {
		uint64_t now = clock_mono_ms();
		int64_t wake;
		int timeout;

		lifecycle_tick(sp, now);
		if (periodic_tick(&sp->follow, now, sp->stopping, &sp->log))
			sp->dirty = 1;
		if (sp->check_release || sp->gen.recheck)
			check_release(sp, now);
		if (sp->dirty || sp->gen.dirty)
			write_state(sp);
		if (sp->stopping && !sp->list && !periodic_running(&sp->follow))
			return 0;
		poll_fill(sp, &ps);
		wake = lifecycle_next_wakeup(sp, now);
		if (!sp->stopping) {
			int64_t f = periodic_next_wakeup(&sp->follow, now);

			if (f >= 0 && (wake < 0 || f < wake))
				wake = f;
		}
		timeout = wake < 0 ? -1 : (wake > 60000 ? 60000 : (int)wake);
		if (poll(ps.pfd, (nfds_t)ps.n, timeout) < 0 && errno != EINTR)
			return fail_sys(err, "poll failed");
		poll_dispatch(sp, &ps, clock_mono_ms());
	}
}

static void sup_init(struct sup *sp, const struct supervisor_config *cfg)
{
	memset(sp, 0, sizeof(*sp));
	sp->cfg = cfg;
	sp->sfd = sp->ifd = -1;
	sp->log.out = cfg->out;
	sp->log.color = cfg->color;
	sp->log.width = 7; /* "slipway" */
	sp->sw.log = &sp->log;
	sp->sw.warm_ms = cfg->warm_ms;
	sp->sw.stop = lifecycle_stop_cb;
	sp->sw.ctx = sp;
	gen_init(&sp->gen, &sup_gen_ops, sp, &sp->list);
	sp->gen.probation_ms = cfg->probation_ms;
	sp->gen.stable_ms = cfg->stable_ms;
	sp->sw.switch_began = &sp->gen.began;
	periodic_init(&sp->follow, cfg->follow, clock_mono_ms());
}

int supervisor_run(const struct supervisor_config *cfg, struct err *err)
{
	struct sup sp;
	struct loaded_release first = {0};
	char version[GEN_VERSION_MAX];
	int rc = -1, lock_fd = -1;

	sup_init(&sp, cfg);
	if (current_version(cfg->root, version, sizeof(version), err) < 0)
		return -1;
	if (release_load(cfg->root, version, &first, err) < 0)
		return -1;
	if (statefile_claim(cfg->root, &lock_fd, err) < 0 || spawn_become_subreaper(err) < 0)
		goto out;
	handover_setup(&sp.sw, cfg->root);
	if (sup_open_events(&sp, err) < 0)
		goto out;
	sup_say(&sp, "supervising %s: release %s (pid %ld)", cfg->root, version, (long)getpid());
	for (const char *w = cfg->warnings, *nl; *w; w = nl + 1) {
		if (!(nl = strchr(w, '\n')))
			break;
		sup_say(&sp, "warning: %.*s", (int)(nl - w), w);
	}
	sup_notify(&sp, "STATUS=starting %s", version);
	if (gen_first(&sp.gen, version, &first, clock_mono_ms(), err) < 0 || sup_loop(&sp, err) < 0)
		goto out;
	spawn_reap_orphans();
	sup_say(&sp, "all services stopped; exiting");
	rc = 0;
out:
	loaded_release_clear(&first);
	sup_release(&sp);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}
