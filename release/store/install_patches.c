/* The patch-set step of an install from frames (see install_patches.h). */
#include "release/store/install_patches.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A base the host named, by its SHA-256: sorted, so that a record finds it by bsearch. */
struct base_ref {
	uint8_t sha256[32];
	size_t i; /* the target file at whose path it is */
};

struct bases {
	const struct manifest *m;
	struct delta *d;
	struct base_ref *ref;
	size_t n;
};

static int ref_cmp(const void *a, const void *b)
{
	return memcmp(((const struct base_ref *)a)->sha256, ((const struct base_ref *)b)->sha256,
	              32);
}

/* patchset_base_fn: the file is opened and hashed again, and must still be the one named. */
static int open_base(void *ctx, const uint8_t sha256[32], uint64_t *size)
{
	struct bases *b = ctx;
	struct base_ref key, *r;
	uint8_t now[32];
	int fd;

	memcpy(key.sha256, sha256, 32);
	r = bsearch(&key, b->ref, b->n, sizeof(*b->ref), ref_cmp);
	if (!r)
		return -1;
	fd = delta_base_open(b->d, b->m->files[r->i].path, PATCHSET_FILE_MAX, size, now);
	if (fd >= 0 && memcmp(now, sha256, 32)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* want[] for the request; *n_send: how many files are needed. */
static int make_want(const struct manifest *m, struct delta *d, const bool *need,
                     struct patchset_want **out, struct bases *b, size_t *n_send, struct err *err)
{
	struct patchset_want *want = calloc(m->n_files ? m->n_files : 1, sizeof(*want));

	*n_send = 0;
	if (!want || !(b->ref = calloc(m->n_files ? m->n_files : 1, sizeof(*b->ref)))) {
		free(want);
		return fail_oom(err);
	}
	for (size_t i = 0; i < m->n_files; i++) {
		uint64_t size;
		int fd;

		if (!need[i + 1] || m->files[i].type != MANIFEST_FILE)
			continue;
		want[i].send = true;
		(*n_send)++;
		fd = delta_base_open(d, m->files[i].path, PATCHSET_FILE_MAX, &size,
		                     want[i].base_sha256);
		if (fd < 0)
			continue;
		close(fd);
		want[i].has_base = true;
		memcpy(b->ref[b->n].sha256, want[i].base_sha256, 32);
		b->ref[b->n++].i = i;
	}
	qsort(b->ref, b->n, sizeof(*b->ref), ref_cmp);
	*out = want;
	return 0;
}

int install_patches_apply(const struct install_frames_opts *o, const struct manifest *m,
                          const char *manifest_sha256, struct delta *d, bool *need, int stagingfd,
                          struct patchset_apply_stats *st, struct err *err)
{
	struct bases b = {.m = m, .d = d};
	struct patchset_want *want = NULL;
	struct install_patch_request req;
	size_t n_send;
	int rc = -1, r;

	if (!o->patches)
		return 0;
	if (make_want(m, d, need, &want, &b, &n_send, err) < 0)
		return -1;
	if (n_send == 0) {
		rc = 0;
		goto out;
	}
	req = (struct install_patch_request){.m = m,
	                                     .manifest_sha256 = manifest_sha256,
	                                     .want = want,
	                                     .base_version = delta_base_version(d)};
	if ((r = o->patches(o->patches_ctx, &req, o->patches_fd, err)) != 0) {
		rc = r > 0 ? 0 : -1;
		goto out;
	}
	if (lseek(o->patches_fd, 0, SEEK_SET) < 0) {
		fail_sys(err, "cannot read the patch set");
		goto out;
	}
	rc = patchset_apply(o->patches_fd, m, manifest_sha256, need, stagingfd, open_base, &b, st,
	                    err);
out:
	free(want);
	free(b.ref);
	return rc;
}
