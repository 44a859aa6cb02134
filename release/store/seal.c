/* Read-only release trees with their runtime-writable directories (see seal.h). */
#include "release/store/seal.h"
#include "release/store/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
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

/* `<d>/cache` of a Next.js build: created writable unless the manifest lists that path. */
static int make_writable(int stagingfd, const struct manifest *m, const struct manifest_file *d,
                         struct err *err)
{
	const struct manifest_file *listed;
	char path[MANIFEST_MAX_PATH + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/" NEXT_CACHE, d->path);
	listed = manifest_find_file(m, path);
	if (listed)
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

static bool listed_writable(const struct manifest *m, const struct manifest_file *d)
{
	const char *slash = strrchr(d->path, '/');
	const struct manifest_file *parent;
	char path[MANIFEST_MAX_PATH + 1];

	if (!slash || strcmp(slash + 1, NEXT_CACHE))
		return false;
	memcpy(path, d->path, (size_t)(slash - d->path));
	path[slash - d->path] = '\0';
	parent = manifest_find_file(m, path);
	return parent && is_next_build(m, parent);
}

int seal_tree(int stagingfd, const struct manifest *m, struct err *err)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (is_next_build(m, &m->files[i]) &&
		    make_writable(stagingfd, m, &m->files[i], err) < 0)
			return -1;
	for (size_t i = 0; i < m->n_files; i++) {
		const struct manifest_file *d = &m->files[i];
		int fd;

		if (d->type != MANIFEST_DIR || listed_writable(m, d))
			continue;
		fd = open_beneath(stagingfd, d->path, O_RDONLY | O_DIRECTORY, 0);
		if (fd < 0)
			return fail_sys(err, "cannot open %.200s in staging", d->path);
		if (fchmod(fd, 0555) < 0) {
			fail_sys(err, "cannot make %.200s read-only", d->path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}
