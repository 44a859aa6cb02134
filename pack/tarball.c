#include "pack/tarball.h"
#include "pack/sink.h"
#include "release/base/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BYTES_PER_BLOCK (64 * 1024)
static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	if (sink_push(ctx, buf, len) < 0) {
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

static int setup(struct archive *a, const struct tarball_opts *opts, struct err *err)
{
	char threads[16];

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, BYTES_PER_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
		return tarball_fail(a, err, "cannot set up the tar writer", NULL);
	if (opts->compress == COMPRESS_GZIP) {
		if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip", "compression-level", "6") !=
		        ARCHIVE_OK)
			return tarball_fail(a, err, "cannot set up gzip", NULL);
		return 0;
	}
	snprintf(threads, sizeof(threads), "%u", opts->threads ? opts->threads : 1);
	if (archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "zstd", "compression-level", "3") != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "zstd", "threads", threads) != ARCHIVE_OK)
		return tarball_fail(a, err, "cannot set up zstd", NULL);
	return 0;
}

static void entry_common(struct archive_entry *ae, const char *path, int64_t mtime)
{
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, path);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, (time_t)mtime, 0);
}

static int write_file_data(struct archive *a, const struct pack_entry *e, char *buf,
                           uint64_t *bytes, struct err *err)
{
	uint64_t left = e->size;
	int fd = pack_entry_open_checked(e, err);

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
		if (archive_write_data(a, buf, (size_t)n) != n) {
			close(fd);
			return tarball_fail(a, err, "cannot write", e->path);
		}
		left -= (uint64_t)n;
		*bytes += (uint64_t)n;
	}
	close(fd);
	return 0;
}

int tarball_write(int fd, const struct tarball_opts *opts, const char *manifest,
                  size_t manifest_len, const struct pack_tree *tree,
                  uint8_t blake2b[TARBALL_HASH_BYTES], struct err *err)
{
	struct sink *sink = NULL;
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	char *buf = malloc(READ_CHUNK);
	uint64_t bytes = 0, files = 0;
	size_t i;
	int r = -1;

	if (!a || !ae || !buf) {
		fail_oom(err);
		goto out;
	}
	if (setup(a, opts, err) < 0 || sink_start(fd, &sink, err) < 0)
		goto out;
	if (archive_write_open2(a, sink, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		tarball_fail(a, err, "cannot start the archive", NULL);
		goto out;
	}
	entry_common(ae, MANIFEST_NAME, opts->mtime);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, (la_int64_t)manifest_len);
	if (archive_write_header(a, ae) != ARCHIVE_OK ||
	    archive_write_data(a, manifest, manifest_len) != (la_ssize_t)manifest_len) {
		tarball_fail(a, err, "cannot write", MANIFEST_NAME);
		goto out;
	}
	for (i = 0; i < tree->n; i++) {
		const struct pack_entry *e = &tree->v[i];

		entry_common(ae, e->path, opts->mtime);
		archive_entry_set_perm(ae, e->mode);
		switch (e->type) {
		case MANIFEST_FILE:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)e->size);
			break;
		case MANIFEST_DIR:
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_size(ae, 0);
			break;
		case MANIFEST_SYMLINK:
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, e->target);
			archive_entry_set_size(ae, 0);
			break;
		}
		if (archive_write_header(a, ae) < ARCHIVE_WARN) {
			tarball_fail(a, err, "cannot write", e->path);
			goto out;
		}
		if (e->type == MANIFEST_FILE) {
			if (write_file_data(a, e, buf, &bytes, err) < 0)
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
	r = sink_finish(sink, blake2b, err);
	sink = NULL;
out:
	archive_entry_free(ae);
	if (a)
		archive_write_free(a);
	sink_abort(sink);
	free(buf);
	return r;
}
