/* The tar side of the release archive (specs/archive.md "Entries"): the one rule for an
 * entry's header, used by the writer (pack/tarball.c) and by a reader that must know where
 * every entry lies in the tar stream without reading the stream (a host that fetches only
 * some frames, specs/channel.md "Partial pull").
 *
 * The layout is computed by writing the same headers with the same libarchive writer into a
 * counter (the data, below 8 GiB, as its size rounded up to 512; above, as the zeros
 * libarchive pads with), except for the entries that writer gives one 512-byte ustar block
 * and no pax record (printable ASCII path and target of at most 99 bytes, size below 8 GiB),
 * counted directly: it is exact for archives written by the same rule and the same pax
 * writer (tests/unit/tarlayout_test.c compares the two, entry by entry). A reader never trusts it:
 * every byte taken at the offsets it gives is checked against the signed manifest's SHA-256, and
 * the layout's total must equal the seek table's before anything is fetched (frameplan.h). */
#ifndef SLIPWAY_TARLAYOUT_H
#define SLIPWAY_TARLAYOUT_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <stdint.h>

/* Every entry's mtime, whatever the release: an unchanged file gives unchanged header bytes
 * from one release to the next. 1 rather than 0, which some tools read as "no time". */
#define TAR_ENTRY_MTIME 1

/* The tar format of every archive: pax_restricted, `block` bytes per block (0: unblocked,
 * each byte handed on as it is written), no padding of the last block. */
int tar_format_setup(struct archive *a, int block, struct err *err);

/* Clears ae and makes it the header of one entry: path, type, mode, size (regular files),
 * symlink target, uid/gid 0 without names, mtime TAR_ENTRY_MTIME. */
void tar_entry_set(struct archive_entry *ae, const char *path, enum manifest_file_type type,
                   unsigned mode, uint64_t size, const char *target);

/* Where the entries of an archive lie in its tar stream. Entry 0 is the manifest, entry i >= 1
 * is m->files[i - 1]. */
struct tar_layout {
	size_t n;         /* entries: m->n_files + 1 */
	uint64_t *header; /* n: offset of each entry's first header byte (heap) */
	uint64_t *data;   /* n: offset of its first data byte */
	uint64_t trailer; /* offset of the end-of-archive blocks */
	uint64_t total;   /* the stream's length */
};

/* Computes the layout of the archive whose manifest is m, `manifest_len` bytes long. */
int tar_layout_compute(const struct manifest *m, uint64_t manifest_len, struct tar_layout *out,
                       struct err *err);
void tar_layout_release(struct tar_layout *l);

/* The first entry whose data starts at or after pos (l->n: none). */
size_t tar_layout_first_at(const struct tar_layout *l, uint64_t pos);

#endif
