/* The steps every route of an install ends with (install_ctx.h): an empty staging directory,
 * and the commit of a complete tree (specs/store.md "Install", steps 9 to 12). */
#include "release/store/install_ctx.h"
#include "release/base/clock.h"
#include "release/base/fileio.h"
#include "release/store/history.h"
#include "release/store/store_crash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int install_make_staging(struct install_ctx *c, struct err *err)
{
	for (int i = 0; i < 100; i++) {
		snprintf(c->staging, sizeof(c->staging), STORE_STAGING "/%ld.%d", (long)getpid(),
		         i);
		if (mkdirat(c->st->rootfd, c->staging, 0700) == 0)
			break;
		if (errno != EEXIST)
			return fail_sys(err, "cannot create %s/%s", c->st->root, c->staging);
	}
	c->stagingfd =
	    openat(c->st->rootfd, c->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->stagingfd < 0)
		return fail_sys(err, "cannot open %s/%s", c->st->root, c->staging);
	return 0;
}

int install_commit(struct install_ctx *c, struct err *err)
{
	struct release_record r = {0};
	struct history_event ev = {.action = "install"};
	const struct manifest *m = c->m;
	char now[CLOCK_ISO_SIZE], final[512];
	int rc;

	if (fchmod(c->stagingfd, 0755) < 0)
		return fail_sys(err, "cannot chmod staging");
	if (syncfs(c->stagingfd) < 0)
		return fail_sys(err, "cannot sync %s", c->st->root);
	if (c->before_record && c->before_record(c, c->before_record_arg, err) < 0)
		return -1;
	crashpoint("install-after-sync");
	clock_iso_utc(time(NULL), now);
	r.version = c->version;
	r.app = c->app;
	r.serial = c->serial;
	r.commit = m->commit;
	r.archive_hash = c->hash;
	r.installed_at = now;
	r.downgrade = c->res->downgrade;
	r.bad_reason = "";
	if (store_record_write(c->st, &r, err) < 0)
		return -1;
	crashpoint("install-after-record");
	if (!c->state.has_high || c->serial > c->state.high_serial) {
		struct store_state s = {.app = c->app,
		                        .has_high = true,
		                        .high_serial = c->serial,
		                        .high_hash = c->hash,
		                        .high_version = c->version};

		if (store_state_write(c->st, &s, err) < 0)
			return -1;
	}
	crashpoint("install-after-state");
	snprintf(final, sizeof(final), STORE_RELEASES "/%s", c->version);
	rc = renameat2(c->st->rootfd, c->staging, c->st->rootfd, final, RENAME_NOREPLACE);
	if (rc < 0)
		return fail_sys(err, "cannot rename staging to %s/%s", c->st->root, final);
	if (fsync_dir_at(c->st->rootfd, STORE_RELEASES, err) < 0)
		return -1;
	crashpoint("install-after-rename");
	/* Read-only like the rest of the tree now that it has moved (moving a directory needs
	 * write permission on it). Lost in a crash, the sweep does it again. */
	if (fchmod(c->stagingfd, 0555) < 0)
		return fail_sys(err, "cannot make %s/%s read-only", c->st->root, final);
	ev.version = c->version;
	ev.serial = c->serial;
	ev.archive_hash = c->hash;
	ev.downgrade = c->res->downgrade;
	if (history_append(c->st, &ev, err) < 0)
		return fail_prefix(err, "%s is installed but the history was not written",
		                   c->version);
	crashpoint("install-after-history");
	return 0;
}
