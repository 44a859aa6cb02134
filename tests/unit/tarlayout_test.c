/* Where entries lie in the tar stream (release/store/tarlayout.h), against the writer itself:
 * the same entries written by libarchive with their data, their offsets taken as it goes.
 * Paths and targets around the ustar fields' 100 bytes (directories get a '/'), a path the
 * ustar prefix can hold, long ones (pax records), non-ASCII names, sizes around a block. */
#include "release/store/tarlayout.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static la_ssize_t count(struct archive *a, void *ctx, const void *buf, size_t len)
{
	(void)a;
	(void)buf;
	*(uint64_t *)ctx += len;
	return (la_ssize_t)len;
}

/* The reference: every entry written whole, data included. */
static void written_layout(const struct manifest *m, uint64_t manifest_len, uint64_t *header,
                           uint64_t *data, uint64_t *total)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	static char zeros[65536];
	uint64_t pos = 0;

	cr_assert_eq(tar_format_setup(a, 0, NULL), 0);
	cr_assert_eq(archive_write_open2(a, &pos, NULL, count, NULL, NULL), ARCHIVE_OK);
	for (size_t i = 0; i <= m->n_files; i++) {
		const struct manifest_file *f = i ? &m->files[i - 1] : NULL;
		uint64_t size = f ? (f->type == MANIFEST_FILE ? f->size : 0) : manifest_len;

		if (f)
			tar_entry_set(ae, f->path, f->type, f->mode, size, f->target);
		else
			tar_entry_set(ae, MANIFEST_NAME, MANIFEST_FILE, 0644, size, NULL);
		header[i] = pos;
		cr_assert_geq(archive_write_header(a, ae), ARCHIVE_WARN);
		data[i] = pos;
		for (uint64_t left = size; left > 0;) {
			size_t n = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);

			cr_assert_eq(archive_write_data(a, zeros, n), (la_ssize_t)n);
			left -= n;
		}
		cr_assert_eq(archive_write_finish_entry(a), ARCHIVE_OK);
	}
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
	*total = pos;
	archive_entry_free(ae);
	archive_write_free(a);
}

Test(tarlayout, matches_the_writer_entry_by_entry)
{
	char longpath[200], longtarget[300], split[200], p[4][128], d[3][128], t[3][128];
	struct manifest_file files[32];
	struct manifest m = {0};
	uint64_t header[33], data[33], total;
	struct tar_layout l;
	struct err err;
	size_t n = 0;

	memset(longpath, 'p', sizeof(longpath) - 1);
	memcpy(longpath, "d/", 2);
	longpath[sizeof(longpath) - 1] = 0;
	memset(longtarget, 't', sizeof(longtarget) - 1);
	longtarget[sizeof(longtarget) - 1] = 0;
	files[n++] = (struct manifest_file){.path = "d", .type = MANIFEST_DIR, .mode = 0755};
	files[n++] = (struct manifest_file){.path = "d/empty", .type = MANIFEST_FILE, .mode = 0644};
	files[n++] =
	    (struct manifest_file){.path = "d/one", .type = MANIFEST_FILE, .mode = 0755, .size = 1};
	files[n++] = (struct manifest_file){
	    .path = "d/511", .type = MANIFEST_FILE, .mode = 0644, .size = 511};
	files[n++] = (struct manifest_file){
	    .path = "d/512", .type = MANIFEST_FILE, .mode = 0644, .size = 512};
	files[n++] = (struct manifest_file){
	    .path = "d/513", .type = MANIFEST_FILE, .mode = 0644, .size = 513};
	files[n++] = (struct manifest_file){.path = "d/na\xc3\xafve-\xe2\x82\xac.txt",
	                                    .type = MANIFEST_FILE,
	                                    .mode = 0644,
	                                    .size = 77};
	files[n++] = (struct manifest_file){
	    .path = longpath, .type = MANIFEST_FILE, .mode = 0644, .size = 1048583};
	files[n++] = (struct manifest_file){
	    .path = "d/link", .type = MANIFEST_SYMLINK, .mode = 0777, .target = longtarget};
	files[n++] = (struct manifest_file){
	    .path = "d/short", .type = MANIFEST_SYMLINK, .mode = 0777, .target = "one"};
	files[n++] = (struct manifest_file){.path = "e", .type = MANIFEST_DIR, .mode = 0755};
	files[n++] = (struct manifest_file){
	    .path = "e/after", .type = MANIFEST_FILE, .mode = 0644, .size = 4096};
	/* Paths of 98 to 101 bytes, directories of 98 to 100 (99 to 101 with their '/'), symlink
	 * targets of 99 to 101. */
	for (int k = 0; k < 4; k++) {
		snprintf(p[k], sizeof(p[k]), "e/%0*d", 96 + k, 0);
		files[n++] = (struct manifest_file){
		    .path = p[k], .type = MANIFEST_FILE, .mode = 0644, .size = 100 + k};
	}
	for (int k = 0; k < 3; k++) {
		snprintf(d[k], sizeof(d[k]), "f%0*d", 97 + k, k);
		files[n++] =
		    (struct manifest_file){.path = d[k], .type = MANIFEST_DIR, .mode = 0755};
	}
	for (int k = 0; k < 3; k++) {
		snprintf(t[k], sizeof(t[k]), "%0*d", 99 + k, k);
		files[n++] = (struct manifest_file){.path = k == 0   ? "g/a"
		                                            : k == 1 ? "g/b"
		                                                     : "g/c",
		                                    .type = MANIFEST_SYMLINK,
		                                    .mode = 0777,
		                                    .target = t[k]};
	}
	memset(split, 'q', sizeof(split) - 1);
	split[120] = '/';
	split[170] = 0;
	files[n++] =
	    (struct manifest_file){.path = split, .type = MANIFEST_FILE, .mode = 0644, .size = 9};
	files[n++] = (struct manifest_file){
	    .path = "h/with space", .type = MANIFEST_FILE, .mode = 0644, .size = 3};
	m.files = files;
	m.n_files = n;

	written_layout(&m, 1234, header, data, &total);
	cr_assert_eq(tar_layout_compute(&m, 1234, &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, n + 1);
	for (size_t i = 0; i <= n; i++) {
		cr_assert_eq(l.header[i], header[i], "entry %zu's header", i);
		cr_assert_eq(l.data[i], data[i], "entry %zu's data", i);
	}
	cr_assert_eq(l.total, total);
	cr_assert(data[8] - header[8] > 512, "the long path has a pax record");
	cr_assert_eq(data[n - 1] - header[n - 1], 512, "the ustar prefix holds the split path");
	tar_layout_release(&l);
}
