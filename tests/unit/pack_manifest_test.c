#include <criterion/criterion.h>

#include "pack/collect.h"
#include "pack/config.h"
#include "pack/release_manifest.h"
#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdlib.h>
#include <string.h>

static void add(struct pack_tree *t, const char *path, enum manifest_file_type type, uint64_t size)
{
	struct pack_entry *e;

	t->v = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	e->type = type;
	e->mode = type == MANIFEST_FILE ? 0644 : 0755;
	e->size = size;
	memset(e->sha256, 0xab, sizeof(e->sha256));
}

/* A big file's line is longer than a small formatting buffer: it must still serialise
 * exactly (this once wrote stray bytes into the manifest). */
Test(pack_manifest, large_files_and_long_paths_round_trip)
{
	struct pack_config cfg;
	struct pack_tree tree = {0};
	struct manifest *m = NULL, *back = NULL;
	struct release_facts facts = {"app", "1.0", 7, "", false, 1700000000, NULL, NULL};
	struct err err;
	char *json = NULL, longname[300];
	size_t len = 0;

	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "d/", 2);
	longname[250] = '\0';
	config_init(&cfg);
	add(&tree, "d", MANIFEST_DIR, 0);
	add(&tree, longname, MANIFEST_FILE, UINT64_C(9007199254740991));
	add(&tree, "d/small", MANIFEST_FILE, 18699288);
	cr_assert_eq(release_manifest_build(&cfg, &tree, &facts, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(json), len, "NUL byte inside the manifest");
	cr_assert_eq(manifest_parse(json, len, &back, &err), 0, "%s\n%s", err.msg, json);
	cr_assert_eq(back->n_files, 3);
	cr_assert_eq(back->files[1].size, UINT64_C(9007199254740991));
	cr_assert_eq(back->files[2].size, 18699288);
	cr_assert_str_eq(back->build_time, "2023-11-14T22:13:20Z");
	cr_assert_eq(back->serial, 7);
	manifest_free(back);
	manifest_free(m);
	free(json);
	pack_tree_release(&tree);
	config_release(&cfg);
}
