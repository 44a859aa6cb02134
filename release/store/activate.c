/* The atomic switch of `current`, bad marks and the rollback target (specs/store.md). */
#include "release/base/error.h"
#include "release/store/history.h"
#include "release/store/store.h"
#include "release/store/store_crash.h"
#include "release/store/store_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int store_activate(struct store *st, const char *version, const char *action, bool *changed,
                   struct err *err)
{
	struct history_event ev = {.action = action};
	char tmp[64], target[512], *from = NULL;
	int rc = -1;

	if (changed)
		*changed = false;
	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM,
		                 "internal error: activate without the store lock");
	if (!store_is_installed(st, version))
		return fail(err, "%s is not installed in %s", version, st->root);
	if (store_current_version(st, &from, err) < 0)
		return -1;
	if (from && !strcmp(from, version)) {
		free(from);
		return 0;
	}
	snprintf(target, sizeof(target), STORE_RELEASES "/%s", version);
	snprintf(tmp, sizeof(tmp), ".current.%ld", (long)getpid());
	unlinkat(st->rootfd, tmp, 0);
	if (symlinkat(target, st->rootfd, tmp) < 0) {
		fail_sys(err, "cannot create link %s/%s", st->root, tmp);
		goto out;
	}
	crashpoint("activate-after-temp-link");
	if (renameat(st->rootfd, tmp, st->rootfd, STORE_CURRENT) < 0) {
		fail_sys(err, "cannot replace %s/current", st->root);
		unlinkat(st->rootfd, tmp, 0);
		goto out;
	}
	crashpoint("activate-after-rename");
	if (fsync(st->rootfd) < 0) {
		fail_sys(err, "cannot fsync %s", st->root);
		goto out;
	}
	if (changed)
		*changed = true;
	crashpoint("activate-before-history");
	ev.from = from;
	ev.to = version;
	if (history_append(st, &ev, err) < 0) {
		fail_prefix(err, "%s is active but the history was not written", version);
		goto out;
	}
	crashpoint("activate-after-history");
	rc = 0;
out:
	free(from);
	return rc;
}

int store_mark_bad(struct store *st, const char *version, const char *reason, struct err *err)
{
	struct release_record r;
	struct history_event ev = {.action = "mark-bad", .version = version};
	char *old;
	int rc;

	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM,
		                 "internal error: mark-bad without the store lock");
	if (store_record_read(st, version, &r, err) < 0)
		return -1;
	old = r.bad_reason;
	r.bad = true;
	r.bad_reason = strdup(reason ? reason : "");
	free(old);
	rc = r.bad_reason ? store_record_write(st, &r, err) : fail_oom(err);
	store_record_release(&r);
	if (rc < 0)
		return -1;
	ev.reason = reason ? reason : "";
	return history_append(st, &ev, err);
}

static bool is_good(struct store *st, const char *version)
{
	struct release_record r;
	struct err err;
	bool good;

	if (!store_is_installed(st, version) || store_record_read(st, version, &r, &err) < 0)
		return false;
	good = !r.bad;
	store_record_release(&r);
	return good;
}

struct target_search {
	struct store *st;
	const char *current;
	char *found;
	bool oom;
};

static int consider(void *ctx, const char *version)
{
	struct target_search *t = ctx;

	if ((t->current && !strcmp(version, t->current)) || !is_good(t->st, version))
		return 0;
	t->found = strdup(version);
	t->oom = !t->found;
	return 1;
}

int store_rollback_target(struct store *st, char **version, struct err *err)
{
	struct target_search t = {.st = st};
	char *current = NULL;
	int rc;

	*version = NULL;
	if (store_current_version(st, &current, err) < 0)
		return -1;
	/* The nearest entry below the top that is usable (specs/store.md "Rollback target"). */
	t.current = current;
	rc = history_stack_visit(st, current, consider, &t, err);
	free(current);
	if (rc < 0 || t.oom) {
		free(t.found);
		return rc < 0 ? -1 : fail_oom(err);
	}
	*version = t.found;
	return 0;
}
