#include "runtime/statefile.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/lockfile.h"
#include "release/base/clock.h"
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

int statefile_write(const char *root, const struct state_snapshot *snap, struct err *err)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array(), *sw;
	const struct service *s;
	uint64_t mono = clock_mono_ms();
	time_t wall = time(NULL);
	char when[CLOCK_ISO_SIZE];
	const char *text;
	int dfd, rc;

	json_object_object_add(o, "format", json_object_new_int(1));
	json_object_object_add(o, "pid", json_object_new_int(snap->pid));
	clock_iso_utc(wall, when);
	add_str(o, "updated", when);
	add_str(o, "phase", snap->phase);
	json_object_object_add(o, "generation", json_object_new_int64(snap->generation));
	add_str(o, "release", snap->release);
	sw = json_object_new_object();
	json_object_object_add(sw, "seq", json_object_new_int64(snap->sw.seq));
	add_str(sw, "from", snap->sw.from);
	add_str(sw, "to", snap->sw.to);
	add_str(sw, "result", snap->sw.result);
	add_str(sw, "reason", snap->sw.reason);
	json_object_object_add(sw, "settled", json_object_new_boolean(snap->sw.settled));
	json_object_object_add(o, "switch", sw);
	for (s = snap->services; s; s = s->next) {
		json_object *j = json_object_new_object();
		uint64_t age = mono >= s->state_since ? (mono - s->state_since) / 1000 : 0;

		add_str(j, "name", s->spec.name);
		json_object_object_add(j, "generation", json_object_new_int64(s->gen));
		add_str(j, "release", s->version);
		add_str(j, "state", svc_state_name(s->state));
		json_object_object_add(j, "pid", json_object_new_int(s->pid));
		json_object_object_add(j, "port", json_object_new_int(s->spec.port));
		json_object_object_add(j, "health_port", json_object_new_int(s->health_port));
		json_object_object_add(j, "restarts", json_object_new_int64(s->restarts));
		json_object_object_add(j, "failures", json_object_new_int64(s->failures));
		add_str(j, "last_exit", s->last_exit);
		clock_iso_utc(wall - (time_t)age, when);
		add_str(j, "since", when);
		json_object_object_add(j, "retiring", json_object_new_boolean(s->retiring));
		json_object_object_add(j, "serving", json_object_new_boolean(s->serving));
		json_object_object_add(j, "warm", json_object_new_boolean(s->warm_until != 0));
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "services", arr);
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

int statefile_read(const char *root, json_object **out, struct err *err)
{
	char path[PATH_MAX], *text = NULL;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s/%s", root, STATEFILE_DIR, STATEFILE_NAME);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return fail_kind(err, ERR_SYSTEM,
		                 "no state file at %s: slipway run has not run on this store",
		                 path);
	if (read_file_at(AT_FDCWD, path, 16u << 20, 1, &text, NULL, err) < 0)
		return -1;
	*out = json_tokener_parse(text);
	free(text);
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return fail_kind(err, ERR_SYSTEM, "%s is not valid JSON", path);
	}
	return 0;
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
