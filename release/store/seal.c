/* Read-only release trees with their runtime-writable directories (see seal.h). */
#include "release/store/seal.h"
#include "release/base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NEXT_DIR     ".next"
#define NEXT_BUILDID "BUILD_ID"
#define NEXT_CACHE   "cache"

mode_t seal_file_mode(mode_t mode)
{
	return mode & 0555;
}

static bool is_next_build(const struct manifest *m, const struct manifest_file *d)
{
	const char *slash = strrchr(d->path, '/');
	const struct manifest_file *id;
	char path[MANIFEST_MAX_PATH + 16];

	if (d->type != MANIFEST_DIR || strcmp(slash ? slash + 1 : d->path, NEXT_DIR))
		return false;
	snprintf(path, sizeof(path), "%s/" NEXT_BUILDID, d->path);
	id = manifest_find_file(m, path);
	return id && id->type == MANIFEST_FILE;
}

/* Whether `path` is a runtime-writable directory of release m: `<D>/cache`, D a build. */
static bool is_writable_dir(const struct manifest *m, const char *path)
{
	const char *slash = strrchr(path, '/');
	const struct manifest_file *parent;
	char dir[MANIFEST_MAX_PATH + 1];

	if (!slash || strcmp(slash + 1, NEXT_CACHE) || (size_t)(slash - path) >= sizeof(dir))
		return false;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	parent = manifest_find_file(m, dir);
	return parent && is_next_build(m, parent);
}

/* `<d>/cache` of a Next.js build: created writable unless the manifest lists that path. */
static int make_writable(int stagingfd, const struct manifest *m, const struct manifest_file *d,
                         struct err *err)
{
	char path[MANIFEST_MAX_PATH + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/" NEXT_CACHE, d->path);
	if (manifest_find_file(m, path))
		return 0;
	fd = open_beneath(stagingfd, d->path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fail_sys(err, "cannot open %.200s in staging", d->path);
	if (mkdirat(fd, NEXT_CACHE, 0755) < 0 || fchmodat(fd, NEXT_CACHE, 0755, 0) < 0) {
		fail_sys(err, "cannot create %.200s in staging", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct walk {
	char **path; /* directories still to visit, relative to the top */
	size_t n, cap;
};

static int walk_push(struct walk *w, const char *dir, const char *name, struct err *err)
{
	char *p;

	if (w->n == w->cap) {
		char **grown =
		    realloc(w->path, (w->cap = w->cap ? 2 * w->cap : 64) * sizeof(char *));

		if (!grown)
			return fail_oom(err);
		w->path = grown;
	}
	if (asprintf(&p, "%s%s%s", dir, *dir && *name ? "/" : "", name) < 0)
		return fail_oom(err);
	w->path[w->n++] = p;
	return 0;
}

/* Gives `mode` to directory `top` below topfd ("" is topfd itself, which is then left
 * alone) and every directory under it, except those `skip` names (not entered either).
 * One descriptor at a time, however deep the tree: directories still to visit are kept as
 * paths, opened with open_beneath. Symlinks are never followed. */
static int set_dir_modes(int topfd, const char *top, mode_t mode, const struct manifest *skip,
                         struct err *err)
{
	struct walk w = {0};
	int rc = walk_push(&w, top, "", err);

	while (rc == 0 && w.n) {
		char *dir = w.path[--w.n];
		struct dirent *de;
		DIR *d;
		int fd = *dir ? open_beneath(topfd, dir, O_RDONLY | O_DIRECTORY, 0) : dup(topfd);

		if (fd < 0 || !(d = fdopendir(fd))) {
			rc = fail_sys(err, "cannot open directory %.200s", *dir ? dir : ".");
			if (fd >= 0)
				close(fd);
			free(dir);
			break;
		}
		while (rc == 0 && (de = readdir(d))) {
			struct stat sb;
			char child[4352];

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (de->d_type != DT_DIR &&
			    (de->d_type != DT_UNKNOWN ||
			     fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
			     !S_ISDIR(sb.st_mode)))
				continue;
			snprintf(child, sizeof(child), "%s%s%s", dir, *dir ? "/" : "", de->d_name);
			if (skip && is_writable_dir(skip, child))
				continue;
			rc = walk_push(&w, dir, de->d_name, err);
		}
		if (rc == 0 && *dir && fchmod(dirfd(d), mode) < 0)
			rc = fail_sys(err, "cannot change the mode of %.200s", dir);
		closedir(d);
		free(dir);
	}
	for (size_t i = 0; i < w.n; i++)
		free(w.path[i]);
	free(w.path);
	return rc;
}

int seal_tree(int stagingfd, const struct manifest *m, struct err *err)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (is_next_build(m, &m->files[i]) &&
		    make_writable(stagingfd, m, &m->files[i], err) < 0)
			return -1;
	/* The tree as it is (the archive's directories and any the static assets brought). */
	return set_dir_modes(stagingfd, "", 0555, m, err);
}

int seal_dirs(int dirfd, const char *path, bool writable, struct err *err)
{
	return set_dir_modes(dirfd, path, writable ? 0755 : 0555, NULL, err);
}
