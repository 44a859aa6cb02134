/* A release tree from the manifest and a partial set of frames (see framefiles.h). */
#include "release/store/framefiles.h"
#include "release/base/fileio.h"
#include "release/store/extract.h"
#include "release/store/stagefile.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

int frame_decode(int fd, const struct frame_map *fm, size_t f, uint8_t **out, size_t *len,
                 struct err *err)
{
	uint64_t csize = fm->coff[f + 1] - fm->coff[f], dsize = fm->doff[f + 1] - fm->doff[f];
	uint8_t *in = NULL, *buf = NULL;
	size_t got = 0, r;
	int rc = -1;

	*out = NULL;
	*len = 0;
	/* Sizes bounded by frame_map_build; a frame compresses to at most its bound. */
	if (csize > ZSTD_compressBound(dsize))
		return fail(err, "frame %zu: %llu bytes for %llu of data", f,
		            (unsigned long long)csize, (unsigned long long)dsize);
	if (!(in = malloc(csize)) || !(buf = malloc(dsize))) {
		fail_oom(err);
		goto out;
	}
	while (got < csize) {
		ssize_t n = pread(fd, in + got, csize - got, (off_t)(fm->coff[f] + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				fail_sys(err, "cannot read frame %zu", f);
			else
				fail(err, "frame %zu is missing from the download", f);
			goto out;
		}
		got += (size_t)n;
	}
	if (ZSTD_findFrameCompressedSize(in, csize) != csize ||
	    ZSTD_getFrameContentSize(in, csize) != dsize) {
		fail(err, "frame %zu is not one zstd frame of %llu bytes decompressing to %llu", f,
		     (unsigned long long)csize, (unsigned long long)dsize);
		goto out;
	}
	r = ZSTD_decompress(buf, dsize, in, csize);
	if (ZSTD_isError(r) || r != dsize) {
		fail(err, "frame %zu does not decompress: %s", f,
		     ZSTD_isError(r) ? ZSTD_getErrorName(r) : "wrong size");
		goto out;
	}
	*out = buf;
	*len = dsize;
	buf = NULL;
	rc = 0;
out:
	free(in);
	free(buf);
	return rc;
}

int frame_manifest(const uint8_t *buf, size_t len, char **json, size_t *json_len, struct err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	la_int64_t size;
	char *data = NULL;
	int rc = -1;

	*json = NULL;
	if (!a)
		return fail_oom(err);
	/* The tar format alone, no filter: the frame is already decompressed. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, buf, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		fail(err, "frame 0 is not a tar entry");
		goto out;
	}
	size = archive_entry_size(e);
	if (strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", MANIFEST_NAME) ||
	    archive_entry_filetype(e) != AE_IFREG || !archive_entry_size_is_set(e) || size < 0 ||
	    (uint64_t)size > MANIFEST_MAX_BYTES || (uint64_t)size > len) {
		fail(err, "frame 0 does not hold the manifest " MANIFEST_NAME);
		goto out;
	}
	if (!(data = malloc((size_t)size + 1))) {
		fail_oom(err);
		goto out;
	}
	if (archive_read_data(a, data, (size_t)size) != size) {
		fail(err, "frame 0: the manifest is truncated");
		goto out;
	}
	data[size] = 0;
	*json = data;
	*json_len = (size_t)size;
	data = NULL;
	rc = 0;
out:
	free(data);
	archive_read_free(a);
	return rc;
}

int frame_tree_place(int stagingfd, const struct manifest *m, struct delta *d, bool *need,
                     uint64_t *linked, uint64_t *linked_bytes, struct err *err)
{
	struct stage_dir p = {.fd = -1};
	int rc = -1;
	mode_t old_umask = umask(022);

	*linked = *linked_bytes = 0;
	need[0] = false;
	if (extract_write_manifest(m, stagingfd, true, err) < 0)
		goto out;
	for (size_t i = 0; i < m->n_files; i++) {
		const struct manifest_file *f = &m->files[i];
		const char *base;
		int pfd = stage_dir_open(&p, stagingfd, f->path, &base, err), fd;

		need[i + 1] = false;
		if (pfd < 0)
			goto out;
		switch (f->type) {
		case MANIFEST_DIR:
			if (mkdirat(pfd, base, 0755) < 0) {
				fail_sys(err, "cannot create directory %.200s", f->path);
				goto out;
			}
			break;
		case MANIFEST_SYMLINK:
			if (symlinkat(f->target, pfd, base) < 0) {
				fail_sys(err, "cannot create symlink %.200s", f->path);
				goto out;
			}
			break;
		case MANIFEST_FILE:
			fd = d ? delta_link(d, f, pfd, base, err) : -1;
			if (fd == -2)
				goto out;
			if (fd >= 0) {
				close(fd);
				(*linked)++;
				*linked_bytes += f->size;
			} else {
				need[i + 1] = true;
			}
			break;
		}
	}
	rc = 0;
out:
	umask(old_umask);
	stage_dir_release(&p);
	return rc;
}

#define FETCHED "the fetched frames"

int frame_files_write(int fd, const struct frame_map *fm, const struct frame_plan *p,
                      const struct tar_layout *l, const struct manifest *m, const bool *need,
                      int stagingfd, uint64_t *written_bytes, struct err *err)
{
	struct stage_dir par = {.fd = -1};
	struct stage_file o;
	int64_t when = manifest_build_epoch(m);
	size_t e = 1; /* the next entry to look at */
	uint8_t *buf = NULL;
	size_t len;
	int rc = -1;

	*written_bytes = 0;
	if (stage_file_init(&o, err) < 0)
		return -1;
	for (size_t f = 0; f < fm->n; f++) {
		uint64_t lo = fm->doff[f], hi = fm->doff[f + 1];

		if (!p->frame[f]) {
			if (o.fd >= 0) {
				fail(err, "internal error: %s spans a frame not fetched",
				     o.f->path);
				goto out;
			}
			continue;
		}
		free(buf);
		buf = NULL;
		if (frame_decode(fd, fm, f, &buf, &len, err) < 0)
			goto out;
		for (; e < l->n && l->data[e] < hi; e++) {
			const struct manifest_file *mf = &m->files[e - 1];
			uint64_t from, to;

			if (!need[e] || mf->type != MANIFEST_FILE || mf->size == 0)
				continue;
			if (o.fd < 0) {
				if (l->data[e] < lo) {
					fail(err,
					     "internal error: %s starts in a frame not fetched",
					     mf->path);
					goto out;
				}
				if (stage_file_open(&o, &par, stagingfd, mf, err) < 0)
					goto out;
			}
			from = l->data[e] + o.done;
			to = l->data[e] + mf->size;
			if (to > hi)
				to = hi;
			if (stage_file_write(&o, buf + (from - lo), (size_t)(to - from), err) < 0)
				goto out;
			*written_bytes += to - from;
			if (o.done < mf->size)
				break; /* continues in the next frame */
			if (stage_file_close(&o, when, FETCHED, err) < 0)
				goto out;
		}
	}
	if (o.fd >= 0) {
		fail(err, "%.200s: the archive's frames end inside it", o.f->path);
		goto out;
	}
	/* Empty files need no frame. */
	for (size_t i = 1; i < l->n; i++) {
		const struct manifest_file *mf = &m->files[i - 1];

		if (!need[i] || mf->size != 0)
			continue;
		if (stage_file_open(&o, &par, stagingfd, mf, err) < 0 ||
		    stage_file_close(&o, when, FETCHED, err) < 0)
			goto out;
	}
	rc = 0;
out:
	stage_file_release(&o);
	stage_dir_release(&par);
	free(buf);
	return rc;
}
