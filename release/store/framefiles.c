/* A release tree from the manifest and a partial set of frames (see framefiles.h). */
#include "release/store/framefiles.h"
#include "release/base/fileio.h"
#include "release/store/framestream.h"
#include "release/store/stagefile.h"
#include "release/store/store_crash.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

int frame_manifest(uint8_t *buf, size_t len, size_t *json_len, struct err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	la_int64_t size, offset;
	const void *block;
	size_t at = 0, n;
	int rc = -1, r;

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
	    (uint64_t)size > MANIFEST_MAX_BYTES || (uint64_t)size >= len) {
		fail(err, "frame 0 does not hold the manifest " MANIFEST_NAME);
		goto out;
	}
	/* The blocks of a reader from memory lie in buf, after the header: moved down in turn,
	 * each lands before the next one starts. */
	while ((r = archive_read_data_block(a, &block, &n, &offset)) == ARCHIVE_OK) {
		if ((uint64_t)offset != at || at + n > (uint64_t)size) {
			fail(err, "frame 0: the manifest's data is not in one piece");
			goto out;
		}
		memmove(buf + at, block, n);
		at += n;
	}
	if (r != ARCHIVE_EOF || at != (uint64_t)size) {
		fail(err, "frame 0: the manifest is truncated");
		goto out;
	}
	buf[at] = 0;
	*json_len = at;
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

int frame_read_manifest(struct frame_stream *s, int fd, const struct frame_map *fm, char **json,
                        size_t *json_len, struct err *err)
{
	uint8_t *frame0;
	size_t len;

	*json = NULL;
	if (frame_stream_decode_whole(s, fd, fm, 0, &frame0, &len, err) < 0)
		return -1;
	if (frame_manifest(frame0, len, json_len, err) < 0) {
		bigmem_free(frame0);
		return -1;
	}
	*json = (char *)frame0; /* frame 0 now holds the manifest alone */
	return 0;
}

int frame_tree_skeleton(int stagingfd, const struct manifest *m, struct err *err)
{
	int rc = -1;
	mode_t old_umask = umask(022);

	/* By whole path from the staging directory, one call each: the signed manifest lists
	 * every parent as a directory before its children (specs/manifest.md), so each walk
	 * passes only through directories made here, and no symlink exists before the last one
	 * is made. */
	for (size_t i = 0; i < m->n_files; i++) {
		const struct manifest_file *f = &m->files[i];

		if (f->type == MANIFEST_DIR && mkdirat(stagingfd, f->path, 0755) < 0) {
			fail_sys(err, "cannot create directory %.200s", f->path);
			goto out;
		}
	}
	for (size_t i = 0; i < m->n_files; i++) {
		const struct manifest_file *f = &m->files[i];
		struct stage_dir p = {.fd = -1};
		const char *base;
		int pfd;

		if (f->type != MANIFEST_SYMLINK)
			continue;
		/* A symlink's parent opened with none followed: one made before is never walked. */
		pfd = stage_dir_open(&p, stagingfd, f->path, &base, err);
		if (pfd < 0)
			goto out;
		if (symlinkat(f->target, pfd, base) < 0) {
			fail_sys(err, "cannot create symlink %.200s", f->path);
			stage_dir_release(&p);
			goto out;
		}
		stage_dir_release(&p);
	}
	rc = 0;
out:
	umask(old_umask);
	return rc;
}

int frame_tree_link(int stagingfd, const struct manifest *m, struct delta *d, struct reuse *r,
                    size_t from, size_t to, uint8_t *state, struct err *err)
{
	struct stage_dir p = {.fd = -1};
	int rc = -1;

	for (size_t e = from; e < to; e++) {
		const struct manifest_file *f = &m->files[e - 1];
		const char *base;
		int pfd, fd;

		if (state[e] != FRAME_ENTRY_COMPARE)
			continue;
		if ((pfd = stage_dir_open(&p, stagingfd, f->path, &base, err)) < 0)
			goto out;
		fd = d ? delta_link_using(d, r, f, pfd, base, err) : -1;
		if (fd == -2)
			goto out;
		if (fd >= 0)
			close(fd);
		state[e] = fd >= 0 ? FRAME_ENTRY_LINKED : FRAME_ENTRY_WRITE;
	}
	rc = 0;
out:
	stage_dir_release(&p);
	return rc;
}

#define FETCHED "the fetched frames"

static atomic_uint files_closed; /* files written from frames by this process */

