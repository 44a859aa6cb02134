/* A release's files a host holding another lacks (see release_diff.h). */
#include "release/store/release_diff.h"

#include <stdlib.h>
#include <string.h>

static int sha_cmp(const void *a, const void *b)
{
	return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b, 32);
}

static int path_cmp(const void *key, const void *f)
{
	return strcmp(key, ((const struct manifest_file *)f)->path);
}

int release_diff_want(const struct manifest *target, const struct manifest *base,
                      struct patchset_want *want, size_t *n_send, struct err *err)
{
	const uint8_t **have = calloc(base->n_files ? base->n_files : 1, sizeof(*have));
	size_t n_have = 0;

	*n_send = 0;
	if (!have)
		return fail_oom(err);
	for (size_t i = 0; i < base->n_files; i++)
		if (base->files[i].type == MANIFEST_FILE)
			have[n_have++] = base->files[i].sha256;
	qsort(have, n_have, sizeof(*have), sha_cmp);
	for (size_t i = 0; i < target->n_files; i++) {
		const struct manifest_file *f = &target->files[i], *b;
		const uint8_t *key = f->sha256;

		memset(&want[i], 0, sizeof(want[i]));
		if (f->type != MANIFEST_FILE || bsearch(&key, have, n_have, sizeof(*have), sha_cmp))
			continue;
		want[i].send = true;
		(*n_send)++;
		b = base->n_files ? bsearch(f->path, base->files, base->n_files,
		                            sizeof(*base->files), path_cmp)
		                  : NULL;
		if (b && b->type == MANIFEST_FILE) {
			want[i].has_base = true;
			memcpy(want[i].base_sha256, b->sha256, 32);
		}
	}
	free(have);
	return 0;
}
