/* A release tree from the manifest and a partial set of frames (see framefiles.h). */
#include "release/store/framefiles.h"
#include "release/base/fileio.h"
#include "release/store/extract.h"
#include "release/store/framestream.h"
#include "release/store/stagefile.h"
#include "release/store/store_crash.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static int copy_out(void *ctx, uint64_t at, const uint8_t *buf, size_t n, struct err *err)
{
	(void)err;
	memcpy((uint8_t *)ctx + at, buf, n);
	return 0;
}

int frame_decode(struct frame_stream *s, int fd, const struct frame_map *fm, size_t f,
                 uint8_t **out, size_t *len, struct err *err)
{
	uint64_t dsize = fm->doff[f + 1] - fm->doff[f];
	uint8_t *buf;

	*out = NULL;
	*len = 0;
	if (!(buf = malloc(dsize ? dsize : 1)))
		return fail_oom(err);
	if (frame_stream_decode(s, fd, fm, f, dsize, copy_out, buf, err) < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = dsize;
	return 0;
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

void place_progress_init(struct place_progress *pp)
{
	pthread_mutex_init(&pp->mu, NULL);
	pthread_cond_init(&pp->cv, NULL);
	pp->placed = 0;
	pp->failed = false;
}

void place_progress_destroy(struct place_progress *pp)
{
	pthread_mutex_destroy(&pp->mu);
	pthread_cond_destroy(&pp->cv);
}

void place_progress_fail(struct place_progress *pp)
{
	pthread_mutex_lock(&pp->mu);
	pp->failed = true;
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
}

#define PLACE_BATCH 32 /* entries placed between two reports */

/* Reports `placed`; false when the other side has failed. */
static bool place_report(struct place_progress *pp, size_t placed)
{
	bool ok;

	pthread_mutex_lock(&pp->mu);
	pp->placed = placed;
	ok = !pp->failed;
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
	return ok;
}

/* Waits until entries below `upto` are placed; false when the placer failed. */
static bool place_wait(struct place_progress *pp, size_t upto)
{
	bool ok;

	if (!pp)
		return true;
	pthread_mutex_lock(&pp->mu);
	while (pp->placed < upto && !pp->failed)
		pthread_cond_wait(&pp->cv, &pp->mu);
	ok = !pp->failed;
	pthread_mutex_unlock(&pp->mu);
	return ok;
}

int frame_tree_place(int stagingfd, const struct manifest *m, struct delta *d, bool *need,
                     uint64_t *linked, uint64_t *linked_bytes, struct place_progress *pp,
                     struct err *err)
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
		if (pp && (i + 1) % PLACE_BATCH == 0 && !place_report(pp, i + 2)) {
			fail(err, "stopped: the frames' writer failed");
			goto out;
		}
	}
	if (pp)
		place_report(pp, m->n_files + 1);
	rc = 0;
out:
	if (rc < 0 && pp)
		place_progress_fail(pp);
	umask(old_umask);
	stage_dir_release(&p);
	return rc;
}

#define FETCHED "the fetched frames"

/* The files of the layout being written from one frame's data, in order. */
struct file_sink {
	const struct tar_layout *l;
	const struct manifest *m;
	const bool *need;
	int stagingfd;
	int64_t when;
	struct stage_dir par;
	struct stage_file o;
	size_t e;    /* the next entry to look at */
	uint64_t lo; /* where the frame's data starts in the tar stream */
	uint64_t written, closed;
};

static bool wanted(const struct file_sink *s, size_t e)
{
	const struct manifest_file *mf = &s->m->files[e - 1];

	return s->need[e] && mf->type == MANIFEST_FILE && mf->size > 0;
}

/* How much of frame [lo, hi) the files being written need: up to the end of the last of
 * them that starts in it, the whole frame when one goes on past it. */
static uint64_t frame_need(const struct file_sink *s, uint64_t lo, uint64_t hi)
{
	uint64_t stop = s->o.fd >= 0 ? 1 : 0;

	for (size_t e = s->e; e < s->l->n && s->l->data[e] < hi; e++) {
		uint64_t end = s->l->data[e] + s->m->files[e - 1].size;

		if (!wanted(s, e))
			continue;
		if (end > hi)
			return hi - lo;
		if (end - lo > stop)
			stop = end - lo;
	}
	return stop;
}

