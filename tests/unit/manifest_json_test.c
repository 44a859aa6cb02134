#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A manifest with its top-level fields set and room for n_files entries (n_files set). */
static struct manifest *with_fields(const char *app, const char *version, size_t n_files)
{
	struct manifest *m = manifest_new();

	cr_assert_not_null(m);
	m->app = strdup(app);
	m->version = strdup(version);
	m->serial = 1;
	m->commit = strdup("");
	m->build_time = strdup("2026-11-25T06:00:00Z");
	m->slipway_version = strdup("0.1.0");
	cr_assert_eq(manifest_alloc_files(m, n_files), 0);
	m->n_files = n_files;
	return m;
}

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
	struct manifest *m = with_fields("mediai", "v1", 3), *back = NULL;
	struct err err;
	char *json = NULL;
	size_t len = 0;

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

/* A manifest of n files under one directory, each line about 170 bytes. */
static struct manifest *many_files(size_t n)
{
	struct manifest *m = with_fields("bench", "v2", n + 1);

	m->files[0].path = strdup("tree");
	m->files[0].type = MANIFEST_DIR;
	m->files[0].mode = 0755;
	for (size_t i = 1; i <= n; i++) {
		char path[64];

		snprintf(path, sizeof(path), "tree/f%06zu.js", i);
		m->files[i].path = strdup(path);
		m->files[i].type = MANIFEST_FILE;
		m->files[i].mode = i % 7 ? 0644 : 0755;
		m->files[i].size = i * 31;
		memset(m->files[i].sha256, (int)(i & 0xff), 32);
	}
	return m;
}

/* Streamed in pieces to a file, the bytes are manifest_to_json's: over many pieces (6,000
 * files: about ten flushes) and in one (a single file). */
Test(manifest_json, written_to_a_file_in_pieces_it_is_the_same_bytes)
{
	size_t sizes[] = {1, 6000};

	for (size_t k = 0; k < 2; k++) {
		struct manifest *m = many_files(sizes[k]);
		char path[] = "/tmp/slipway-manifest-json-XXXXXX", *json = NULL, *back = NULL;
		size_t len = 0;
		struct err err;
		int fd = mkstemp(path);
		ssize_t got;

		cr_assert_geq(fd, 0);
		cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
		cr_assert_eq(manifest_write_json(m, fd, &err), 0, "%s", err.msg);
		cr_assert_eq(lseek(fd, 0, SEEK_END), (off_t)len);
		back = malloc(len);
		got = pread(fd, back, len, 0);
		cr_assert_eq(got, (ssize_t)len);
		cr_assert_eq(memcmp(back, json, len), 0, "%zu files: the bytes differ", sizes[k]);
		if (k == 1)
			cr_assert_gt(len, 10 * (64u << 10), "too small to need several pieces");
		close(fd);
		unlink(path);
		free(back);
		free(json);
		manifest_free(m);
	}
}

Test(manifest_json, a_failed_write_or_an_invalid_manifest_is_an_error)
{
	struct manifest *m = many_files(4000);
	struct err err;
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);

	cr_assert_geq(full, 0);
	cr_assert_eq(manifest_write_json(m, full, &err), -1);
	cr_assert_not_null(strstr(err.msg, "No space left"), "%s", err.msg);
	close(full);
	/* Out of order: refused before anything is written. */
	free(m->files[1].path);
	m->files[1].path = strdup("tree/z");
	cr_assert_eq(manifest_write_json(m, -1, &err), -1);
	manifest_free(m);
}
