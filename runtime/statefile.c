#include "runtime/statefile.h"
#include "runtime/crashloop.h"
#include "runtime/handover.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/lockfile.h"
#include "release/base/clock.h"
#include "release/base/json_get.h"
#include "release/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int open_run_dir(const char *root, struct err *err)
{
	return store_dir_open_path(root, STATEFILE_DIR, true, err);
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* Temporary file + rename, without fsync: the file is advice for readers and is rewritten on
 * every change; syncing would put disk latency into every switch. */
static int write_unsynced(int dfd, const char *text, struct err *err)
{
	char tmp[64];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld", STATEFILE_NAME, (long)getpid());
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return fail_sys(err, "cannot create %s", tmp);
	fchmod(fd, 0644);
	rc = write_all(fd, text, strlen(text), err);
	if (close(fd) < 0 && rc == 0)
		rc = fail_sys(err, "cannot write %s", tmp);
	if (rc == 0 && renameat(dfd, tmp, dfd, STATEFILE_NAME) < 0)
		rc = fail_sys(err, "cannot rename %s", tmp);
	if (rc < 0)
		unlinkat(dfd, tmp, 0);
	return rc;
}

void statefile_note_failure(struct state_failure *list, size_t *n, const struct state_failure *f)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(list[i].service, f->service) && !strcmp(list[i].release, f->release))
			break;
	if (i == *n) {
		if (*n < STATEFILE_FAILURES)
			(*n)++;
		i = *n - 1;
	}
	memmove(&list[1], &list[0], i * sizeof(*list));
	list[0] = *f;
}

int statefile_snapshot(struct state_file *out, const struct generation *g, int stopping,
                       const struct service *list, const struct state_failure *failures,
                       size_t n_failures, struct err *err)
{
	const struct service *s;
	uint64_t mono = clock_mono_ms();
	time_t wall = time(NULL);
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->format = STATEFILE_FORMAT;
	out->pid = getpid();
	clock_iso_utc(wall, out->updated);
	out->phase = gen_phase(g, stopping);
	out->generation = g->active;
	snprintf(out->release, sizeof(out->release), "%s", g->live.version ? g->live.version : "");
	out->sw.seq = g->seq;
	snprintf(out->sw.from, sizeof(out->sw.from), "%s", g->from);
	snprintf(out->sw.to, sizeof(out->sw.to), "%s", g->to);
	out->sw.result = g->result;
	snprintf(out->sw.reason, sizeof(out->sw.reason), "%s", g->reason);
	out->sw.settled = gen_settled(g, stopping);
	out->n_failures = n_failures < STATEFILE_FAILURES ? n_failures : STATEFILE_FAILURES;
	if (out->n_failures)
		memcpy(out->failures, failures, out->n_failures * sizeof(*failures));
	for (s = list; s; s = s->next)
		n++;
	if (n && !(out->services = calloc(n, sizeof(*out->services))))
		return fail_oom(err);
	for (s = list; s; s = s->next) {
		struct state_service *o = &out->services[out->n_services++];
		uint64_t age = mono >= s->state_since ? (mono - s->state_since) / 1000 : 0;

		snprintf(o->name, sizeof(o->name), "%s", s->spec.name);
		o->generation = s->gen;
		snprintf(o->release, sizeof(o->release), "%s", s->version);
		o->state = s->state;
		o->pid = s->pid;
		o->port = s->spec.port;
		o->health_port = s->health_port;
		o->restarts = s->restarts;
		o->failures = s->failures;
		snprintf(o->last_exit, sizeof(o->last_exit), "%s", s->last_exit);
		clock_iso_utc(wall - (time_t)age, o->since);
		o->retiring = s->retiring;
		o->serving = handover_serving(s);
		o->warm = handover_is_warm(s);
		o->restarts_last_minute = crashlog_recent(&s->crashes, mono);
		o->crash_looping = crashlog_looping(&s->crashes, mono);
		o->last_output = s->exit_tail;
	}
	return 0;
}

