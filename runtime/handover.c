#include "runtime/handover.h"
#include "runtime/preload.h"
#include "release/base/clock.h"
#include "release/base/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the handover knows of one instance; reached only through the functions below. */
struct handover_inst {
	enum sock_mode mode;
	struct listener *listener; /* the public socket, held while the instance exists */
	int ctl_fd;                /* slipway's end of the running process's IPC channel, -1 */
	int gate_port;             /* the running process's private health-gate port */
	int serving;               /* promoted: the process accepts on the public socket */
	int app_listening;         /* the process reported that its server listens */
	unsigned promotions;       /* of the running process; the first one uses fd 3 */
	uint64_t warm_until;       /* demoted and kept for a rollback until then; 0: not warm */
	uint64_t warm_checked_at;  /* its last passed readiness check while warm; 0: none yet */
	unsigned warm_fails;       /* checks failed in a row while warm */
	char ctl_buf[512];
	size_t ctl_len;
};

static void say(struct handover *sw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct handover *sw, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logsink_vsay(sw->log, fmt, ap);
	va_end(ap);
}

void handover_setup(struct handover *sw, const char *root)
{
	char note[256];
	struct err err;
	struct listener *l;
	int n = listeners_inherit(&sw->ls, note, sizeof(note));

	for (l = sw->ls.list; l; l = l->next)
		say(sw, "listening socket for port %d inherited from systemd", l->port);
	if (note[0])
		say(sw, "warning: %s", note);
	(void)n;
	if (preload_install(root, sw->preload, sizeof(sw->preload), &err) < 0) {
		say(sw,
		    "warning: cannot install the Node preload (%s); web services move by "
		    "stop-then-start",
		    err.msg);
		sw->preload[0] = '\0';
	}
}

void handover_release(struct handover *sw)
{
	listeners_release(&sw->ls);
}

static enum sock_mode mode_for(const struct handover *sw, const struct svc_spec *spec)
{
	const char *want = svc_env_get(spec->envp, "SLIPWAY_SOCKET");

	if (!spec->port || (want && !strcmp(want, "off")))
		return SOCK_NONE;
	if (want && !strcmp(want, "inherit"))
		return SOCK_INHERIT;
	if (!sw->preload[0])
		return SOCK_NONE;
	if (want && !strcmp(want, "preload"))
		return SOCK_PRELOAD;
	return preload_is_next_standalone(spec) ? SOCK_PRELOAD : SOCK_NONE;
}

int handover_attach(struct handover *sw, struct service *s)
{
	s->ho = calloc(1, sizeof(*s->ho));
	if (!s->ho)
		return -1;
	s->ho->mode = mode_for(sw, &s->spec);
	s->ho->ctl_fd = -1;
	return 0;
}

enum sock_mode handover_mode(const struct service *s)
{
	return s->ho ? s->ho->mode : SOCK_NONE;
}

int handover_serving(const struct service *s)
{
	return s->ho && s->ho->serving;
}

int handover_is_warm(const struct service *s)
{
	return s->ho && s->ho->warm_until;
}

int handover_listening(const struct service *s)
{
	return s->ho && s->ho->app_listening;
}

int handover_ctl_fd(const struct service *s)
{
	return s->ho ? s->ho->ctl_fd : -1;
}

void handover_reaped(struct service *s)
{
	if (!s->ho)
		return;
	if (s->ho->ctl_fd >= 0)
		close(s->ho->ctl_fd);
	s->ho->ctl_fd = -1;
	s->ho->serving = 0;
	s->ho->ctl_len = 0;
}

int handover_probe_port(const struct service *s)
{
	return handover_mode(s) == SOCK_PRELOAD ? s->ho->gate_port : s->spec.port;
}

int handover_shares_port(const struct service *a, const struct service *b)
{
	return handover_mode(a) == SOCK_PRELOAD && handover_mode(b) == SOCK_PRELOAD &&
	       a->spec.port == b->spec.port &&
	       !strcmp(a->spec.host ? a->spec.host : "", b->spec.host ? b->spec.host : "");
}

int handover_port_busy(struct handover *sw, struct service *list, struct service *me)
{
	struct listener *l;
	struct service *s;

	if (!me->spec.port)
		return 0;
	for (s = list; s; s = s->next)
		if (s != me && s->spec.port == me->spec.port && !handover_shares_port(me, s) &&
		    service_group_alive(s))
			return 1;
	l = listeners_find(&sw->ls, me->spec.port);
	if (!l || (me->ho && l == me->ho->listener))
		return 0;
	if (handover_mode(me) && listeners_same_host(l, me->spec.host, me->spec.port))
		return 0;
	if (l->users == 0) {
		/* Inherited from systemd but not usable here: let the port go. */
		say(sw, "closing the inherited socket for port %d: not used by this release",
		    l->port);
		l->users = 1;
		listeners_put(&sw->ls, l);
		return 0;
	}
	return 1;
}

