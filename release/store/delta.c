/* Delta install: hard links to identical files of installed releases (see delta.h). */
#include "release/store/delta.h"
#include "release/base/fileio.h"
#include "release/store/extract.h"
#include "release/store/reuse.h"
#include "release/store/store_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SOURCES 2

struct delta {
	int root[MAX_SOURCES]; /* releases/<v> of each source */
	char *version[MAX_SOURCES];
	size_t n;
	struct store *st;
	struct manifest *m[MAX_SOURCES]; /* delta_probe's, read on its first call */
	bool probed;
	pthread_t loader; /* delta_probe_prefetch's thread, while loading */
	bool loading;
	struct reuse *reuse;
	uint64_t files, bytes;
};

static void add_source(struct delta *d, struct store *st, const char *v, const char *installing)
{
	char path[512];
	int fd;

	if (!v || !*v || !strcmp(v, installing) || !store_is_installed(st, v))
		return;
	snprintf(path, sizeof(path), STORE_RELEASES "/%s", v);
	fd = openat(st->rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct stat a, b;

		if (fstat(fd, &a) == 0 && fstat(d->root[i], &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			close(fd);
			return;
		}
	}
	if (!(d->version[d->n] = strdup(v))) {
		close(fd);
		return;
	}
	d->root[d->n++] = fd;
}

int delta_open(struct store *st, const char *installing, struct delta **out, struct err *err)
{
	struct delta *d = calloc(1, sizeof(*d));
	struct store_state s = {0};
	char *current = NULL;
	struct err ignored;

	*out = NULL;
	if (!d)
		return fail_oom(err);
	d->st = st;
	if (reuse_new(&d->reuse, err) < 0) {
		delta_free(d);
		return -1;
	}
	/* Sources are an optimisation: a store whose `current` or state cannot be read simply
	 * links nothing (the install itself reads them again and reports). */
	if (store_current_version(st, &current, &ignored) == 0)
		add_source(d, st, current, installing);
	if (store_state_read(st, &s, &ignored) == 0 && s.has_high)
		add_source(d, st, s.high_version, installing);
	free(current);
	store_state_release(&s);
	*out = d;
	return 0;
}

void delta_free(struct delta *d)
{
	if (!d)
		return;
	delta_probe_ready(d);
	for (size_t i = 0; i < d->n; i++) {
		close(d->root[i]);
		free(d->version[i]);
		manifest_free(d->m[i]);
	}
	reuse_free(d->reuse);
	free(d);
}

size_t delta_sources(const struct delta *d)
{
	return d ? d->n : 0;
}

const int *delta_source_dirs(const struct delta *d)
{
	return d ? d->root : NULL;
}

const char *delta_base_version(const struct delta *d)
{
	return d && d->n ? d->version[0] : NULL;
}

int delta_base_open(struct delta *d, const char *path, uint64_t max, uint64_t *size,
                    uint8_t sha256[32])
{
	struct err ignored;
	struct stat sb;
	int fd;

	if (!d || !d->n)
		return -1;
	fd = open_regular_beneath(d->root[0], path, &sb, &ignored);
	if (fd < 0)
		return -1;
	if ((uint64_t)sb.st_size > max ||
	    reuse_sha256(d->reuse, fd, (uint64_t)sb.st_size, sha256) < 0) {
		close(fd);
		return -1;
	}
	*size = (uint64_t)sb.st_size;
	return fd;
}

/* The sources' manifests, for delta_probe. */
static void *load_manifests(void *arg)
{
	struct delta *d = arg;
	struct err ignored; /* a source whose manifest cannot be read offers nothing */

	for (size_t i = 0; i < d->n; i++)
		if (store_read_manifest(d->st, d->version[i], &d->m[i], &ignored) < 0)
			d->m[i] = NULL;
	return NULL;
}

void delta_probe_prefetch(struct delta *d)
{
	if (!d || d->probed || d->n == 0)
		return;
	/* Without a thread, delta_probe_ready reads them. */
	d->probed = d->loading = pthread_create(&d->loader, NULL, load_manifests, d) == 0;
}

void delta_probe_ready(struct delta *d)
{
	if (!d)
		return;
	if (d->loading) {
		pthread_join(d->loader, NULL);
		d->loading = false;
	}
	if (!d->probed) {
		d->probed = true;
		load_manifests(d);
	}
}

bool delta_probe(struct delta *d, const struct manifest_file *f)
{
	if (!d || f->type != MANIFEST_FILE)
		return false;
	delta_probe_ready(d);
	for (size_t i = 0; i < d->n; i++) {
		const struct manifest_file *g =
		    d->m[i] ? manifest_find_file(d->m[i], f->path) : NULL;

		if (g && g->type == MANIFEST_FILE && g->mode == f->mode && g->size == f->size &&
		    !memcmp(g->sha256, f->sha256, 32))
			return true;
	}
	return false;
}

void delta_stats(const struct delta *d, uint64_t *files, uint64_t *bytes)
{
	*files = d ? d->files : 0;
	*bytes = d ? d->bytes : 0;
}

int delta_link_using(struct delta *d, struct reuse *r, const struct manifest_file *f, int pfd,
                     const char *base, struct err *err)
{
	for (size_t i = 0; i < d->n; i++) {
		int fd = reuse_link(r, d->root[i], f, pfd, base, NULL, err);

		if (fd != -1)
			return fd; /* linked, or -2 */
		/* not reusable, or EMLINK, EXDEV, EPERM: the next source, else written */
	}
	return -1;
}

int delta_candidate(struct delta *d, struct reuse *r, const struct manifest_file *f, size_t *src,
                    struct stat *sb)
{
	for (size_t i = 0; i < d->n; i++) {
		int fd = reuse_candidate(r, d->root[i], f, sb);

		if (fd >= 0) {
			*src = i;
			return fd;
		}
	}
	return -1;
}

int delta_link_verified(struct delta *d, struct reuse *r, size_t src, int fd, const struct stat *sb,
                        const struct manifest_file *f, int pfd, const char *base, struct err *err)
{
	return reuse_link_verified(r, fd, sb, d->root[src], f, pfd, base, NULL, err);
}

int delta_link(void *ctx, const struct manifest_file *f, int pfd, const char *base, struct err *err)
{
	struct delta *d = ctx;
	int fd = delta_link_using(d, d->reuse, f, pfd, base, err);

	if (fd >= 0) {
		d->files++;
		d->bytes += f->size;
	}
	return fd;
}
