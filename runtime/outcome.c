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
	char phase[32], release[256], to[256], result[32], reason[512];
};

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
		json_get_copy(sw, "to", s->to, sizeof(s->to));
		json_get_copy(sw, "result", s->result, sizeof(s->result));
		json_get_copy(sw, "reason", s->reason, sizeof(s->reason));
	}
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
		if (s.seq > w->seq && !strcmp(s.to, version)) {
			if (!strcmp(s.result, "ok"))
				return RUN_OUTCOME_OK;
			if (!strcmp(s.result, "rolled_back")) {
				snprintf(reason, reason_cap, "%s", s.reason);
				return RUN_OUTCOME_ROLLED_BACK;
			}
			continue;
		}
		if (strcmp(s.phase, "running"))
			continue;
		/* Idle supervisor: either it already runs `version` (nothing to switch), or
		 * `current` names another release it is running (ours was superseded). */
		if (current_version(root, cur, sizeof(cur), err) < 0)
			return -1;
		if (!strcmp(s.release, version) && !strcmp(cur, version))
			return RUN_OUTCOME_OK;
		if (strcmp(cur, version) && !strcmp(s.release, cur)) {
			snprintf(other, other_cap, "%s", cur);
			return RUN_OUTCOME_SUPERSEDED;
		}
	}
}