/* The environment of one start: the spec's (borrowed), minus what the socket hand-over
 * sets, plus LISTEN_FDS=1, LISTEN_PID (written by the child), LISTEN_FDNAMES and, for the
 * preload, the gate and channel descriptors and NODE_OPTIONS with the preload first. */
struct start_env {
	char **env;
	char *fdnames, *listen_pid, *node_options; /* owned */
};

static void start_env_free(struct start_env *e)
{
	free(e->env);
	free(e->fdnames);
	free(e->listen_pid);
	free(e->node_options);
}

#define STR_(x) #x
#define STR(x)  STR_(x)

static int start_env_build(const struct handover *sw, const struct service *s, struct start_env *e)
{
	static const char *const ours[] = {
	    "LISTEN_FDS",      "LISTEN_PID",      "LISTEN_FDNAMES",  "NODE_OPTIONS",
	    "SLIPWAY_GATE_FD", "NODE_CHANNEL_FD", "SLIPWAY_BACKLOG", "SLIPWAY_GATE_BACKLOG"};
	static const char *const preload_env[] = {
	    "SLIPWAY_GATE_FD=" STR(HANDOVER_FD_GATE), "NODE_CHANNEL_FD=" STR(HANDOVER_FD_CHANNEL),
	    "SLIPWAY_BACKLOG=" STR(LISTENER_BACKLOG),
	    "SLIPWAY_GATE_BACKLOG=" STR(LISTENER_GATE_BACKLOG)};
	int node = handover_mode(s) == SOCK_PRELOAD;
	size_t n = 0, i, k, w = 0, len = strlen(s->spec.name) + 16;
	size_t nours = node ? sizeof(ours) / sizeof(ours[0]) : 3;

	memset(e, 0, sizeof(*e));
	while (s->spec.envp[n])
		n++;
	/* The spec's, three LISTEN_ variables, NODE_OPTIONS, the preload's and the NULL. */
	e->env = calloc(n + 5 + sizeof(preload_env) / sizeof(preload_env[0]), sizeof(char *));
	e->fdnames = malloc(len);
	e->listen_pid = calloc(1, 40); /* "LISTEN_PID=" and the digits the child writes */
	if (node)
		e->node_options =
		    preload_node_options(sw->preload, svc_env_get(s->spec.envp, "NODE_OPTIONS"));
	if (!e->env || !e->fdnames || !e->listen_pid || (node && !e->node_options)) {
		start_env_free(e);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *kv = s->spec.envp[i];
		int skip = 0;

		for (k = 0; k < nours; k++)
			if (!strncmp(kv, ours[k], strlen(ours[k])) && kv[strlen(ours[k])] == '=')
				skip = 1;
		if (!skip)
			e->env[w++] = (char *)kv;
	}
	snprintf(e->fdnames, len, "LISTEN_FDNAMES=%s", s->spec.name);
	strcpy(e->listen_pid, "LISTEN_PID=0");
	e->env[w++] = e->fdnames;
	e->env[w++] = e->listen_pid;
	e->env[w++] = "LISTEN_FDS=1";
	if (node) {
		e->env[w++] = e->node_options;
		for (k = 0; k < sizeof(preload_env) / sizeof(preload_env[0]); k++)
			e->env[w++] = (char *)preload_env[k];
	}
	e->env[w] = NULL;
	return 0;
}

/* A server that takes fd 3 itself: the public socket and the systemd variables only. */
static int start_inherit(struct handover *sw, struct service *s, uint64_t now, struct err *err)
{
	struct spawn_req req;
	struct spawn_pass pass;
	struct start_env e;
	int rc;

	if (start_env_build(sw, s, &e) < 0)
		return fail_oom(err);
	req.argv = s->spec.argv;
	req.envp = e.env;
	req.cwd = s->spec.cwd;
	pass.fds = &s->ho->listener->fd;
	pass.nfds = 1;
	pass.listen_pid = e.listen_pid;
	rc = service_spawn(s, &req, &pass, now, err);
	start_env_free(&e);
	return rc;
}

