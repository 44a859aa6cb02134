/* store_prune (specs/store.md "Prune"). */
#include "release/store/prune.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/history.h"
#include "release/store/store_crash.h"
#include "release/store/store_list.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The most recently activated release that is installed and not marked bad. */
static char *newest_known_good(struct store *st, const struct history *h,
                               const struct release_record *r, size_t n)
{
	for (size_t i = h->n; i > 0; i--) {
		const struct history_event *ev = &h->ev[i - 1];

		if (!ev->to || (strcmp(ev->action, "activate") && strcmp(ev->action, "rollback")))
			continue;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(r[j].version, ev->to) && !r[j].bad)
				return strdup(ev->to);
	}
	(void)st;
	return NULL;
}

static int make_dir_writable(int at, const char *path, struct err *err)
{
	int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	int rc = 0;

	if (fd < 0)
		return fail_sys(err, "cannot open %s", path);
	if (fstat(fd, &sb) < 0 ||
	    ((sb.st_mode & 0200) == 0 && fchmod(fd, (sb.st_mode & 07777) | 0200) < 0))
		rc = fail_sys(err, "cannot make %s writable to move it", path);
	close(fd);
	return rc;
}

static int remove_release(struct store *st, const char *version, struct err *err)
{
	struct history_event ev = {.action = "prune", .version = version};
	char from[512], to[512], meta[512];

	snprintf(from, sizeof(from), STORE_RELEASES "/%s", version);
	snprintf(to, sizeof(to), STORE_TRASH "/%s.%ld", version, (long)getpid());
	snprintf(meta, sizeof(meta), STORE_META "/%s.json", version);
	remove_tree_at(st->rootfd, to, err);
	/* A release is read-only; moving a directory needs write permission on it. */
	if (make_dir_writable(st->rootfd, from, err) < 0)
		return -1;
	if (renameat(st->rootfd, from, st->rootfd, to) < 0)
		return fail_sys(err, "cannot move %s/%s to trash", st->root, from);
	if (fsync_dir_at(st->rootfd, STORE_RELEASES, err) < 0)
		return -1;
	crashpoint("prune-after-move");
	if (unlinkat(st->rootfd, meta, 0) < 0 && errno != ENOENT)
		return fail_sys(err, "cannot remove %s/%s", st->root, meta);
	if (fsync_dir_at(st->rootfd, STORE_META, err) < 0)
		return -1;
	crashpoint("prune-after-record");
	if (history_append(st, &ev, err) < 0)
		return -1;
	crashpoint("prune-before-delete");
	return remove_tree_at(st->rootfd, to, err);
}

int store_prune(struct store *st, size_t keep, bool dry_run, prune_report report, void *ctx,
                size_t *removed, struct err *err)
{
	struct release_record *r = NULL;
	struct history h = {0};
	char *current = NULL, *target = NULL, *good = NULL;
	size_t n = 0;
	int rc = -1;

	*removed = 0;
	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM, "internal error: prune without the store lock");
	if (store_list_releases(st, &r, &n, err) < 0 ||
	    store_current_version(st, &current, err) < 0 ||
	    store_rollback_target(st, &target, err) < 0 || history_load(st, &h, err) < 0)
		goto out;
	good = newest_known_good(st, &h, r, n);
	/* r is oldest first: candidates are all but the newest `keep`. */
	for (size_t i = 0; i + keep < n; i++) {
		const char *v = r[i].version;

		if ((current && !strcmp(v, current)) || (target && !strcmp(v, target)) ||
		    (good && !strcmp(v, good)))
			continue;
		if (!dry_run && remove_release(st, v, err) < 0) {
			fail_prefix(err, "cannot prune %s", v);
			goto out;
		}
		if (report)
			report(ctx, v);
		(*removed)++;
	}
	rc = 0;
out:
	history_release(&h);
	store_list_free(r, n);
	free(current);
	free(target);
	free(good);
	return rc;
}
