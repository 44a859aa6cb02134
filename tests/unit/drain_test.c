#include <criterion/criterion.h>

#include "pack/drain.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/slipway-drain-test.XXXXXX";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	struct err err;

	remove_tree_at(AT_FDCWD, dir, &err);
}

/* Writes dir/pkg/name (its directories created). */
static void put(const char *pkg, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "mkdir -p \"$(dirname '%s/%s/%s')\"", dir, pkg, name);
	cr_assert_eq(system(path), 0);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, pkg, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static int node(const char *text, struct drain_found *f)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY), r;

	put("n", "dist/worker.cjs", text);
	r = drain_read_node(dfd, "n", f);
	close(dfd);
	return r;
}

static int python(const char *text, struct drain_found *f)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY), r;

	put("p", "worker.py", text);
	r = drain_read_python(dfd, "p", f);
	close(dfd);
	return r;
}

Test(drain, node_default_follows_the_constant_it_names, .init = make_dir, .fini = remove_dir)
{
	struct drain_found f;

	put("n", "package.json", "{\"name\": \"@livekit/agents\", \"version\": \"1.9.0\"}");
	cr_assert(node("this.drainTimeout = drainTimeout;\nconst DRAIN_TIMEOUT = 60 * 60 * 1e3;\n"
	               "  constructor({ drainTimeout = DRAIN_TIMEOUT, port = undefined }) {}\n",
	               &f));
	cr_assert_eq(f.drain_ms, 3600000);
	cr_assert_str_eq(f.version, "1.9.0");
	cr_assert_str_eq(f.file, "n/dist/worker.cjs");
}

Test(drain, node_literal_default, .init = make_dir, .fini = remove_dir)
{
	struct drain_found f;

	cr_assert(node("function f({drainTimeout = 1_800_000}) {}\n", &f));
	cr_assert_eq(f.drain_ms, 1800000);
	cr_assert_str_eq(f.version, "?");
}

Test(drain, python_annotated_defaults_in_seconds, .init = make_dir, .fini = remove_dir)
{
	struct drain_found f;

	put("p", "version.py", "__version__ = '1.2.3'\n");
	cr_assert(python("    drain_timeout: int = 1800\n", &f));
	cr_assert_eq(f.drain_ms, 1800000);
	cr_assert_str_eq(f.version, "1.2.3");
	cr_assert(python("def __init__(self, *, drain_timeout: float = 60 * 60.0, port=0):\n", &f));
	cr_assert_eq(f.drain_ms, 3600000);
}

Test(drain, no_number_is_not_found, .init = make_dir, .fini = remove_dir)
{
	struct drain_found f;

	cr_assert_not(python("drain_timeout: NotGivenOr[int] = NOT_GIVEN\n"
	                     "self._drain_timeout = drain_timeout\n",
	                     &f));
	cr_assert_not(python("max_drain_timeout = 5\nif drain_timeout == 3: pass\n", &f));
	cr_assert_not(node("drainTimeout?: number;\nx.drainTimeout = 5;\n", &f));
	cr_assert_not(node("drainTimeout = 0.5;\n", &f), "under a second is no drain timeout");
	cr_assert_not(node("drainTimeout = 60 ** 9;\n", &f));
}