int handover_start(struct handover *sw, struct service *s, uint64_t now, struct err *err)
{
	struct spawn_req req;
	struct spawn_pass pass;
	struct start_env e;
	int fds[3], gate = -1, ch[2] = {-1, -1}, gate_port = 0, rc = -1;

	if (!handover_mode(s))
		return service_start(s, now, err);
	if (!s->ho->listener &&
	    !(s->ho->listener = listeners_get(&sw->ls, s->spec.host, s->spec.port, err)))
		return -1;
	if (s->ho->mode == SOCK_INHERIT)
		return start_inherit(sw, s, now, err);
	if ((gate = listeners_gate(&gate_port, err)) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) < 0) {
		fail_sys(err, "cannot create the control channel");
		goto out;
	}
	if (start_env_build(sw, s, &e) < 0) {
		fail_oom(err);
		goto out;
	}
	/* spawn passes fds[i] as descriptor 3 + i. */
	fds[HANDOVER_FD_PUBLIC - 3] = s->ho->listener->fd;
	fds[HANDOVER_FD_GATE - 3] = gate;
	fds[HANDOVER_FD_CHANNEL - 3] = ch[1];
	req.argv = s->spec.argv;
	req.envp = e.env;
	req.cwd = s->spec.cwd;
	pass.fds = fds;
	pass.nfds = 3;
	pass.listen_pid = e.listen_pid;
	rc = service_spawn(s, &req, &pass, now, err);
	start_env_free(&e);
	if (rc == 0) {
		fcntl(ch[0], F_SETFL, O_NONBLOCK);
		s->ho->ctl_fd = ch[0];
		ch[0] = -1;
		s->ho->gate_port = gate_port;
		s->ho->serving = 0;
		s->ho->app_listening = 0;
		s->ho->promotions = 0;
		s->ho->ctl_len = 0;
	}
out:
	if (gate >= 0)
		close(gate); /* the process holds it now: it dies with the process */
	if (ch[0] >= 0)
		close(ch[0]);
	if (ch[1] >= 0)
		close(ch[1]);
	return rc;
}

