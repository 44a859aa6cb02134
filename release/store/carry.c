/* Static assets across installed releases (specs/store.md, "Static assets across releases"). */
#include "release/store/carry.h"
#include "release/store/reuse.h"
#include "release/store/seal.h"
#include "release/store/store_list.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One of the manifest's static directories (specs/manifest.md "Writable and static
 * directories"). */
static int is_static_dir(const struct manifest *m, const struct manifest_file *f)
{
	return f->type == MANIFEST_DIR && manifest_is_static_dir(m, f->path);
}

/* Whether the releases share the static directory that holds `path`: the one of `from`'s
 * static directories that is a prefix of it, which `to` lists as a directory too. */
static int shared_static(const struct manifest *from, const struct manifest *to, const char *path)
{
	char dir[MANIFEST_MAX_PATH + 1];
	const struct manifest_file *d;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		d = manifest_find_file(from, dir);
		if (d && is_static_dir(from, d)) {
			d = manifest_find_file(to, dir);
			return d && d->type == MANIFEST_DIR;
		}
	}
	return 0;
}

static int has_static_dir(const struct manifest *m)
{
	return m->n_static_dirs > 0;
}

/* Opens directory `rel` below dirfd, following no symlink; with `create`, makes the missing
 * components (0755). -1 with errno on failure. */
