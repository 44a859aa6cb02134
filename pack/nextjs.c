/* A Next.js build's layout (see nextjs.h). */
#include "pack/nextjs.h"
#include "release/base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIND_DEPTH 8

static bool is_file_at(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, 0) == 0 && S_ISREG(st.st_mode);
}

void nextjs_config_file(int dfd, char *out, size_t cap)
{
	static const char *const names[] = {"next.config.js", "next.config.mjs", "next.config.ts"};

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (is_file_at(dfd, names[i])) {
			snprintf(out, cap, "%s", names[i]);
			return;
		}
}

bool nextjs_wants_standalone(int dfd, const char *config_file)
{
	struct stat st;
	struct err err;
	char *text = NULL;
	size_t len = 0;
	bool yes;

	/* Without a next.config only the build script says: the standalone shape, checked after
	 * it (a project made by create-next-app always has one). */
	if (!config_file || !*config_file)
		return true;
	if (read_file_at(dfd, config_file, 1u << 20, 0, &text, &len, &err) < 0)
		return false;
	yes = memmem(text, len, "standalone", 10) != NULL ||
	      fstatat(dfd, NEXT_STANDALONE, &st, 0) == 0;
	free(text);
	return yes;
}

/* Next's tracing root (next/dist/lib/find-root.js): the directory of the topmost lockfile
 * at or above the project, else the project. */
static bool has_lockfile(const char *dir)
{
	static const char *const locks[] = {"pnpm-lock.yaml", "package-lock.json", "yarn.lock",
	                                    "bun.lock", "bun.lockb"};
	char path[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof(locks) / sizeof(locks[0]); i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, locks[i]) < sizeof(path) &&
		    stat(path, &st) == 0)
			return true;
	return false;
}

int nextjs_predict_server_dir(const char *project_dir, char *out, size_t cap, struct err *err)
{
	char dir[PATH_MAX];
	size_t root_len = strlen(project_dir);
	char *slash;

	snprintf(dir, sizeof(dir), "%s", project_dir);
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (has_lockfile(dir))
			root_len = strlen(dir);
	}
	if (strlen(project_dir) == root_len) {
		if ((size_t)snprintf(out, cap, NEXT_STANDALONE) >= cap)
			return fail(err, "path too long");
		return 0;
	}
	if ((size_t)snprintf(out, cap, NEXT_STANDALONE "/%s", project_dir + root_len + 1) >= cap)
		return fail(err, "the project's path from its workspace root is too long");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int find_in(int dfd, const char *rel, int depth, struct strlist *found, struct err *err)
{
	int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0
		                                           : fail_sys(err, "cannot open %s", rel);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return fail_sys(err, "cannot list %s", rel);
	}
	if (is_file_at(fd, NEXT_SERVER) && strlist_push(found, rel) < 0)
		rc = fail_oom(err);
	while (rc == 0 && depth < FIND_DEPTH && (de = readdir(d))) {
		char child[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "node_modules") ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", rel, de->d_name) >=
		    sizeof(child))
			continue;
		rc = find_in(dfd, child, depth + 1, found, err);
	}
	closedir(d);
	return rc;
}

int nextjs_find_servers(int dfd, struct strlist *found, struct err *err)
{
	if (find_in(dfd, NEXT_STANDALONE, 0, found, err) < 0)
		return -1;
	if (found->n > 1)
		qsort(found->v, found->n, sizeof(char *), cmp_str);
	return 0;
}

/* `path` is `dir` or below it. */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

char *nextjs_dest(const char *server_dir, const char *inc)
{
	char *d;

	if (!server_dir || (!under(inc, NEXT_STATIC) && !under(inc, NEXT_PUBLIC)))
		return strdup(inc);
	return asprintf(&d, "%s/%s", server_dir, inc) < 0 ? NULL : d;
}

static const struct pack_entry *tree_find(const struct pack_tree *tree, const char *path)
{
	for (size_t i = 0; i < tree->n; i++)
		if (!strcmp(tree->v[i].path, path))
			return &tree->v[i];
	return NULL;
}

int nextjs_release_dirs(const struct pack_tree *tree, const char *build_dir,
                        struct strlist *writable, struct strlist *static_dirs)
{
	const struct pack_entry *e;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/BUILD_ID", build_dir);
	e = tree_find(tree, path);
	if (e && e->type == MANIFEST_FILE) {
		snprintf(path, sizeof(path), "%s/cache", build_dir);
		e = tree_find(tree, path);
		if ((!e || e->type == MANIFEST_DIR) && strlist_push(writable, path) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/static", build_dir);
	e = tree_find(tree, path);
	if (e && e->type == MANIFEST_DIR && strlist_push(static_dirs, path) < 0)
		return -1;
	return 0;
}
