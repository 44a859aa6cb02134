#include "runtime/periodic.h"
#include "release/base/escape.h"
#include "runtime/spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define READ_MAX  4096
#define DRAIN_MAX 64 /* reads after exit: a job that printed more than this much is cut */

void periodic_init(struct periodic *p, const struct periodic_spec *spec, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->spec = spec && spec->argv ? spec : NULL;
	p->out_fd = -1;
	p->next_at = now;
}

static void say(struct logsink *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logsink_vsay(log, fmt, ap);
	va_end(ap);
}

/* Records a finished run; logs it when its summary is new. */
static void finish(struct periodic *p, int ok, const char *summary, struct logsink *log)
{
	struct periodic_result *r = &p->result;

	r->checks++;
	clock_iso_utc(time(NULL), r->at);
	r->ok = ok;
	snprintf(r->summary, sizeof(r->summary), "%s", summary);
	if (strcmp(p->logged, r->summary)) {
		char shown[PERIODIC_SUMMARY_MAX];

		/* A summary may quote what a server sent: one line of inert text. */
		esc_text(shown, sizeof(shown), r->summary, strlen(r->summary));
		say(log, "%s: %s", p->spec->name, shown);
		snprintf(p->logged, sizeof(p->logged), "%s", r->summary);
	}
}

int periodic_tick(struct periodic *p, uint64_t now, int stopping, struct logsink *log)
{
	struct spawn_req req;
	struct err err;
	char cwd[] = "/";

	if (!p->spec)
		return 0;
	if (p->pid) {
		if (!p->killed && now >= clock_deadline_ms(p->started_at, p->spec->deadline_ms)) {
			kill(-p->pid, SIGKILL);
			p->killed = 1;
		}
		return 0;
	}
	if (stopping || now < p->next_at)
		return 0;
	p->started_at = now;
	p->next_at = clock_deadline_ms(now, p->spec->every_ms);
	p->killed = 0;
	p->len = 0;
	p->last[0] = '\0';
	req.argv = p->spec->argv;
	req.envp = environ;
	req.cwd = cwd;
	if (spawn_service(&req, &p->pid, &p->out_fd, &err) < 0) {
		p->pid = 0;
		p->out_fd = -1;
		finish(p, 0, err.msg, log);
		return 1;
	}
	return 0;
}

int64_t periodic_next_wakeup(const struct periodic *p, uint64_t now)
{
	uint64_t at;

	if (!p->spec)
		return -1;
	at = p->pid
	         ? (p->killed ? UINT64_MAX : clock_deadline_ms(p->started_at, p->spec->deadline_ms))
	         : p->next_at;
	if (at == UINT64_MAX)
		return -1;
	return at <= now ? 0 : (int64_t)(at - now);
}

int periodic_fd(const struct periodic *p)
{
	return p->out_fd;
}

/* Keeps the last complete non-empty line; a line longer than the buffer is cut. */
static void feed(struct periodic *p, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (buf[i] && p->len < sizeof(p->line) - 1)
				p->line[p->len++] = buf[i];
			continue;
		}
		if (p->len) {
			memcpy(p->last, p->line, p->len);
			p->last[p->len] = '\0';
		}
		p->len = 0;
	}
}

/* Returns 1 when it read something. */
static int read_once(struct periodic *p)
{
	char buf[READ_MAX];
	ssize_t r;

	if (p->out_fd < 0)
		return 0;
	do
		r = read(p->out_fd, buf, sizeof(buf));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r <= 0) {
		close(p->out_fd);
		p->out_fd = -1;
		return 0;
	}
	feed(p, buf, (size_t)r);
	return 1;
}

void periodic_read(struct periodic *p)
{
	read_once(p);
}

int periodic_reaped(struct periodic *p, pid_t pid, int wstatus, struct logsink *log)
{
	char summary[PERIODIC_SUMMARY_MAX];
	int ok;

	if (!p->spec || !p->pid || pid != p->pid)
		return 0;
	for (int i = 0; i < DRAIN_MAX && read_once(p); i++)
		;
	feed(p, "\n", 1);
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	p->pid = 0;
	if (p->killed) {
		char d[32];

		logsink_fmt_ms(p->spec->deadline_ms, d, sizeof(d));
		snprintf(summary, sizeof(summary), "no answer within %s; stopped", d);
		ok = 0;
	} else {
		ok = p->spec->judge(p->last, wstatus, summary, sizeof(summary));
	}
	finish(p, ok, summary, log);
	return 1;
}

void periodic_stop(struct periodic *p)
{
	if (p->pid)
		kill(-p->pid, SIGTERM);
}

int periodic_running(const struct periodic *p)
{
	return p->pid != 0;
}

void periodic_release(struct periodic *p)
{
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
}
