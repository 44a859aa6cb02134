#include <criterion/criterion.h>

#include "pack/nextjs.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/slipway-nextjs-test.XXXXXX";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	struct err err;

	remove_tree_at(AT_FDCWD, dir, &err);
}

/* Creates DIR/path (parents too); a trailing '/' makes a directory, else an empty file. */
static void touch(const char *path)
{
	char full[PATH_MAX], *p;
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	for (p = full + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	if (full[strlen(full) - 1] == '/')
		return;
	f = fopen(full, "w");
	cr_assert_not_null(f, "%s", full);
	fclose(f);
}

Test(nextjs, the_server_dir_is_the_path_from_the_topmost_lockfile, .init = make_dir,
     .fini = remove_dir)
{
	char out[PATH_MAX], project[PATH_MAX];
	struct err err;

	touch("repo/apps/web/package.json");
	snprintf(project, sizeof(project), "%s/repo/apps/web", dir);
	cr_assert_eq(nextjs_predict_server_dir(project, out, sizeof(out), &err), 0);
	cr_assert_str_eq(out, ".next/standalone", "no lockfile: the project is the root");
	touch("repo/apps/web/package-lock.json");
	cr_assert_eq(nextjs_predict_server_dir(project, out, sizeof(out), &err), 0);
	cr_assert_str_eq(out, ".next/standalone", "its own lockfile");
	touch("repo/pnpm-lock.yaml");
	cr_assert_eq(nextjs_predict_server_dir(project, out, sizeof(out), &err), 0);
	cr_assert_str_eq(out, ".next/standalone/apps/web", "the topmost lockfile wins, as in Next");
}

Test(nextjs, finds_every_standalone_server_but_in_node_modules, .init = make_dir,
     .fini = remove_dir)
{
	struct strlist found = {0};
	struct err err;
	int fd;

	touch(".next/standalone/apps/web/server.js");
	touch(".next/standalone/node_modules/pkg/server.js");
	touch(".next/standalone/apps/web/.next/server.js");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(nextjs_find_servers(fd, &found, &err), 0, "%s", err.msg);
	cr_assert_eq(found.n, 1);
	cr_assert_str_eq(found.v[0], ".next/standalone/apps/web");
	touch(".next/standalone/server.js");
	strlist_clear(&found);
	cr_assert_eq(nextjs_find_servers(fd, &found, &err), 0, "%s", err.msg);
	cr_assert_eq(found.n, 2);
	cr_assert_str_eq(found.v[0], ".next/standalone");
	cr_assert_str_eq(found.v[1], ".next/standalone/apps/web");
	strlist_clear(&found);
	close(fd);
}

Test(nextjs, static_and_public_follow_the_server)
{
	char *d;

	cr_assert_str_eq((d = nextjs_dest(".next/standalone/apps/web", ".next/static")),
	                 ".next/standalone/apps/web/.next/static");
	free(d);
	cr_assert_str_eq((d = nextjs_dest(".next/standalone/apps/web", "public/img")),
	                 ".next/standalone/apps/web/public/img");
	free(d);
	cr_assert_str_eq((d = nextjs_dest(".next/standalone", "publicity")), "publicity");
	free(d);
	cr_assert_str_eq((d = nextjs_dest(".next/standalone", ".next/standalone")),
	                 ".next/standalone");
	free(d);
	cr_assert_str_eq((d = nextjs_dest(NULL, "public")), "public");
	free(d);
}

static void add(struct pack_tree *t, const char *path, enum manifest_file_type type)
{
	t->v = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	t->v[t->n].path = (char *)path;
	t->v[t->n].type = type;
	t->n++;
}

Test(nextjs, declares_cache_for_a_build_and_static_when_shipped)
{
	struct pack_tree t = {0};
	struct strlist w = {0}, s = {0};

	add(&t, "x/.next", MANIFEST_DIR);
	add(&t, "x/.next/static", MANIFEST_DIR);
	cr_assert_eq(nextjs_release_dirs(&t, "x/.next", &w, &s), 0);
	cr_assert_eq(w.n, 0, "no BUILD_ID: not a build, nothing writable");
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.v[0], "x/.next/static");
	strlist_clear(&s);
	add(&t, "x/.next/BUILD_ID", MANIFEST_FILE);
	cr_assert_eq(nextjs_release_dirs(&t, "x/.next", &w, &s), 0);
	cr_assert_eq(w.n, 1);
	cr_assert_str_eq(w.v[0], "x/.next/cache");
	strlist_clear(&w);
	strlist_clear(&s);
	add(&t, "x/.next/cache", MANIFEST_FILE);
	cr_assert_eq(nextjs_release_dirs(&t, "x/.next", &w, &s), 0);
	cr_assert_eq(w.n, 0, "a file named cache is not made a directory");
	strlist_clear(&s);
	free(t.v);
}