/* An installed file being compared with the frames' bytes: fd -1 when none. */
struct compared {
	int fd;
	size_t src; /* its source (delta.h) */
	struct stat sb;
	uint64_t done; /* bytes found the same so far */
};

/* The files of the layout being written (or compared) from one frame's data, in order. */
struct file_sink {
	const struct tar_layout *l;
	const struct manifest *m;
	uint8_t *state;
	struct delta *d; /* what FRAME_ENTRY_COMPARE entries are compared with (NULL: none) */
	struct reuse *r;
	int stagingfd;
	int64_t when;
	struct stage_dir par;
	struct stage_file o;
	struct compared c;
	size_t e;      /* the next entry to look at */
	uint64_t lo;   /* where the frame's data starts in the tar stream */
	uint64_t stop; /* where the frame's bytes being decoded end in the tar stream */
	uint64_t written;
};

static bool wanted(const struct file_sink *s, size_t e)
{
	const struct manifest_file *mf = &s->m->files[e - 1];

	return s->state[e] == FRAME_ENTRY_WRITE && mf->type == MANIFEST_FILE && mf->size > 0;
}

/* An entry to compare whose data the bytes being decoded hold whole. */
static bool comparable(const struct file_sink *s, size_t e)
{
	const struct manifest_file *mf = &s->m->files[e - 1];

	return s->d && s->state[e] == FRAME_ENTRY_COMPARE && mf->type == MANIFEST_FILE &&
	       mf->size > 0 && s->l->data[e] + mf->size <= s->stop;
}

