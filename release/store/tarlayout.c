/* The tar entry rule and the layout it gives (see tarlayout.h). */
#include "release/store/tarlayout.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int tar_format_setup(struct archive *a, int block, struct err *err)
{
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, block) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
		return fail_kind(err, ERR_SYSTEM, "cannot set up the tar writer: %s",
		                 archive_error_string(a) ? archive_error_string(a)
		                                         : "libarchive error");
	return 0;
}

void tar_entry_set(struct archive_entry *ae, const char *path, enum manifest_file_type type,
                   unsigned mode, uint64_t size, const char *target)
{
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, path);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, (time_t)TAR_ENTRY_MTIME, 0);
	archive_entry_set_perm(ae, mode);
	switch (type) {
	case MANIFEST_FILE:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)size);
		break;
	case MANIFEST_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_size(ae, 0);
		break;
	case MANIFEST_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, target);
		archive_entry_set_size(ae, 0);
		break;
	}
}

/* Sizes below this fit the ustar header's octal field: the pax writer adds no "size" record,
 * so the header's length does not depend on the size (libarchive's
 * archive_write_set_format_pax.c). */
#define USTAR_SIZE_LIMIT (1ull << 33)

/* Whether text is at most max bytes of printable ASCII. */
static bool short_ascii(const char *text, size_t max)
{
	size_t n = 0;

	for (; text[n]; n++)
		if (n == max || text[n] < 0x20 || text[n] > 0x7e)
			return false;
	return true;
}

/* Whether the pax writer gives the entry one ustar header block and nothing else: a
 * printable ASCII path that fits the name field even with the '/' a directory gets, a target
 * that fits the link field, a size below the limit (libarchive's
 * archive_write_set_format_pax.c adds a pax record for nothing else this rule writes).
 * Conservative: any other entry is measured through the writer. */
static bool one_block_header(const char *path, const char *target, uint64_t size)
{
	return size < USTAR_SIZE_LIMIT && short_ascii(path, 99) &&
	       (!target || short_ascii(target, 99));
}

static la_ssize_t count_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	(void)a;
	(void)buf;
	*(uint64_t *)ctx += len;
	return (la_ssize_t)len;
}

int tar_layout_compute(const struct manifest *m, uint64_t manifest_len, struct tar_layout *out,
                       struct err *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	uint64_t pos = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->n = m->n_files + 1;
	out->header = calloc(out->n, sizeof(uint64_t));
	out->data = calloc(out->n, sizeof(uint64_t));
	if (!a || !ae || !out->header || !out->data) {
		fail_oom(err);
		goto out;
	}
	if (tar_format_setup(a, 0, err) < 0)
		goto out;
	if (archive_write_open2(a, &pos, NULL, count_write, NULL, NULL) != ARCHIVE_OK)
		goto lib;
	for (size_t i = 0; i < out->n; i++) {
		const struct manifest_file *f = i ? &m->files[i - 1] : NULL;

		uint64_t size = f ? (f->type == MANIFEST_FILE ? f->size : 0) : manifest_len;
		/* Below the limit, the header written as for an empty file and the data counted
		 * here, rounded up to a block: not 300 MB of zeros through the counter. */
		uint64_t counted = size < USTAR_SIZE_LIMIT ? size : 0;

		if (f && one_block_header(f->path, f->type == MANIFEST_SYMLINK ? f->target : NULL,
		                          size)) {
			out->header[i] = pos;
			out->data[i] = pos + 512;
			pos += 512 + ((size + 511) & ~(uint64_t)511);
			continue;
		}

		if (f)
			tar_entry_set(ae, f->path, f->type, f->mode, size - counted, f->target);
		else
			tar_entry_set(ae, MANIFEST_NAME, MANIFEST_FILE, 0644, size - counted, NULL);
		out->header[i] = pos;
		if (archive_write_header(a, ae) < ARCHIVE_WARN)
			goto lib;
		out->data[i] = pos;
		/* The data as the zeros libarchive pads an unwritten entry with. */
		if (archive_write_finish_entry(a) != ARCHIVE_OK)
			goto lib;
		pos += (counted + 511) & ~(uint64_t)511;
	}
	out->trailer = pos;
	if (archive_write_close(a) != ARCHIVE_OK)
		goto lib;
	out->total = pos;
	rc = 0;
	goto out;
lib:
	fail_kind(err, ERR_SYSTEM, "cannot compute the tar layout: %s",
	          archive_error_string(a) ? archive_error_string(a) : "libarchive error");
out:
	archive_entry_free(ae);
	if (a)
		archive_write_free(a);
	if (rc < 0)
		tar_layout_release(out);
	return rc;
}

void tar_layout_release(struct tar_layout *l)
{
	free(l->header);
	free(l->data);
	memset(l, 0, sizeof(*l));
}

size_t tar_layout_first_at(const struct tar_layout *l, uint64_t pos)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->data[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