void statefile_free(struct state_file *sf)
{
	free(sf->services);
	sf->services = NULL;
	sf->n_services = 0;
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *tail_to_json(const struct outtail *t)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < t->n; i++)
		json_object_array_add(a, json_object_new_string(outtail_line(t, i)));
	return a;
}

static json_object *failure_to_json(const struct state_failure *f)
{
	json_object *j = json_object_new_object();

	add_str(j, "service", f->service);
	add_str(j, "release", f->release);
	add_int(j, "generation", f->generation);
	add_str(j, "reason", f->reason);
	add_str(j, "at", f->at);
	json_object_object_add(j, "output", tail_to_json(&f->output));
	return j;
}

static json_object *service_to_json(const struct state_service *s)
{
	json_object *j = json_object_new_object();

	add_str(j, "name", s->name);
	add_int(j, "generation", s->generation);
	add_str(j, "release", s->release);
	add_str(j, "state", svc_state_name(s->state));
	add_int(j, "pid", s->pid);
	add_int(j, "port", s->port);
	add_int(j, "health_port", s->health_port);
	add_int(j, "restarts", (int64_t)s->restarts);
	add_int(j, "failures", (int64_t)s->failures);
	add_str(j, "last_exit", s->last_exit);
	add_str(j, "since", s->since);
	add_bool(j, "retiring", s->retiring);
	add_bool(j, "serving", s->serving);
	add_bool(j, "warm", s->warm);
	add_int(j, "restarts_last_minute", s->restarts_last_minute);
	add_bool(j, "crash_looping", s->crash_looping);
	json_object_object_add(j, "last_output", tail_to_json(&s->last_output));
	return j;
}

json_object *statefile_to_json(const struct state_file *sf)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	json_object *sw = json_object_new_object(), *fl;

	add_int(o, "format", sf->format);
	add_int(o, "pid", sf->pid);
	add_str(o, "updated", sf->updated);
	add_str(o, "phase", gen_phase_name(sf->phase));
	add_int(o, "generation", sf->generation);
	add_str(o, "release", sf->release);
	add_int(sw, "seq", sf->sw.seq);
	add_str(sw, "from", sf->sw.from);
	add_str(sw, "to", sf->sw.to);
	add_str(sw, "result", gen_result_name(sf->sw.result));
	add_str(sw, "reason", sf->sw.reason);
	add_bool(sw, "settled", sf->sw.settled);
	json_object_object_add(o, "switch", sw);
	for (size_t i = 0; i < sf->n_services; i++)
		json_object_array_add(arr, service_to_json(&sf->services[i]));
	json_object_object_add(o, "services", arr);
	fl = json_object_new_array();
	for (size_t i = 0; i < sf->n_failures; i++)
		json_object_array_add(fl, failure_to_json(&sf->failures[i]));
	json_object_object_add(o, "failures", fl);
	if (sf->follow.source[0]) {
		json_object *f = json_object_new_object();

		add_str(f, "source", sf->follow.source);
		add_int(f, "every", (int64_t)sf->follow.every_s);
		add_int(f, "checks", (int64_t)sf->follow.last.checks);
		add_str(f, "last_check", sf->follow.last.at);
		add_bool(f, "ok", sf->follow.last.ok);
		add_str(f, "result", sf->follow.last.summary);
		json_object_object_add(o, "follow", f);
	}
	return o;
}

int statefile_write(const char *root, const struct state_file *sf, struct err *err)
{
	json_object *o = statefile_to_json(sf);
	const char *text;
	int dfd, rc;

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	dfd = open_run_dir(root, err);
	if (dfd < 0) {
		json_object_put(o);
		return -1;
	}
	rc = write_unsynced(dfd, text, err);
	close(dfd);
	json_object_put(o);
	return rc;
}

static unsigned long get_ulong(json_object *o, const char *key)
{
	uint64_t v = 0;

	json_get_u64(o, key, &v);
	return (unsigned long)v;
}

static int svc_state_parse(const char *name)
{
	for (int st = SVC_STOPPED; st <= SVC_BACKOFF; st++)
		if (name && !strcmp(svc_state_name((enum svc_state)st), name))
			return st;
	return SVC_STOPPED;
}