/* One line on the instance's Node IPC channel, with `fd` attached when >= 0. */
static int send_line(struct service *s, const char *line, size_t n, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov;
	struct msghdr mh;

	if (s->ho->ctl_fd < 0)
		return -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)line;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(s->ho->ctl_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* One message on the instance's Node IPC channel (JSON, one line), with the listening
 * socket attached when given: Node hands such a "net.Native" handle to the message. */
static int send_ctl(struct service *s, const char *op, int fd)
{
	char line[160];
	int n;

	if (fd >= 0)
		n = snprintf(
		    line, sizeof(line),
		    "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"slipway\":"
		    "\"%s\"}}\n",
		    op);
	else
		n = snprintf(line, sizeof(line), "{\"slipway\":\"%s\"}\n", op);
	return send_line(s, line, (size_t)n, fd);
}

/* Whether o is a live instance whose server listens on its gate, on socket l. */
static int is_peer(const struct service *o, const struct listener *l)
{
	return handover_mode(o) == SOCK_PRELOAD && o->ho->listener == l && o->pid &&
	       o->ho->ctl_fd >= 0 && o->ho->app_listening && o->version;
}

void handover_announce(struct handover *sw, struct service *list, const struct service *s)
{
	const struct listener *l = s->ho ? s->ho->listener : NULL;
	struct service *to, *o;
	char line[4096];

	if (handover_mode(s) != SOCK_PRELOAD || !l)
		return;
	for (to = list; to; to = to->next) {
		size_t n;
		int first = 1;

		if (handover_mode(to) != SOCK_PRELOAD || to->ho->listener != l ||
		    to->ho->ctl_fd < 0)
			continue;
		n = (size_t)snprintf(line, sizeof(line), "{\"slipway\":\"peers\",\"peers\":[");
		for (o = list; o; o = o->next) {
			/* Versions are [A-Za-z0-9._+-] (version_check): nothing to escape. */
			int k;

			if (o == to || !is_peer(o, l))
				continue;
			k = snprintf(line + n, sizeof(line) - n,
			             "%s{\"release\":\"%s\",\"port\":%d}", first ? "" : ",",
			             o->version, o->ho->gate_port);
			if (k < 0 || (size_t)k >= sizeof(line) - n - 4)
				break; /* more peers than fit: the rest are not routed to */
			n += (size_t)k;
			first = 0;
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, "]}\n");
		if (send_line(to, line, n, -1) < 0)
			say(sw, "warning: %s: cannot tell pid %ld its peers: %s", to->spec.name,
			    (long)to->pid, strerror(errno));
	}
}

static void demote(struct handover *sw, struct service *s)
{
	if (!s->ho->serving)
		return;
	s->ho->serving = 0;
	if (send_ctl(s, "demote", -1) < 0)
		say(sw, "warning: %s: cannot tell pid %ld to stop accepting: %s", s->spec.name,
		    (long)s->pid, strerror(errno));
}

void handover_promote(struct handover *sw, struct service *list, struct service *s)
{
	struct service *o;
	char after[64] = "";

	if (handover_mode(s) != SOCK_PRELOAD || s->ho->serving || !s->pid)
		return;
	/* The first promotion accepts on fd 3; after a demotion the process has closed its
	 * copy, so the socket travels with the message. */
	if (send_ctl(s, "promote", s->ho->promotions ? s->ho->listener->fd : -1) < 0) {
		say(sw, "warning: %s: cannot tell pid %ld to accept: %s", s->spec.name,
		    (long)s->pid, strerror(errno));
		return;
	}
	s->ho->serving = 1;
	s->ho->promotions++;
	if (sw->switch_began && *sw->switch_began)
		snprintf(after, sizeof(after), ", %llu ms after the switch began",
		         (unsigned long long)(clock_mono_ms() - *sw->switch_began));
	for (o = list; o; o = o->next)
		if (o != s && o->ho && o->ho->listener == s->ho->listener && o->ho->serving) {
			demote(sw, o);
			say(sw,
			    "%s: pid %ld (release %s) serves port %d%s; pid %ld (release %s) stops "
			    "accepting and drains",
			    s->spec.name, (long)s->pid, s->version, s->spec.port, after,
			    (long)o->pid, o->version);
			handover_announce(sw, list, s);
			return;
		}
	say(sw, "%s: pid %ld (release %s) serves port %d%s", s->spec.name, (long)s->pid, s->version,
	    s->spec.port, after);
	handover_announce(sw, list, s);
}

void handover_restore(struct handover *sw, struct service *list, unsigned gen)
{
	struct service *s;

	for (s = list; s; s = s->next)
		if (s->gen == gen && handover_mode(s) == SOCK_PRELOAD && !s->retiring &&
		    s->state == SVC_READY)
			handover_promote(sw, list, s);
}

int handover_keep_warm(struct handover *sw, struct service *list, struct service *s, uint64_t now)
{
	struct service *o;
	char d[32];

	if (handover_mode(s) != SOCK_PRELOAD || !sw->warm_ms || s->state != SVC_READY || !s->pid ||
	    s->retiring)
		return 0;
	for (o = list; o; o = o->next)
		if (o != s && handover_is_warm(o) && o->ho->listener == s->ho->listener) {
			o->ho->warm_until = 0;
			sw->stop(sw->ctx, o, now, "a newer release is kept warm");
		}
	demote(sw, s);
	s->retiring = 1;
	s->ho->warm_until = now + sw->warm_ms;
	s->ho->warm_checked_at = 0;
	s->ho->warm_fails = 0;
	s->next_probe_at = now;
	logsink_fmt_ms(sw->warm_ms, d, sizeof(d));
	say(sw, "%s: pid %ld (release %s) is kept warm for %s: a rollback to it is a promotion",
	    s->spec.name, (long)s->pid, s->version, d);
	handover_announce(sw, list, s);
	return 1;
}

static int same_strv(char *const *a, char *const *b)
{
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b))
			return 0;
	return !*a && !*b;
}

static int same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

int handover_adopt_warm(struct handover *sw, struct service *list, struct service *warm,
                        const struct svc_spec *spec, unsigned gen, uint64_t now)
{
	const struct svc_spec *w = &warm->spec;
	uint64_t age = warm->ho->warm_checked_at ? now - warm->ho->warm_checked_at : UINT64_MAX;

	if (!same_strv(w->argv, spec->argv) || !same_strv(w->envp, spec->envp) ||
	    !same_str(w->cwd, spec->cwd) || !same_str(w->host, spec->host) ||
	    w->port != spec->port || w->ready != spec->ready ||
	    !same_str(w->ready_path, spec->ready_path)) {
		warm->ho->warm_until = 0;
		sw->stop(sw->ctx, warm, now, "its environment changed since it was started");
		return 0;
	}
	warm->ho->warm_until = 0;
	warm->retiring = 0;
	warm->gen = gen;
	warm->started_at = now;
	probe_abort(&warm->probe);
	if (age <= WARM_FRESH_MS) {
		say(sw,
		    "%s: adopting pid %ld (release %s, kept warm, checked %llu ms ago) into "
		    "generation %u",
		    warm->spec.name, (long)warm->pid, warm->version, (unsigned long long)age, gen);
		warm->ready_at = now;
		service_set_state(warm, SVC_READY, now);
		handover_promote(sw, list, warm);
		return 1;
	}
	service_set_state(warm, SVC_STARTING, now);
	warm->ready_deadline = now + warm->spec.ready_timeout_ms;
	warm->next_probe_at = now;
	say(sw,
	    "%s: adopting pid %ld (release %s, kept warm) into generation %u; checking it first",
	    warm->spec.name, (long)warm->pid, warm->version, gen);
	return 1;
}

