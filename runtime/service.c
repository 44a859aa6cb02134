#include "runtime/service.h"
#include "runtime/preload.h"
#include "runtime/spawn.h"
#include "release/base/error.h"
#include "release/base/clock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *svc_state_name(enum svc_state s)
{
	static const char *const names[] = {"stopped", "waiting",  "starting",
	                                    "ready",   "stopping", "backoff"};

	return names[s];
}

struct service *service_new(struct svc_spec *spec, unsigned id, unsigned gen,
                            const char *release_dir, const char *version)
{
	struct service *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->release_dir = strdup(release_dir);
	s->version = strdup(version);
	if (!s->release_dir || !s->version) {
		free(s->release_dir);
		free(s->version);
		free(s);
		return NULL;
	}
	s->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	s->id = id;
	s->gen = gen;
	s->out_fd = -1;
	probe_init(&s->probe);
	s->state_since = clock_mono_ms();
	return s;
}

void service_free(struct service *s)
{
	if (!s)
		return;
	probe_abort(&s->probe);
	if (s->out_fd >= 0)
		close(s->out_fd);
	svc_spec_release(&s->spec);
	free(s->release_dir);
	free(s->version);
	free(s);
}

void service_set_state(struct service *s, enum svc_state st, uint64_t now)
{
	if (s->state != st)
		s->state_since = now;
	s->state = st;
}

int service_start(struct service *s, uint64_t now, struct err *err)
{
	struct spawn_req req;
	char port[16];

	if (s->health_port) {
		snprintf(port, sizeof(port), "%d", s->health_port);
		if (svc_spec_set_env(&s->spec, "SLIPWAY_HEALTH_PORT", port, err) < 0 ||
		    preload_health_env(&s->spec, err) < 0)
			return -1;
	}
	req = (struct spawn_req){s->spec.argv, s->spec.envp, s->spec.cwd};
	return service_spawn(s, &req, NULL, now, err);
}

int service_spawn(struct service *s, const struct spawn_req *req, const struct spawn_pass *pass,
                  uint64_t now, struct err *err)
{
	pid_t pid;
	int fd;

	if (s->out_fd >= 0) {
		close(s->out_fd);
		s->out_fd = -1;
	}
	s->lb.n = 0;
	outtail_reset(&s->tail);
	if (spawn_service_passing(req, pass, &pid, &fd, err) < 0)
		return -1;
	s->pid = pid;
	s->pgid = pid;
	s->last_pid = pid;
	s->out_fd = fd;
	s->term_sent = 0;
	s->kill_sent = 0;
	s->addr_in_use = 0;
	s->addr_port = 0;
	s->foreign_noted = 0;
	s->foreign[0] = '\0';
	s->started_at = now;
	s->ready_at = 0;
	s->ready_deadline = clock_deadline_ms(now, s->spec.ready_timeout_ms);
	s->next_probe_at = now;
	probe_abort(&s->probe);
	service_set_state(s, SVC_STARTING, now);
	return 0;
}

int service_group_alive(struct service *s)
{
	if (s->pid)
		return 1;
	if (!s->pgid)
		return 0;
	if (kill(-s->pgid, 0) == 0 || errno == EPERM)
		return 1;
	s->pgid = 0;
	return 0;
}

void service_stop(struct service *s, uint64_t now)
{
	probe_abort(&s->probe);
	if (s->state == SVC_STOPPING)
		return;
	if (!service_group_alive(s)) {
		service_set_state(s, SVC_STOPPED, now);
		return;
	}
	if (!s->term_sent) {
		/* Exactly one SIGTERM: a second one makes a LiveKit worker abandon its calls. With
		 * KILL_PROCESS it reaches the main process alone (its job processes expect the
		 * parent to end them); leftovers of a leader already gone have nobody to wait
		 * for. */
		if (!s->pid)
			service_kill_group(s);
		else if (s->spec.kill_mode == KILL_PROCESS)
			kill(s->pid, SIGTERM);
		else
			kill(-s->pgid, SIGTERM);
		s->term_sent = 1;
	}
	s->stop_deadline = clock_deadline_ms(now, s->spec.stop_timeout_ms);
	service_set_state(s, SVC_STOPPING, now);
}

void service_kill_group(struct service *s)
{
	if (s->pgid)
		kill(-s->pgid, SIGKILL);
	s->kill_sent = 1;
}

void service_reaped(struct service *s, int status)
{
	if (WIFEXITED(status))
		snprintf(s->last_exit, sizeof(s->last_exit), "exited with status %d",
		         WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(s->last_exit, sizeof(s->last_exit), "killed by signal %d (SIG%s)",
		         WTERMSIG(status),
		         sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
	s->pid = 0;
}
