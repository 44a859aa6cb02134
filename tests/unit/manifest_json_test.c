#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdlib.h>
#include <string.h>

/* A file line longer than any fixed formatting buffer (an 8-digit size is enough) must
 * serialise whole: before the fix the line was cut at 127 bytes and the declared length
 * copied stack bytes (NULs) into the JSON, which every install then refused. */
Test(manifest_json, long_file_lines_round_trip_without_nul_bytes)
{
	static const char *paths[] = {
	    "a",
	    "a/sharp-libvips-linux-x64",
	    ("a/sharp-libvips-linux-x64/libvips-cpp.so.8.18.7-with-a-rather-long-name-to-pass-"
	     "the-old-buffer"),
	};
	struct manifest *m = manifest_new(), *back = NULL;
	struct err err;
	char *json = NULL;
	size_t len = 0;

	cr_assert_not_null(m);
	m->app = strdup("mediai");
	m->version = strdup("v1");
	m->serial = 1;
	m->commit = strdup("");
	m->build_time = strdup("2026-11-25T06:00:00Z");
	m->slipway_version = strdup("0.1.0");
	m->n_files = 3;
	cr_assert_eq(manifest_alloc_files(m, 3), 0);
	for (size_t i = 0; i < 3; i++) {
		m->files[i].path = strdup(paths[i]);
		m->files[i].type = i < 2 ? MANIFEST_DIR : MANIFEST_FILE;
		m->files[i].mode = 0755;
	}
	m->files[2].mode = 0644;
	m->files[2].size = 18699288; /* libvips-cpp.so in a Next.js standalone tree */
	memset(m->files[2].sha256, 0xab, 32);

	cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(json), len, "the JSON has a NUL byte at %zu of %zu", strlen(json), len);
	cr_assert_not_null(strstr(json, "\"size\": 18699288, \"sha256\": \"abab"));
	cr_assert_eq(manifest_parse(json, len, &back, &err), 0, "%s", err.msg);
	cr_assert_eq(back->files[2].size, m->files[2].size);
	cr_assert_eq(memcmp(back->files[2].sha256, m->files[2].sha256, 32), 0);
	free(json);
	manifest_free(back);
	manifest_free(m);
}