/* The last OUTTAIL_LINES strings, each made safe again (outtail_add_escaped): the file is
 * read by other users' `status` too. */
static void tail_from_json(json_object *o, const char *key, struct outtail *t)
{
	json_object *a;

	outtail_reset(t);
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (json_object_is_type(v, json_type_string))
			outtail_add_escaped(t, json_object_get_string(v));
	}
}

static void failure_from_json(json_object *j, struct state_failure *f)
{
	json_get_copy(j, "service", f->service, sizeof(f->service));
	json_get_copy(j, "release", f->release, sizeof(f->release));
	f->generation = (unsigned)get_ulong(j, "generation");
	json_get_copy(j, "reason", f->reason, sizeof(f->reason));
	json_get_copy(j, "at", f->at, sizeof(f->at));
	tail_from_json(j, "output", &f->output);
}

static void service_from_json(json_object *j, struct state_service *s)
{
	json_get_copy(j, "name", s->name, sizeof(s->name));
	s->generation = (unsigned)get_ulong(j, "generation");
	json_get_copy(j, "release", s->release, sizeof(s->release));
	s->state = (enum svc_state)svc_state_parse(json_get_str(j, "state"));
	s->pid = (int)get_ulong(j, "pid");
	s->port = (int)get_ulong(j, "port");
	s->health_port = (int)get_ulong(j, "health_port");
	s->restarts = get_ulong(j, "restarts");
	s->failures = get_ulong(j, "failures");
	json_get_copy(j, "last_exit", s->last_exit, sizeof(s->last_exit));
	json_get_copy(j, "since", s->since, sizeof(s->since));
	s->retiring = json_get_bool(j, "retiring");
	s->serving = json_get_bool(j, "serving");
	s->warm = json_get_bool(j, "warm");
	s->restarts_last_minute = (unsigned)get_ulong(j, "restarts_last_minute");
	s->crash_looping = json_get_bool(j, "crash_looping");
	tail_from_json(j, "last_output", &s->last_output);
}

static int from_json(json_object *o, struct state_file *sf, struct err *err)
{
	json_object *sw, *arr;
	int v;

	sf->format = (int)get_ulong(o, "format");
	sf->pid = (int)get_ulong(o, "pid");
	json_get_copy(o, "updated", sf->updated, sizeof(sf->updated));
	v = gen_phase_parse(json_get_str(o, "phase"));
	sf->phase = v < 0 ? GEN_RUNNING : (enum gen_phase)v;
	sf->generation = (unsigned)get_ulong(o, "generation");
	json_get_copy(o, "release", sf->release, sizeof(sf->release));
	if (json_object_object_get_ex(o, "switch", &sw)) {
		sf->sw.seq = (unsigned)get_ulong(sw, "seq");
		json_get_copy(sw, "from", sf->sw.from, sizeof(sf->sw.from));
		json_get_copy(sw, "to", sf->sw.to, sizeof(sf->sw.to));
		v = gen_result_parse(json_get_str(sw, "result"));
		sf->sw.result = v < 0 ? GEN_PENDING : (enum gen_result)v;
		json_get_copy(sw, "reason", sf->sw.reason, sizeof(sf->sw.reason));
		sf->sw.settled = json_get_bool(sw, "settled");
	}
	if (json_object_object_get_ex(o, "failures", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (size_t i = 0; i < json_object_array_length(arr) && i < STATEFILE_FAILURES;
		     i++) {
			json_object *j = json_object_array_get_idx(arr, i);

			if (json_object_is_type(j, json_type_object))
				failure_from_json(j, &sf->failures[sf->n_failures++]);
		}
	if (json_object_object_get_ex(o, "follow", &arr) &&
	    json_object_is_type(arr, json_type_object)) {
		json_get_copy(arr, "source", sf->follow.source, sizeof(sf->follow.source));
		sf->follow.every_s = get_ulong(arr, "every");
		sf->follow.last.checks = get_ulong(arr, "checks");
		json_get_copy(arr, "last_check", sf->follow.last.at, sizeof(sf->follow.last.at));
		sf->follow.last.ok = json_get_bool(arr, "ok");
		json_get_copy(arr, "result", sf->follow.last.summary,
		              sizeof(sf->follow.last.summary));
	}
	if (!json_object_object_get_ex(o, "services", &arr) ||
	    !json_object_is_type(arr, json_type_array) || !json_object_array_length(arr))
		return 0;
	sf->services = calloc(json_object_array_length(arr), sizeof(*sf->services));
	if (!sf->services)
		return fail_oom(err);
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		service_from_json(json_object_array_get_idx(arr, i),
		                  &sf->services[sf->n_services++]);
	return 0;
}

int statefile_read(const char *root, struct state_file *out, struct err *err)
{
	char path[PATH_MAX], *text = NULL;
	json_object *o;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%s/%s", root, STATEFILE_DIR, STATEFILE_NAME);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return fail_kind(err, ERR_SYSTEM,
		                 "no state file at %s: slipway run has not run on this store",
		                 path);
	if (read_file_at(AT_FDCWD, path, 16u << 20, 1, &text, NULL, err) < 0)
		return -1;
	o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail_kind(err, ERR_SYSTEM, "%s is not valid JSON", path);
	}
	rc = from_json(o, out, err);
	json_object_put(o);
	if (rc < 0)
		statefile_free(out);
	return rc;
}