static int files_sink(void *ctx, uint64_t at, const uint8_t *buf, size_t n, struct err *err)
{
	struct file_sink *s = ctx;
	uint64_t lo = s->lo + at, hi = lo + n;

	for (; s->e < s->l->n && s->l->data[s->e] < hi; s->e++) {
		const struct manifest_file *mf = &s->m->files[s->e - 1];
		uint64_t from, to;

		if (!wanted(s, s->e))
			continue;
		if (s->o.fd < 0 && stage_file_open(&s->o, &s->par, s->stagingfd, mf, err) < 0)
			return -1;
		from = s->l->data[s->e] + s->o.done;
		to = s->l->data[s->e] + mf->size;
		if (from < lo)
			return fail(err, "internal error: %.200s starts in a frame not fetched",
			            mf->path);
		if (to > hi)
			to = hi;
		if (stage_file_write(&s->o, buf + (from - lo), (size_t)(to - from), err) < 0)
			return -1;
		s->written += to - from;
		if (s->o.done < mf->size)
			break; /* continues in the next piece */
		if (stage_file_close(&s->o, s->when, FETCHED, err) < 0)
			return -1;
		if (++s->closed == 8)
			crashpoint("install-mid-unpack");
	}
	return 0;
}

/* The first entry whose data starts at or after `hi`, from e on. */
static size_t entries_before(const struct tar_layout *l, size_t e, uint64_t hi)
{
	while (e < l->n && l->data[e] < hi)
		e++;
	return e;
}

int frame_files_write(int fd, const struct frame_map *fm, const struct frame_plan *p,
                      const struct tar_layout *l, const struct manifest *m, const bool *need,
                      struct place_progress *pp, int stagingfd, struct frame_write_stats *st,
                      struct err *err)
{
	struct file_sink s = {.l = l,
	                      .m = m,
	                      .need = need,
	                      .stagingfd = stagingfd,
	                      .when = manifest_build_epoch(m),
	                      .par = {.fd = -1},
	                      .e = 1};
	struct frame_stream *fs = NULL;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (stage_file_init(&s.o, err) < 0)
		return -1;
	if (frame_stream_new(&fs, err) < 0)
		goto out;
	for (size_t f = 0; f < fm->n; f++) {
		uint64_t stop;

		if (!p->frame[f]) {
			if (s.o.fd >= 0) {
				fail(err, "internal error: %s spans a frame not fetched",
				     s.o.f->path);
				goto out;
			}
			continue;
		}
		if (!place_wait(pp, entries_before(l, s.e, fm->doff[f + 1]))) {
			fail(err, "stopped: placing the tree failed");
			goto out;
		}
		s.lo = fm->doff[f];
		stop = frame_need(&s, fm->doff[f], fm->doff[f + 1]);
		if (stop && frame_stream_decode(fs, fd, fm, f, stop, files_sink, &s, err) < 0)
			goto out;
		st->frames_decoded += stop > 0;
		/* Past the frame: entries before its end that were not needed. */
		while (s.o.fd < 0 && s.e < l->n && l->data[s.e] < fm->doff[f + 1] &&
		       !wanted(&s, s.e))
			s.e++;
	}
	if (s.o.fd >= 0) {
		fail(err, "%.200s: the archive's frames end inside it", s.o.f->path);
		goto out;
	}
	/* Empty files need no frame. */
	for (size_t i = 1; i < l->n; i++) {
		const struct manifest_file *mf = &m->files[i - 1];

		if (!need[i] || mf->size != 0)
			continue;
		if (stage_file_open(&s.o, &s.par, stagingfd, mf, err) < 0 ||
		    stage_file_close(&s.o, s.when, FETCHED, err) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0 && pp)
		place_progress_fail(pp);
	st->written_bytes = s.written;
	frame_stream_free(fs);
	stage_file_release(&s.o);
	stage_dir_release(&s.par);
	return rc;
}