/* Done with the installed file being compared. */
static void compared_release(struct compared *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Entry s->e, being compared, is to be written instead: created with the bytes found the
 * same, copied from the installed file (the frames' bytes: its hash is checked at the end). */
static int compared_to_write(struct file_sink *s, const struct manifest_file *mf, struct err *err)
{
	uint8_t buf[16384];
	uint64_t at = 0;
	int rc = -1;

	if (stage_file_open(&s->o, &s->par, s->stagingfd, mf, err) < 0)
		goto out;
	while (at < s->c.done) {
		size_t want = s->c.done - at < sizeof(buf) ? (size_t)(s->c.done - at) : sizeof(buf);
		ssize_t n = pread(s->c.fd, buf, want, (off_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(err, "%.200s: the installed copy could not be read again", mf->path);
			goto out;
		}
		if (stage_file_write(&s->o, buf, (size_t)n, err) < 0)
			goto out;
		at += (uint64_t)n;
	}
	s->state[s->e] = FRAME_ENTRY_WRITE;
	rc = 0;
out:
	compared_release(&s->c);
	return rc;
}

/* Compares what piece [lo, hi) holds of entry s->e with an installed candidate, found at the
 * entry's first byte. 1: the entry goes on in the next piece; 0: linked; 2: to be written (the
 * bytes that matched are in s->o, when it is open); -1: err. */
static int compare_piece(struct file_sink *s, const struct manifest_file *mf, uint64_t lo,
                         uint64_t hi, const uint8_t *buf, struct err *err)
{
	uint64_t start = s->l->data[s->e], from, to;
	const char *base;
	int pfd, r;

	if (s->c.fd < 0) {
		s->c.done = 0;
		s->c.fd = delta_candidate(s->d, s->r, mf, &s->c.src, &s->c.sb);
		if (s->c.fd < 0) {
			s->state[s->e] = FRAME_ENTRY_WRITE;
			return 2;
		}
	}
	from = start + s->c.done;
	to = start + mf->size < hi ? start + mf->size : hi;
	if (from < lo)
		return fail(err, "internal error: %.200s compared out of order", mf->path);
	if (!reuse_same_bytes(s->r, s->c.fd, from - start, buf + (from - lo), (size_t)(to - from)))
		return compared_to_write(s, mf, err) < 0 ? -1 : 2;
	s->c.done += to - from;
	if (s->c.done < mf->size)
		return 1;
	if ((pfd = stage_dir_open(&s->par, s->stagingfd, mf->path, &base, err)) < 0 ||
	    (r = delta_link_verified(s->d, s->r, s->c.src, s->c.fd, &s->c.sb, mf, pfd, base,
	                             err)) == -2) {
		compared_release(&s->c);
		return -1;
	}
	if (r < 0) /* EMLINK, EXDEV, ...: written, the same bytes */
		return compared_to_write(s, mf, err) < 0 ? -1 : 2;
	compared_release(&s->c);
	s->state[s->e] = FRAME_ENTRY_LINKED;
	return 0;
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

		if (s->o.fd < 0 && comparable(s, s->e)) {
			int r = compare_piece(s, mf, lo, hi, buf, err);

			if (r < 0)
				return -1;
			if (r == 1)
				break; /* continues in the next piece */
			if (r == 0)
				continue;
		}
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
		s->state[s->e] = FRAME_ENTRY_WRITTEN;
		/* The eighth file written by any of the writers (tests/e2e/t_install_frames.sh). */
		if (atomic_fetch_add(&files_closed, 1) + 1 == 8)
			crashpoint("install-mid-unpack");
	}
	return 0;
}

struct frame_writer {
	int fd;
	const struct frame_map *fm;
	struct file_sink s;
	struct frame_stream *fs;
	uint64_t frames_decoded;
};

int frame_writer_new(struct frame_writer **out, int fd, const struct frame_map *fm,
                     const struct tar_layout *l, const struct manifest *m, uint8_t *state,
                     struct delta *d, int stagingfd, struct err *err)
{
	struct frame_writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return fail_oom(err);
	w->fd = fd;
	w->fm = fm;
	w->s = (struct file_sink){.l = l,
	                          .m = m,
	                          .state = state,
	                          .d = d,
	                          .stagingfd = stagingfd,
	                          .when = manifest_build_epoch(m),
	                          .par = {.fd = -1},
	                          .o = {.fd = -1},
	                          .c = {.fd = -1},
	                          .e = 1};
	if (stage_file_init(&w->s.o, err) < 0 || frame_stream_new(&w->fs, err) < 0 ||
	    (d && reuse_new(&w->s.r, err) < 0)) {
		frame_writer_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void frame_writer_free(struct frame_writer *w)
{
	if (!w)
		return;
	frame_stream_free(w->fs);
	compared_release(&w->s.c);
	reuse_free(w->s.r);
	stage_file_release(&w->s.o);
	stage_dir_release(&w->s.par);
	free(w);
}

int frame_writer_frames(struct frame_writer *w, const struct frame_plan *p, size_t first,
                        size_t end, struct err *err)
{
	const struct frame_map *fm = w->fm;
	struct file_sink *s = &w->s;

	if (first >= end)
		return 0;
	s->e = tar_layout_first_at(s->l, fm->doff[first]);
	if (s->e == 0)
		s->e = 1; /* entry 0, the manifest, is never written here */
	for (size_t f = first; f < end; f++) {
		uint64_t stop;

		if (p && !p->frame[f]) {
			if (s->o.fd >= 0)
				return fail(err, "internal error: %s spans a frame not fetched",
				            s->o.f->path);
			continue;
		}
		s->lo = fm->doff[f];
		stop = frame_need(s, fm->doff[f], fm->doff[f + 1]);
		s->stop = s->lo + stop;
		if (stop && frame_stream_decode(w->fs, w->fd, fm, f, stop, files_sink, s, err) < 0)
			return -1;
		if (s->c.fd >= 0)
			return fail(err, "internal error: %.200s compared in part",
			            s->m->files[s->e - 1].path);
		w->frames_decoded += stop > 0;
		/* Past the frame: entries before its end that were not needed. */
		while (s->o.fd < 0 && s->e < s->l->n && s->l->data[s->e] < fm->doff[f + 1] &&
		       !wanted(s, s->e))
			s->e++;
	}
	if (s->o.fd >= 0)
		return fail(err, "%.200s: the archive's frames end inside it", s->o.f->path);
	return 0;
}

int frame_writer_empty(struct frame_writer *w, size_t from, size_t to, struct err *err)
{
	struct file_sink *s = &w->s;

	for (size_t e = from; e < to && e < s->l->n; e++) {
		const struct manifest_file *mf = &s->m->files[e - 1];

		if (s->state[e] != FRAME_ENTRY_WRITE || mf->type != MANIFEST_FILE || mf->size != 0)
			continue;
		if (stage_file_open(&s->o, &s->par, s->stagingfd, mf, err) < 0 ||
		    stage_file_close(&s->o, s->when, FETCHED, err) < 0)
			return -1;
		s->state[e] = FRAME_ENTRY_WRITTEN;
	}
	return 0;
}

void frame_writer_add_stats(const struct frame_writer *w, struct frame_write_stats *st)
{
	st->written_bytes += w->s.written;
	st->frames_decoded += w->frames_decoded;
}