static int open_dir(int dirfd, const char *rel, int create)
{
	char buf[MANIFEST_MAX_PATH + 1], *comp, *save = NULL;
	int fd = dup(dirfd), next;

	snprintf(buf, sizeof(buf), "%s", rel);
	for (comp = strtok_r(buf, "/", &save); comp && fd >= 0; comp = strtok_r(NULL, "/", &save)) {
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create && mkdirat(fd, comp, 0755) == 0)
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

static int system_errno(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EIO || e == ENOMEM || e == EROFS;
}

/* Links the files `from` lists in static directories shared with `to`, and `to` does not
 * list, from fromfd's tree into tofd's: each one only if the one rule for sharing installed
 * files accepts it against `from`'s manifest (reuse.h), as a delta install would. */
static int carry(struct reuse *r, int fromfd, const struct manifest *from, int tofd,
                 const struct manifest *to, unsigned long *linked, struct err *err)
{
	char parent[MANIFEST_MAX_PATH + 1] = "";
	int sfd = -1, dfd = -1, rc = 0;

	for (size_t i = 0; i < from->n_files && rc == 0; i++) {
		const struct manifest_file *f = &from->files[i];
		const char *slash = strrchr(f->path, '/'), *base;
		struct stat sb;
		size_t plen;
		int fd, e;

		if (f->type != MANIFEST_FILE || !slash || manifest_find_file(to, f->path) ||
		    !shared_static(from, to, f->path))
			continue;
		plen = (size_t)(slash - f->path);
		base = slash + 1;
		if (strlen(parent) != plen || strncmp(parent, f->path, plen)) {
			if (sfd >= 0)
				close(sfd);
			if (dfd >= 0)
				close(dfd);
			memcpy(parent, f->path, plen);
			parent[plen] = '\0';
			sfd = open_dir(fromfd, parent, 0);
			dfd = sfd >= 0 ? open_dir(tofd, parent, 1) : -1;
			if (dfd < 0 && system_errno(errno))
				rc = fail_sys(err, "cannot create %s", parent);
		}
		if (sfd < 0 || dfd < 0)
			continue;
		/* A name that exists is left alone (and costs no hashing). */
		if (fstatat(dfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			continue;
		fd = reuse_link(r, fromfd, f, dfd, base, &e, err);
		if (fd == -2) {
			rc = -1;
		} else if (fd >= 0) {
			close(fd);
			if (linked)
				(*linked)++;
		} else if (system_errno(e)) {
			errno = e;
			rc = fail_sys(err, "cannot link %s", f->path);
		}
	}
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Whether the manifest in release directory dirfd is as install left it: a regular file of
 * the running user, read-only (0444), with one link. The hashes a carried file is checked
 * against come from it; a manifest that was made writable is no longer the signed one. */
static bool manifest_sealed(int dirfd)
{
	struct stat sb;

	return fstatat(dirfd, MANIFEST_NAME, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
	       (sb.st_mode & 07777) == seal_file_mode(0644) && sb.st_nlink == 1;
}

/* Calls fn for every installed release other than `skip` that has a static directory. */
static int each_release(struct store *st, const char *skip,
                        int (*fn)(void *ctx, int dirfd, const struct manifest *m, struct err *err),
                        void *ctx, struct err *err)
{
	struct release_record *r = NULL;
	size_t n = 0;
	int rc;

	if (store_list_releases(st, &r, &n, err) < 0)
		return -1;
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct manifest *m = NULL;
		char path[PATH_MAX];
		struct err ignored;
		int fd;

		if (skip && !strcmp(r[i].version, skip))
			continue;
		snprintf(path, sizeof(path), STORE_RELEASES "/%s", r[i].version);
		fd = openat(st->rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* An unreadable manifest is that release's problem, not this install's. */
		if (store_read_manifest(st, r[i].version, &m, &ignored) == 0 && has_static_dir(m))
			rc = fn(ctx, fd, m, err);
		manifest_free(m);
		close(fd);
	}
	store_list_free(r, n);
	return rc;
}

struct carry_ctx {
	int fd; /* the new release's tree */
	const struct manifest *m;
	unsigned long *linked;
	struct reuse *reuse;
};

static int carry_in_one(void *ctx, int dirfd, const struct manifest *other, struct err *err)
{
	struct carry_ctx *c = ctx;

	if (!manifest_sealed(dirfd))
		return 0;
	return carry(c->reuse, dirfd, other, c->fd, c->m, c->linked, err);
}

/* An installed release is read-only (specs/store.md "Immutable releases"): its static
 * directories are made writable for the time of the linking, then read-only again. */
static int static_dirs_writable(int dirfd, const struct manifest *m, bool writable, struct err *err)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (is_static_dir(m, &m->files[i]) &&
		    seal_dirs(dirfd, m->files[i].path, writable, err) < 0)
			return -1;
	return 0;
}

static int carry_out_one(void *ctx, int dirfd, const struct manifest *other, struct err *err)
{
	struct carry_ctx *c = ctx;
	int rc = static_dirs_writable(dirfd, other, true, err);

	if (rc == 0)
		rc = carry(c->reuse, c->fd, c->m, dirfd, other, c->linked, err);
	if (static_dirs_writable(dirfd, other, false, rc == 0 ? err : NULL) < 0)
		rc = -1;
	return rc;
}

int store_carry_in(struct store *st, int stagingfd, const struct manifest *m, unsigned long *linked,
                   struct err *err)
{
	struct carry_ctx c = {stagingfd, m, linked, NULL};
	int rc;

	if (!has_static_dir(m))
		return 0;
	if (reuse_new(&c.reuse, err) < 0)
		return -1;
	rc = each_release(st, m->version, carry_in_one, &c, err);
	reuse_free(c.reuse);
	return rc;
}

int store_carry_out(struct store *st, const char *version, const struct manifest *m,
                    unsigned long *linked, struct err *err)
{
	char path[PATH_MAX];
	struct carry_ctx c = {-1, m, linked, NULL};
	int rc;

	if (!has_static_dir(m))
		return 0;
	snprintf(path, sizeof(path), STORE_RELEASES "/%s", version);
	c.fd = openat(st->rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.fd < 0)
		return fail_sys(err, "cannot open %s/%s", st->root, path);
	if (reuse_new(&c.reuse, err) < 0) {
		close(c.fd);
		return -1;
	}
	rc = each_release(st, version, carry_out_one, &c, err);
	reuse_free(c.reuse);
	close(c.fd);
	return rc;
}
