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

mode_t seal_file_mode(mode_t mode)
{
	return mode & 0555;
}

/* A writable directory of the manifest: created empty and writable unless it lists that path
 * (then it is the archive's directory, left writable). Its parent is a directory of the
 * release (manifest_validate; format 1's defaults are built that way). */
static int make_writable(int stagingfd, const struct manifest *m, const char *path, struct err *err)
{
	const char *slash = strrchr(path, '/');
	char parent[MANIFEST_MAX_PATH + 1];
	int fd;

	if (manifest_find_file(m, path))
		return 0;
	if (slash) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
		fd = open_beneath(stagingfd, parent, O_RDONLY | O_DIRECTORY, 0);
	} else {
		fd = dup(stagingfd);
	}
	if (fd < 0)
		return fail_sys(err, "cannot open the parent of %.200s in staging", path);
	if (mkdirat(fd, slash ? slash + 1 : path, 0755) < 0 ||
	    fchmodat(fd, slash ? slash + 1 : path, 0755, 0) < 0) {
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
			if (skip && manifest_is_writable_dir(skip, child))
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
	for (size_t i = 0; i < m->n_writable_dirs; i++)
		if (make_writable(stagingfd, m, m->writable_dirs[i], err) < 0)
			return -1;
	/* The tree as it is (the archive's directories and any the static assets brought). */
	return set_dir_modes(stagingfd, "", 0555, m, err);
}

int seal_dirs(int dirfd, const char *path, bool writable, struct err *err)
{
	return set_dir_modes(dirfd, path, writable ? 0755 : 0555, NULL, err);
}