static void warm_checked(struct handover *sw, struct service *s, enum probe_result r, uint64_t now)
{
	s->next_probe_at = now + WARM_CHECK_MS;
	if (r == PROBE_OK) {
		s->ho->warm_checked_at = now;
		s->ho->warm_fails = 0;
		return;
	}
	if (++s->ho->warm_fails < 3)
		return;
	s->ho->warm_until = 0;
	sw->stop(sw->ctx, s, now, "it failed its readiness check 3 times while warm");
}

void handover_warm_tick(struct handover *sw, struct service *s, uint64_t now)
{
	if (!handover_is_warm(s))
		return;
	if (now >= s->ho->warm_until) {
		s->ho->warm_until = 0;
		sw->stop(sw->ctx, s, now, "its warm time is over");
		return;
	}
	if (s->probe.fd >= 0 && now >= s->probe_deadline)
		warm_checked(sw, s, probe_expire(&s->probe), now);
	if (s->ho->warm_until && s->probe.fd < 0 && now >= s->next_probe_at) {
		if (s->ho->mode == SOCK_PRELOAD && s->spec.ready == READY_TCP) {
			/* The process reported its listen(); nothing to ask it while warm. */
			warm_checked(sw, s, PROBE_OK, now);
		} else if (s->spec.ready == READY_NONE) {
			warm_checked(sw, s, PROBE_OK, now);
		} else if (probe_begin(&s->probe, s->spec.ready, handover_probe_port(s),
		                       s->spec.ready_path) == PROBE_PENDING) {
			s->probe_deadline = now + 1000;
		} else {
			warm_checked(sw, s, PROBE_FAILED, now);
		}
	}
}

void handover_warm_probe_step(struct handover *sw, struct service *s, uint64_t now)
{
	enum probe_result r = probe_step(&s->probe);

	if (r != PROBE_PENDING)
		warm_checked(sw, s, r, now);
}

uint64_t handover_warm_wakeup(const struct service *s)
{
	uint64_t t = s->probe.fd >= 0 ? s->probe_deadline : s->next_probe_at;

	if (!handover_is_warm(s))
		return UINT64_MAX;
	return t < s->ho->warm_until ? t : s->ho->warm_until;
}

void handover_read_ctl(struct handover *sw, struct service *list, struct service *s)
{
	while (s->ho && s->ho->ctl_fd >= 0) {
		ssize_t r = read(s->ho->ctl_fd, s->ho->ctl_buf + s->ho->ctl_len,
		                 sizeof(s->ho->ctl_buf) - s->ho->ctl_len);
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			close(s->ho->ctl_fd);
			s->ho->ctl_fd = -1;
			return;
		}
		s->ho->ctl_len += (size_t)r;
		while ((nl = memchr(s->ho->ctl_buf, '\n', s->ho->ctl_len))) {
			*nl = '\0';
			if (strstr(s->ho->ctl_buf, "\"slipway\":\"listening\"") &&
			    !s->ho->app_listening) {
				s->ho->app_listening = 1;
				handover_announce(sw, list, s);
			}
			s->ho->ctl_len -= (size_t)(nl + 1 - s->ho->ctl_buf);
			memmove(s->ho->ctl_buf, nl + 1, s->ho->ctl_len);
		}
		if (s->ho->ctl_len == sizeof(s->ho->ctl_buf))
			s->ho->ctl_len = 0; /* a line this long is nothing we asked for */
	}
}

void handover_forget(struct handover *sw, struct service *s)
{
	if (s->ho)
		listeners_put(&sw->ls, s->ho->listener);
	handover_detach(s);
}

void handover_detach(struct service *s)
{
	if (!s->ho)
		return;
	handover_reaped(s);
	free(s->ho);
	s->ho = NULL;
}
