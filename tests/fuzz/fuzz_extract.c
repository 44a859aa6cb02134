/* libFuzzer target: the hardened extractor on untrusted archive bytes (zstd/gzip/plain tar).
 * Whatever the input, nothing may be created outside the staging directory; entries are
 * written into a fresh directory that is removed after each run. */
#include "release/base/error.h"
#include "release/store/extract.h"
#include "release/base/fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* As cmd/main.c: pax names are converted to the locale's charset, UTF-8. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setlocale(LC_CTYPE, "C.UTF-8");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char base[] = "/tmp/slipway-fuzz-extract-XXXXXX";
	static int basefd = -1;
	struct extract_limits lim = {.max_entries = 200, .max_bytes = 1 << 20, .max_ratio = 200};
	struct extractor *x = NULL;
	const struct manifest *m;
	struct err err;
	int fd, stagingfd;

	if (basefd < 0) {
		if (!mkdtemp(base))
			abort();
		basefd = open(base, O_RDONLY | O_DIRECTORY);
	}
	fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, data, size, &err) < 0)
		abort();
	if (mkdirat(basefd, "staging", 0700) < 0)
		abort();
	stagingfd = openat(basefd, "staging", O_RDONLY | O_DIRECTORY);
	if (extractor_new(fd, &lim, NULL, NULL, &x, &err) == 0 &&
	    extractor_read_manifest(x, &m, &err) == 0)
		extractor_unpack(x, stagingfd, &err);
	extractor_free(x);
	close(stagingfd);
	close(fd);
	if (remove_tree_at(basefd, "staging", &err) < 0)
		abort();
	/* Only "staging" may ever appear in the base directory: it must be empty again. */
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
