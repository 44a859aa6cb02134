#include "runtime/outcome.h"
#include "runtime/current.h"
#include "runtime/statefile.h"
#include "release/base/error.h"
#include "release/base/json_get.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct snapshot {
	int pid;
	unsigned seq;
	int settled;
	char phase[32], release[256], to[256], result[32], reason[512];
	char not_ready[512]; /* "web (backoff: exited with status 1)" for live services */
};

/* The live release's services that are not ready, for the message of a --wait that ends
 * with the release live but not serving. */
static void note_not_ready(struct snapshot *s, json_object *services)
{
	size_t len = 0;

	for (size_t i = 0; i < json_object_array_length(services); i++) {
		json_object *svc = json_object_array_get_idx(services, i);
		char name[64], state[32], release[256], last[256];

		if (json_get_bool(svc, "retiring"))
			continue;
		json_get_copy(svc, "name", name, sizeof(name));
		json_get_copy(svc, "state", state, sizeof(state));
		json_get_copy(svc, "release", release, sizeof(release));
		json_get_copy(svc, "last_exit", last, sizeof(last));
		if (!strcmp(state, "ready") || strcmp(release, s->release) ||
		    len >= sizeof(s->not_ready))
			continue;
		len += (size_t)snprintf(s->not_ready + len, sizeof(s->not_ready) - len,
		                        "%s%s %s%s%s%s", len ? ", " : "", name, state,
		                        *last ? " (" : "", last, *last ? ")" : "");
	}
}

static int read_snapshot(const char *root, struct snapshot *s, struct err *err)
{
	json_object *o, *sw = NULL, *v;

	memset(s, 0, sizeof(*s));
	if (statefile_read(root, &o, err) < 0)
		return -1;
	if (json_object_object_get_ex(o, "pid", &v))
		s->pid = json_object_get_int(v);
	json_get_copy(o, "phase", s->phase, sizeof(s->phase));
	json_get_copy(o, "release", s->release, sizeof(s->release));
	if (json_object_object_get_ex(o, "switch", &sw)) {
		if (json_object_object_get_ex(sw, "seq", &v))
			s->seq = (unsigned)json_object_get_int64(v);
		s->settled = json_get_bool(sw, "settled");
		json_get_copy(sw, "to", s->to, sizeof(s->to));
		json_get_copy(sw, "result", s->result, sizeof(s->result));
		json_get_copy(sw, "reason", s->reason, sizeof(s->reason));
	}
	if (json_object_object_get_ex(o, "services", &v) && json_object_is_type(v, json_type_array))
		note_not_ready(s, v);
	json_object_put(o);
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
			if (!strcmp(s.result, "rolled_back")) {
				snprintf(reason, reason_cap, "%s", s.reason);
				return RUN_OUTCOME_ROLLED_BACK;
			}
			if (!strcmp(s.result, "failed")) {
				snprintf(reason, reason_cap, "%s", s.reason);
				return RUN_OUTCOME_FAILED;
			}
			if (s.not_ready[0]) {
				snprintf(reason, reason_cap, "%s", s.not_ready);
				return RUN_OUTCOME_NOT_SERVING;
			}
			return RUN_OUTCOME_OK;
		}
		if (strcmp(s.phase, "running") || !s.settled)
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
