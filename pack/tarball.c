#include "pack/tarball.h"
#include "pack/frames.h"
#include "pack/sink.h"
#include "release/base/error.h"
#include "release/store/tarlayout.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BYTES_PER_BLOCK (64 * 1024)
#define TAR_BLOCK       512

/* Where libarchive's output goes: the sink (gzip), or, for zstd, the open frame. */
struct out {
	struct sink *sink;
	struct framer *framer; /* NULL for gzip */
};

static la_ssize_t out_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct out *o = ctx;
	int r = o->framer ? framer_add(o->framer, buf, len) : sink_push(o->sink, buf, len);

	if (r < 0) {
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	return (la_ssize_t)len;
}

const char *tarball_suffix(enum pack_compress c)
{
	return c == COMPRESS_GZIP ? ".tar.gz" : ".tar.zst";
}

static int tarball_fail(struct archive *a, struct err *err, const char *what, const char *path)
{
	const char *msg = archive_error_string(a);

	if (path)
		return fail_kind(err, ERR_SYSTEM, "%s %s: %s", what, path,
		                 msg ? msg : "libarchive error");
	return fail_kind(err, ERR_SYSTEM, "%s: %s", what, msg ? msg : "libarchive error");
}

/* zstd: no libarchive filter and no blocking (bytes per block 0), so each byte reaches
 * out_write when libarchive is handed it and a frame can be cut between two entries. */
static int setup(struct archive *a, const struct tarball_opts *opts, struct err *err)
{
	int block = opts->compress == COMPRESS_GZIP ? BYTES_PER_BLOCK : 0;

	if (tar_format_setup(a, block, err) < 0)
		return -1;
	if (opts->compress == COMPRESS_GZIP) {
		if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip", "compression-level", "6") !=
		        ARCHIVE_OK)
			return tarball_fail(a, err, "cannot set up gzip", NULL);
		return 0;
	}
	return 0;
}

/* Closes the open frame (after the previous entry's padding) when the next entry, of about
 * `next` bytes, would take it past `target` (FRAME_TARGET by default): small entries share a frame,
 * a large one starts its own. Depends only on the entries' sizes, so the cuts are reproducible. */
static int cut_before(struct archive *a, struct framer *fr, uint64_t next, uint64_t target,
                      struct err *err)
{
	size_t pending;

	if (!fr)
		return 0;
	if (archive_write_finish_entry(a) != ARCHIVE_OK)
		return tarball_fail(a, err, "cannot write", "an entry's padding");
	pending = framer_pending(fr);
	if (pending > 0 && pending + next > target)
		return framer_cut(fr, err);
	return 0;
}

/* Writes n bytes of file data, cutting the frame each time it reaches FRAME_LARGE (a file
 * larger than that spans several; the cut points depend on sizes alone). */
static int write_data(struct archive *a, struct framer *fr, const char *p, size_t n,
                      const char *path, struct err *err)
{
	while (n > 0) {
		size_t room = n;

		if (fr) {
			size_t pending = framer_pending(fr);

			if (pending >= FRAME_LARGE) {
				if (framer_cut(fr, err) < 0)
					return -1;
				pending = 0;
			}
			if (room > FRAME_LARGE - pending)
				room = FRAME_LARGE - pending;
		}
		if (archive_write_data(a, p, room) != (la_ssize_t)room)
			return tarball_fail(a, err, "cannot write", path);
		p += room;
		n -= room;
	}
	return 0;
}

static int write_file_data(struct archive *a, struct framer *fr, const struct pack_entry *e,
                           char *buf, uint64_t *bytes, struct err *err)
{
	uint64_t left = e->size;
	int fd;

	if (e->data) {
		if (write_data(a, fr, e->data, (size_t)e->size, e->path, err) < 0)
			return -1;
		*bytes += e->size;
		return 0;
	}
	fd = pack_entry_open_checked(e, err);
	if (fd < 0)
		return -1;
	while (left > 0) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
		ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;

			close(fd);
			if (n == 0)
				return fail_kind(err, ERR_SYSTEM,
				                 "%s changed while packing (it shrank)", e->src);
			return fail_kind(err, ERR_SYSTEM, "cannot read %s: %s", e->src,
			                 strerror(saved));
		}
		if (write_data(a, fr, buf, (size_t)n, e->path, err) < 0) {
			close(fd);
			return -1;
		}
		left -= (uint64_t)n;
		*bytes += (uint64_t)n;
	}
	close(fd);
	return 0;
}

static uint64_t entry_bytes(const struct pack_entry *e)
{
	uint64_t data = e->type == MANIFEST_FILE ? e->size : 0;

	return TAR_BLOCK + (data + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

int tarball_write(int fd, const struct tarball_opts *opts, const char *manifest,
                  size_t manifest_len, const struct pack_tree *tree,
                  uint8_t blake2b[TARBALL_HASH_BYTES], struct err *err)
{
	struct out o = {0};
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	char *buf = malloc(READ_CHUNK);
	uint64_t bytes = 0, files = 0;
	uint64_t target = opts->frame_target ? opts->frame_target : FRAME_TARGET;
	size_t i;
	int r = -1;

	if (!a || !ae || !buf) {
		fail_oom(err);
		goto out;
	}
	if (setup(a, opts, err) < 0 || sink_start(fd, &o.sink, err) < 0)
		goto out;
	if (opts->compress == COMPRESS_ZSTD &&
	    framer_start(o.sink, opts->threads, &o.framer, err) < 0)
		goto out;
	if (archive_write_open2(a, &o, NULL, out_write, NULL, NULL) != ARCHIVE_OK) {
		tarball_fail(a, err, "cannot start the archive", NULL);
		goto out;
	}
	tar_entry_set(ae, MANIFEST_NAME, MANIFEST_FILE, 0644, manifest_len, NULL);
	if (archive_write_header(a, ae) != ARCHIVE_OK ||
	    archive_write_data(a, manifest, manifest_len) != (la_ssize_t)manifest_len) {
		tarball_fail(a, err, "cannot write", MANIFEST_NAME);
		goto out;
	}
	/* The manifest has frame 0 to itself: a reader fetches it alone. */
	if (cut_before(a, o.framer, target, target, err) < 0)
		goto out;
	for (i = 0; i < tree->n; i++) {
		const struct pack_entry *e = &tree->v[i];

		if (cut_before(a, o.framer, entry_bytes(e), target, err) < 0)
			goto out;
		tar_entry_set(ae, e->path, e->type, e->mode, e->size, e->target);
		if (archive_write_header(a, ae) < ARCHIVE_WARN) {
			tarball_fail(a, err, "cannot write", e->path);
			goto out;
		}
		if (e->type == MANIFEST_FILE) {
			if (write_file_data(a, o.framer, e, buf, &bytes, err) < 0)
				goto out;
			files++;
			if (opts->progress)
				opts->progress(opts->ctx, files, bytes);
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		tarball_fail(a, err, "cannot finish the archive", NULL);
		goto out;
	}
	if (o.framer) {
		struct framer *fr = o.framer;

		o.framer = NULL;
		if (framer_finish(fr, err) < 0)
			goto out;
	}
	r = sink_finish(o.sink, blake2b, err);
	o.sink = NULL;
out:
	archive_entry_free(ae);
	if (a)
		archive_write_free(a);
	framer_abort(o.framer);
	sink_abort(o.sink);
	free(buf);
	return r;
}
