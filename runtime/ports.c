#include "runtime/ports.h"
#include "runtime/handover.h"
#include "runtime/portowner.h"
#include "release/base/clock.h"
#include "release/base/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int ports_addr_in_use(const char *line, size_t len, int *port)
{
	static const char *const marks[] = {"EADDRINUSE", "ddress already in use", "ddress in use"};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(line, len, marks[i], strlen(marks[i]))) {
			*port = port_in_line(line, len);
			return 1;
		}
	return 0;
}

/* The instance whose process group holds `h` (a listener), NULL when none of ours does. */
static struct service *holder_instance(struct service *list, const struct port_holder *h)
{
	struct service *s;

	if (!h->pid)
		return NULL;
	for (s = list; s; s = s->next)
		if (s->pgid && h->pgid == s->pgid && service_group_alive(s))
			return s;
	return NULL;
}

/* Describes who listens on `port` into buf; returns 1 when some listener is not ours (not
 * in the group of an instance slipway tracks, and not slipway itself), else 0. */
int ports_foreign(struct service *list, int port, char *buf, size_t cap)
{
	struct port_holder h[8];
	int n = port_holders(port, h, 8), foreign = 0;
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len < cap; i++) {
		struct service *t = holder_instance(list, &h[i]);
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

/* SLIPWAY_HEALTH_PORT for an instance: the first port from its health_port up that no
 * instance slipway tracks has been given, that is no service's port, and that is free now.
 * Two generations running side by side therefore never share one. */
int ports_pick_health(struct service *list, struct service *me, struct err *err)
{
	int base = me->spec.health_base;

	for (int p = base; p < base + PORTS_HEALTH_SPAN && p <= 65535; p++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
		struct service *o;
		int fd, one = 1, taken = 0;

		for (o = list; o && !taken; o = o->next)
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
	                 base + PORTS_HEALTH_SPAN - 1 > 65535 ? 65535
	                                                      : base + PORTS_HEALTH_SPAN - 1);
}

/* The instance that keeps `me` from its port (NULL when it is a socket slipway holds), for
 * the wait's deadline and its messages. */
struct service *ports_blocker(struct service *list, struct service *me)
{
	struct service *s;

	if (!me->spec.port)
		return NULL;
	for (s = list; s; s = s->next)
		if (s != me && s->spec.port == me->spec.port && !handover_shares_port(me, s) &&
		    service_group_alive(s))
			return s;
	return NULL;
}

/* When a start blocked by `holder` is decided: the holder's stop deadline (SIGKILL), or its
 * stop timeout from now if it is not stopping yet, plus a grace for the kernel to reap. */
uint64_t ports_wait_deadline(const struct service *holder, uint64_t now)
{
	uint64_t t = !holder ? now
	             : holder->state == SVC_STOPPING && holder->stop_deadline > now
	                 ? holder->stop_deadline
	                 : clock_deadline_ms(now, holder->spec.stop_timeout_ms);

	return clock_deadline_ms(t, PORTS_GRACE_MS);
}

/* When a gated switch is decided at the latest: for each new instance, its readiness timeout
 * after the longest stop of an older instance holding its port, plus a grace. */
uint64_t ports_switch_deadline(struct service *list, unsigned gen, uint64_t now)
{
	uint64_t last = now;
	struct service *s, *o;

	for (s = list; s; s = s->next) {
		uint64_t t = now;

		if (s->gen != gen)
			continue;
		for (o = list; o; o = o->next)
			if (o != s && s->spec.port && o->spec.port == s->spec.port &&
			    o->gen != s->gen && ports_wait_deadline(o, now) > t)
				t = ports_wait_deadline(o, now);
		t = clock_deadline_ms(t, s->spec.ready_timeout_ms);
		if (t > last)
			last = t;
	}
	return clock_deadline_ms(last, PORTS_GRACE_MS);
}

/* After an "address already in use" exit: who holds the port, and what to change. */
void ports_diagnose(struct service *list, struct service *s, int probe_port, char *advice,
                    size_t cap)
{
	int port = s->addr_port ? s->addr_port : probe_port;
	char who[512] = "", *tail;
	size_t len;

	if (port)
		ports_foreign(list, port, who, sizeof(who));
	len = strlen(s->last_exit);
	tail = s->last_exit + len;
	if (port)
		snprintf(tail, sizeof(s->last_exit) - len, ": address in use (port %d%s%s)", port,
		         *who ? ", held by " : "", who);
	else
		snprintf(tail, sizeof(s->last_exit) - len, ": address in use");
	if (s->spec.port)
		snprintf(advice, cap,
		         "%s: port %d is in use%s%s; stop that process or choose another port",
		         s->spec.name, port, *who ? " by " : "", who);
	else if (s->health_port && port && port != s->health_port)
		snprintf(
		    advice, cap,
		    "%s: it bound port %d instead of SLIPWAY_HEALTH_PORT=%d, which slipway gives "
		    "each "
		    "generation so that old and new can overlap; make it read the variable, e.g. "
		    "port=int(os.environ.get(\"SLIPWAY_HEALTH_PORT\", 8081))",
		    s->spec.name, port, s->health_port);
	else if (!s->health_port)
		snprintf(
		    advice, cap,
		    "%s: two generations of a worker overlap during a switch, so each needs its "
		    "own port: set health_port (e.g. 8081) in its [service] section and bind "
		    "SLIPWAY_HEALTH_PORT, e.g. port=int(os.environ.get(\"SLIPWAY_HEALTH_PORT\", "
		    "8081))",
		    s->spec.name);
	else
		snprintf(advice, cap,
		         "%s: port %d was taken by another process after slipway chose it",
		         s->spec.name, port);
}
