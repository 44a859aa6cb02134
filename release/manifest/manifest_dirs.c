/* The release's writable and static directories (specs/manifest.md "Writable and static
 * directories"). The packer declares them; this file holds the one place that still knows a
 * framework's layout: the defaults of manifests written before the keys existed, which were
 * read as a Next.js build's. */
#include "release/manifest/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEGACY_NEXT_DIR    ".next"
#define LEGACY_NEXT_ID     "BUILD_ID"
#define LEGACY_NEXT_CACHE  "cache"
#define LEGACY_NEXT_STATIC ".next/static"

static bool in_list(char *const *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], path))
			return true;
	return false;
}

bool manifest_is_writable_dir(const struct manifest *m, const char *path)
{
	return in_list(m->writable_dirs, m->n_writable_dirs, path);
}

bool manifest_is_static_dir(const struct manifest *m, const char *path)
{
	return in_list(m->static_dirs, m->n_static_dirs, path);
}

static int push(char ***v, size_t *n, const char *path)
{
	char **grown = realloc(*v, (*n + 2) * sizeof(char *));

	if (!grown)
		return -1;
	*v = grown;
	if (!(grown[*n] = strdup(path)))
		return -1;
	grown[++*n] = NULL;
	return 0;
}

/* `path` ends with the components `tail` (the whole path, or after a '/'). */
static bool ends_with(const char *path, const char *tail)
{
	size_t n = strlen(path), k = strlen(tail);

	return n >= k && !strcmp(path + n - k, tail) && (n == k || path[n - k - 1] == '/');
}

/* A directory named .next that holds a regular file BUILD_ID: a Next.js build. */
static bool legacy_next_build(const struct manifest *m, const struct manifest_file *d)
{
	char path[MANIFEST_MAX_PATH + 16];
	const struct manifest_file *id;

	if (d->type != MANIFEST_DIR || !ends_with(d->path, LEGACY_NEXT_DIR))
		return false;
	snprintf(path, sizeof(path), "%s/" LEGACY_NEXT_ID, d->path);
	id = manifest_find_file(m, path);
	return id && id->type == MANIFEST_FILE;
}

int manifest_dirs_infer(struct manifest *m, struct err *err)
{
	char path[MANIFEST_MAX_PATH + 16];

	for (size_t i = 0; i < m->n_files; i++) {
		const struct manifest_file *f = &m->files[i];
		const struct manifest_file *there;

		if (!m->writable_declared && legacy_next_build(m, f) &&
		    (size_t)snprintf(path, sizeof(path), "%s/" LEGACY_NEXT_CACHE, f->path) <=
		        MANIFEST_MAX_PATH &&
		    (!(there = manifest_find_file(m, path)) || there->type == MANIFEST_DIR) &&
		    push(&m->writable_dirs, &m->n_writable_dirs, path) < 0)
			return fail_oom(err);
		if (!m->static_declared && f->type == MANIFEST_DIR &&
		    ends_with(f->path, LEGACY_NEXT_STATIC) &&
		    push(&m->static_dirs, &m->n_static_dirs, f->path) < 0)
			return fail_oom(err);
	}
	return 0;
}

bool manifest_service_runs_nextjs(const struct manifest *m, const struct manifest_service *s)
{
	char path[MANIFEST_MAX_PATH + 32];
	const struct manifest_file *id;
	bool root = !s->cwd || !*s->cwd || !strcmp(s->cwd, ".");

	if ((size_t)snprintf(path, sizeof(path), "%s%s" LEGACY_NEXT_DIR "/" LEGACY_NEXT_ID,
	                     root ? "" : s->cwd, root ? "" : "/") >= sizeof(path))
		return false;
	id = manifest_find_file(m, path);
	return id && id->type == MANIFEST_FILE;
}
