/* libFuzzer target: patchset_apply on untrusted patch set bytes (all but the first byte, which
 * says which files the host lacks) for a fixed manifest (two directories, two files). Whatever the
 * input, nothing may be created outside the staging directory, and a patch set accepted must have
 * left exactly the manifest's bytes; the staging directory is removed after each run. The host has
 * one base: "hello\n" (app/index.txt's own bytes). */
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_digest.h"
#include "release/store/patchset.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char manifest_json[] =
    "{\"format\": 1, \"app\": \"testapp\", \"version\": \"1.0.0\", \"serial\": 1, \"commit\": "
    "\"\", \"dirty\": false, \"build_time\": \"2026-11-25T06:00:00Z\", \"slipway_version\": "
    "\"0.1.0\", \"secrets\": {\"required\": [], \"optional\": []}, \"services\": [], "
    "\"files\": [{\"path\": \"app\", \"type\": \"dir\", \"mode\": \"0755\"}, {\"path\": "
    "\"app/index.txt\", \"type\": \"file\", \"mode\": \"0644\", \"size\": 6, \"sha256\": "
    "\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\"}, {\"path\": "
    "\"bin\", \"type\": \"dir\", \"mode\": \"0755\"}, {\"path\": \"bin/start.sh\", \"type\": "
    "\"file\", \"mode\": \"0755\", \"size\": 10, \"sha256\": "
    "\"a8076d3d28d21e02012b20eaf7dbf75409a6277134439025f282e368e3305abf\"}]}";

static struct manifest *m;
static char sha[2 * MANIFEST_DIGEST_BYTES + 1];

static int base_fn(void *ctx, const uint8_t sha256[32], uint64_t *size)
{
	int fd;

	(void)ctx;
	if (memcmp(sha256, m->files[1].sha256, 32))
		return -1;
	fd = memfd_create("base", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, "hello\n", 6, NULL) < 0)
		abort();
	*size = 6;
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err err;

	(void)argc;
	(void)argv;
	if (manifest_parse(manifest_json, sizeof(manifest_json) - 1, &m, &err) < 0)
		abort();
	manifest_digest_hex(manifest_json, sizeof(manifest_json) - 1, sha);
	return 0;
}

/* After a patch set is accepted, a file it wrote (needed before, no longer) holds the
 * manifest's bytes, and no other file is there. */
static void check_applied(int stagingfd, const bool *before, const bool *need)
{
	static const char *const want[] = {"hello\n", "#!/bin/sh\n"};
	static const size_t entry[] = {2, 4};

	for (int i = 0; i < 2; i++) {
		size_t e = entry[i], len = 0;
		char *got = NULL;
		int r = read_file_at(stagingfd, m->files[e - 1].path, 64, 1, &got, &len, NULL);

		if (before[e] && !need[e]
		        ? r < 0 || len != strlen(want[i]) || memcmp(got, want[i], len)
		        : r == 0)
			abort();
		free(got);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char base[] = "/tmp/slipway-fuzz-patchset-XXXXXX";
	static int basefd = -1;
	struct patchset_apply_stats st;
	bool need[5] = {false}, before[5];
	struct err err;
	int fd, stagingfd;

	if (basefd < 0) {
		if (!mkdtemp(base))
			abort();
		basefd = open(base, O_RDONLY | O_DIRECTORY);
	}
	if (size == 0)
		return 0;
	/* The first byte says which files the host lacks (the others are read past). */
	need[2] = data[0] & 1;
	need[4] = data[0] & 2;
	memcpy(before, need, sizeof(need));
	fd = memfd_create("patches", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, data + 1, size - 1, &err) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	if (mkdirat(basefd, "staging", 0700) < 0)
		abort();
	stagingfd = openat(basefd, "staging", O_RDONLY | O_DIRECTORY);
	if (mkdirat(stagingfd, "app", 0755) < 0 || mkdirat(stagingfd, "bin", 0755) < 0)
		abort();
	if (patchset_apply(fd, m, sha, need, stagingfd, base_fn, NULL, &st, &err) == 0)
		check_applied(stagingfd, before, need);
	close(stagingfd);
	close(fd);
	if (remove_tree_at(basefd, "staging", &err) < 0)
		abort();
	{
		DIR *d = fdopendir(dup(basefd));
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.')
				abort();
		if (d)
			closedir(d);
	}
	return 0;
}
