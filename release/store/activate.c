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
	struct history_event ev = {.action = (char *)action};
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
	ev.to = (char *)version;
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
	struct history_event ev = {.action = "mark-bad", .version = (char *)version};
	char *old;
	int rc;

	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM,
		                 "internal error: mark-bad without the store lock");
	if (record_read(st, version, &r, err) < 0)
		return -1;
	old = r.bad_reason;
	r.bad = true;
	r.bad_reason = strdup(reason ? reason : "");
	free(old);
	rc = r.bad_reason ? record_write(st, &r, err) : fail_oom(err);
	record_release(&r);
	if (rc < 0)
		return -1;
	ev.reason = (char *)(reason ? reason : "");
	return history_append(st, &ev, err);
}

static bool is_good(struct store *st, const char *version)
{
	struct release_record r;
	struct err err;
	bool good;

	if (!store_is_installed(st, version) || record_read(st, version, &r, &err) < 0)
		return false;
	good = !r.bad;
	record_release(&r);
	return good;
}

int store_rollback_target(struct store *st, char **version, struct err *err)
{
	struct history h;
	char *current = NULL, **stack = NULL;
	size_t n = 0;
	int rc = -1;

	*version = NULL;
	if (store_current_version(st, &current, err) < 0)
		return -1;
	if (history_load(st, &h, err) < 0)
		goto out;
	if (history_activation_stack(&h, current, &stack, &n, err) < 0)
		goto out;
	/* The top is `current`; the target is the nearest earlier one still usable. */
	for (size_t i = n > 0 ? n - 1 : 0; i > 0; i--) {
		const char *v = stack[i - 1];

		if (current && !strcmp(v, current))
			continue;
		if (is_good(st, v)) {
			*version = strdup(v);
			if (!*version) {
				fail_oom(err);
				goto out;
			}
			break;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(stack[i]);
	free(stack);
	history_release(&h);
	free(current);
	return rc;
}