/* For a caller who may not open the private lock: the process the pid file names is alive
 * and runs a program called slipway. A pid reused by another slipway fools it; the lock,
 * when it can be read, does not. */
static int supervisor_pid_alive(const char *root)
{
	char path[PATH_MAX], *text = NULL, *end, *argv0 = NULL;
	const char *base;
	struct err ignored;
	size_t len = 0;
	long pid;
	int alive;

	snprintf(path, sizeof(path), "%s/%s/%s", root, STATEFILE_DIR, STATEFILE_PID);
	if (read_file_at(AT_FDCWD, path, 64, 1, &text, NULL, &ignored) < 0)
		return 0;
	errno = 0;
	pid = strtol(text, &end, 10);
	alive = !errno && end != text && (*end == '\n' || !*end) && pid > 1 && pid <= INT_MAX &&
	        (kill((pid_t)pid, 0) == 0 || errno == EPERM);
	free(text);
	if (!alive)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (read_file_at(AT_FDCWD, path, 4096, 1, &argv0, &len, &ignored) < 0)
		return 0;
	base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	alive = !strcmp(base, "slipway");
	free(argv0);
	return alive;
}

int statefile_supervisor_alive(const char *root, struct err *err)
{
	char path[PATH_MAX];
	int fd, alive = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", root, STATEFILE_DIR, STATEFILE_LOCK);
	fd = open_regular_at(AT_FDCWD, path, 1, NULL, err);
	if (fd < 0 && errno == EACCES)
		return supervisor_pid_alive(root);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			alive = 1;
		else
			alive = fail_sys(err, "cannot lock %s", path);
	}
	close(fd);
	return alive;
}

int statefile_claim(const char *root, int *lock_fd, struct err *err)
{
	char pid[32];
	int dfd, fd;

	dfd = open_run_dir(root, err);
	if (dfd < 0)
		return -1;
again:
	/* Private: anyone who can open it can hold it and keep every `slipway run` out. */
	fd = lockfile_open(dfd, STATEFILE_LOCK, err);
	if (fd < 0) {
		fail_prefix(err, "%s/%s", root, STATEFILE_DIR);
		close(dfd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			fail_kind(err, ERR_SYSTEM, "another slipway run already supervises %s",
			          root);
		else
			fail_sys(err, "cannot lock %s/%s/%s", root, STATEFILE_DIR, STATEFILE_LOCK);
		close(fd);
		close(dfd);
		return -1;
	}
	/* The file locked may have been replaced by a private one meanwhile (lockfile.h). */
	if (!lockfile_still_named(dfd, STATEFILE_LOCK, fd)) {
		close(fd);
		goto again;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (write_file_atomic(dfd, STATEFILE_PID, pid, strlen(pid), 0644, 0, err) < 0) {
		close(fd);
		close(dfd);
		return -1;
	}
	close(dfd);
	*lock_fd = fd;
	return 0;
}
