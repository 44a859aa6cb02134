#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/base/fileio.h"
#include "runtime/preload.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/slipway-preload-test.XXXXXX";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	struct err err;

	remove_tree_at(AT_FDCWD, dir, &err);
}

static void write_text(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static int detects(char **argv)
{
	struct svc_spec spec = {0};

	spec.argv = argv;
	spec.cwd = dir;
	return preload_is_next_standalone(&spec);
}

Test(preload, detects_a_stock_nextjs_standalone_server, .init = make_dir, .fini = remove_dir)
{
	char *plain[] = {"node", "server.js", NULL};
	char *opts[] = {"/usr/local/bin/node", "--enable-source-maps", "server.js", NULL};
	char *other[] = {"node", "app.js", NULL};
	char *python[] = {"python3", "server.js", NULL};
	char *missing[] = {"node", "nope.js", NULL};

	write_text("server.js", "require('next')\nconst { startServer } = "
	                        "require('next/dist/server/lib/start-server')\n");
	write_text("app.js", "require('http').createServer().listen(process.env.PORT)\n");
	cr_assert(detects(plain));
	cr_assert(detects(opts));
	cr_assert_not(detects(other), "a plain Node server is not Next.js");
	cr_assert_not(detects(python), "only node runs the server");
	cr_assert_not(detects(missing));
}

Test(preload, detects_next_start_run_in_its_own_process)
{
	char *bin[] = {"node_modules/.bin/next", "start", NULL};
	char *bare[] = {"next", "start", "-p", "5000", NULL};
	char *script[] = {"node", "node_modules/next/dist/bin/next", "start", NULL};
	char *opts[] = {"/usr/bin/node",
	                "--max-old-space-size=512",
	                "node_modules/.bin/next",
	                "start",
	                "-H",
	                "0.0.0.0",
	                NULL};
	char *dev[] = {"node_modules/.bin/next", "dev", NULL};
	char *build[] = {"node", "node_modules/next/dist/bin/next", "build", NULL};
	char *npm[] = {"npm", "start", NULL};
	char *npx[] = {"npx", "next", "start", NULL};
	char *nothing[] = {"next", NULL};

	cr_assert(detects(bin));
	cr_assert(detects(bare));
	cr_assert(detects(script));
	cr_assert(detects(opts));
	cr_assert_not(detects(dev));
	cr_assert_not(detects(build));
	/* The server runs in a child of npm's: the preload would not reach it. */
	cr_assert_not(detects(npm));
	cr_assert_not(detects(npx));
	cr_assert_not(detects(nothing));
}

Test(preload, node_options_put_the_preload_first_quoted)
{
	char *o = preload_node_options("/srv/my store/run/\"x\".cjs", "--max-old-space-size=512");

	cr_assert_str_eq(
	    o,
	    "NODE_OPTIONS=--require \"/srv/my store/run/\\\"x\\\".cjs\" --max-old-space-size=512");
	free(o);
	o = preload_node_options("/a\\b.cjs", NULL);
	cr_assert_str_eq(o, "NODE_OPTIONS=--require \"/a\\\\b.cjs\"");
	free(o);
}

Test(preload, installs_the_shipped_file, .init = make_dir, .fini = remove_dir)
{
	char run[256], path[512], *got = NULL, *want = NULL;
	struct err err;
	struct stat sb;
	size_t gl, wl;

	snprintf(run, sizeof(run), "%s/run", dir);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(preload_install(dir, path, sizeof(path), &err), 0, "%s", err.msg);
	cr_assert_eq(strncmp(path, run, strlen(run)), 0);
	cr_assert_eq(read_file_at(AT_FDCWD, path, 1 << 20, 1, &got, &gl, &err), 0, "%s", err.msg);
	/* The unit tests run from the top of the tree. */
	cr_assert_eq(read_file_at(AT_FDCWD, "runtime/preload.js", 1 << 20, 1, &want, &wl, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(gl, wl);
	cr_assert_str_eq(got, want);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0644);
	free(got);
	free(want);
	snprintf(path, sizeof(path), "%s/python/sitecustomize.py", run);
	cr_assert_eq(read_file_at(AT_FDCWD, path, 1 << 20, 1, &got, &gl, &err), 0, "%s", err.msg);
	cr_assert_eq(
	    read_file_at(AT_FDCWD, "runtime/sitecustomize.py", 1 << 20, 1, &want, &wl, &err), 0,
	    "%s", err.msg);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
}

/* A worker spec with health ports from 8081 and the given environment. */
static void worker_spec(struct svc_spec *s, const char *const *env)
{
	struct err err;

	memset(s, 0, sizeof(*s));
	s->health_base = 8081;
	s->envp = calloc(1, sizeof(char *));
	for (; *env; env += 2)
		cr_assert_eq(svc_spec_set_env(s, env[0], env[1], &err), 0);
}

Test(preload, health_env_points_a_worker_at_both_hooks_once, .init = make_dir, .fini = remove_dir)
{
	static const char *const env[] = {"NODE_OPTIONS", "--max-old-space-size=512", "PYTHONPATH",
	                                  "/app/deps", NULL};
	static const char *const none[] = {NULL};
	char run[256], path[512], want[1024];
	struct svc_spec s;
	struct err err;
	int i;

	snprintf(run, sizeof(run), "%s/run", dir);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(preload_install(dir, path, sizeof(path), &err), 0, "%s", err.msg);
	worker_spec(&s, env);
	for (i = 0; i < 2; i++) /* a restart applies it again: nothing doubles */
		cr_assert_eq(preload_health_env(&s, &err), 0);
	cr_assert_str_eq(svc_env_get(s.envp, "SLIPWAY_HEALTH_REDIRECT"), "8081");
	snprintf(want, sizeof(want), "--require \"%s\" --max-old-space-size=512", path);
	cr_assert_str_eq(svc_env_get(s.envp, "NODE_OPTIONS"), want);
	snprintf(want, sizeof(want), "%s/python:/app/deps", run);
	cr_assert_str_eq(svc_env_get(s.envp, "PYTHONPATH"), want);
	svc_spec_release(&s);

	worker_spec(&s, none);
	cr_assert_eq(preload_health_env(&s, &err), 0);
	snprintf(want, sizeof(want), "%s/python", run);
	cr_assert_str_eq(svc_env_get(s.envp, "PYTHONPATH"), want);
	svc_spec_release(&s);
}

Test(preload, health_env_leaves_alone_a_service_that_turns_it_off, .init = make_dir,
     .fini = remove_dir)
{
	static const char *const off[] = {"SLIPWAY_HEALTH_REDIRECT", "off", NULL};
	static const char *const none[] = {NULL};
	char run[256], path[512];
	struct svc_spec s;
	struct err err;

	snprintf(run, sizeof(run), "%s/run", dir);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(preload_install(dir, path, sizeof(path), &err), 0, "%s", err.msg);
	worker_spec(&s, off);
	cr_assert_eq(preload_health_env(&s, &err), 0);
	cr_assert_str_eq(svc_env_get(s.envp, "SLIPWAY_HEALTH_REDIRECT"), "off");
	cr_assert_null(svc_env_get(s.envp, "NODE_OPTIONS"));
	cr_assert_null(svc_env_get(s.envp, "PYTHONPATH"));
	svc_spec_release(&s);

	worker_spec(&s, none);
	s.health_base = 0; /* no health port: not a worker slipway gives ports to */
	cr_assert_eq(preload_health_env(&s, &err), 0);
	cr_assert_null(s.envp[0]);
	svc_spec_release(&s);
}
