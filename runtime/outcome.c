#include "runtime/outcome.h"
#include "runtime/current.h"
#include "runtime/statefile.h"
#include "release/base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct snapshot {
	int pid;
	unsigned seq;
	int settled;
	enum gen_phase phase;
	enum gen_result result;
	char release[GEN_VERSION_MAX], to[GEN_VERSION_MAX], reason[512];
	char not_ready[512]; /* "web (backoff: exited with status 1)" for live services */
};

/* The live release's services that are not ready, for the message of a --wait that ends
 * with the release live but not serving. */
static void note_not_ready(struct snapshot *s, const struct state_file *sf)
{
	size_t len = 0;

	for (size_t i = 0; i < sf->n_services; i++) {
		const struct state_service *svc = &sf->services[i];
		const char *last = svc->last_exit;

		if (svc->retiring || svc->state == SVC_READY || strcmp(svc->release, s->release) ||
		    len >= sizeof(s->not_ready))
			continue;
		len += (size_t)snprintf(s->not_ready + len, sizeof(s->not_ready) - len,
		                        "%s%s %s%s%s%s", len ? ", " : "", svc->name,
		                        svc_state_name(svc->state), *last ? " (" : "", last,
		                        *last ? ")" : "");
	}
}

static int read_snapshot(const char *root, struct snapshot *s, struct err *err)
{
	struct state_file sf;

	memset(s, 0, sizeof(*s));
	if (statefile_read(root, &sf, err) < 0)
		return -1;
	s->pid = sf.pid;
	s->phase = sf.phase;
	snprintf(s->release, sizeof(s->release), "%s", sf.release);
	s->seq = sf.sw.seq;
	s->settled = sf.sw.settled;
	s->result = sf.sw.result;
	snprintf(s->to, sizeof(s->to), "%s", sf.sw.to);
	snprintf(s->reason, sizeof(s->reason), "%s", sf.sw.reason);
	note_not_ready(s, &sf);
	statefile_free(&sf);
	return 0;
}

static int supervised(const char *root, struct err *err)
{
	int alive = statefile_supervisor_alive(root, err);

	if (alive == 0)
		return fail_kind(err, ERR_SYSTEM,
		                 "no `slipway run` supervises %s: nothing to wait for", root);
	return alive < 0 ? -1 : 0;
}

int run_watch_begin(const char *root, struct run_watch *w, struct err *err)
{
	struct snapshot s;

	if (supervised(root, err) < 0 || read_snapshot(root, &s, err) < 0)
		return -1;
	w->seq = s.seq;
	w->pid = s.pid;
	return 0;
}

int run_watch_wait(const char *root, const struct run_watch *w, const char *version, char *reason,
                   size_t reason_cap, char *other, size_t other_cap, struct err *err)
{
	struct timespec tick = {0, 50 * 1000 * 1000};
	struct snapshot s;
	char cur[256];

	for (;; nanosleep(&tick, NULL)) {
		if (supervised(root, err) < 0)
			return fail_prefix(err, "the supervisor went away");
		if (read_snapshot(root, &s, err) < 0)
			return -1;
		if (s.pid != w->pid)
			return fail_kind(err, ERR_SYSTEM,
			                 "the supervisor restarted (pid %d, was %d)", s.pid,
			                 w->pid);
		/* Decided is not enough: the answer waits until the live release has settled
		 * (ready again after a flip-back, too), so `status` afterwards agrees. */
		if (s.seq > w->seq && !strcmp(s.to, version)) {
			if (!s.settled)
				continue;
			if (s.result == GEN_ROLLED_BACK) {
				snprintf(reason, reason_cap, "%s", s.reason);
				return RUN_OUTCOME_ROLLED_BACK;
			}
			if (s.result == GEN_FAILED) {
				snprintf(reason, reason_cap, "%s", s.reason);
				return RUN_OUTCOME_FAILED;
			}
			if (s.not_ready[0]) {
				snprintf(reason, reason_cap, "%s", s.not_ready);
				return RUN_OUTCOME_NOT_SERVING;
			}
			return RUN_OUTCOME_OK;
		}
		if (s.phase != GEN_RUNNING || !s.settled)
			continue;
		/* Idle supervisor: either it already runs `version` (nothing to switch), or
		 * `current` names another release it is running (ours was superseded). */
		if (current_version(root, cur, sizeof(cur), err) < 0)
			return -1;
		if (!strcmp(s.release, version) && !strcmp(cur, version)) {
			if (!s.not_ready[0])
				return RUN_OUTCOME_OK;
			snprintf(reason, reason_cap, "%s", s.not_ready);
			return RUN_OUTCOME_NOT_SERVING;
		}
		if (strcmp(cur, version) && !strcmp(s.release, cur)) {
			snprintf(other, other_cap, "%s", cur);
			return RUN_OUTCOME_SUPERSEDED;
		}
	}
}
