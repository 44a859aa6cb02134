/* The archive's seek table (specs/archive.md "Seek table"): zstd's seekable format
 * (contrib/seekable_format in zstd's sources), without per-frame checksums. A skippable frame
 * (magic SEEKTABLE_SKIPPABLE_MAGIC, u32 LE content size) whose content is one entry per
 * frame (u32 LE compressed size, u32 LE decompressed size), then the footer: u32 LE number
 * of frames, one descriptor byte (0: no checksums, reserved bits zero), u32 LE
 * SEEKTABLE_FOOTER_MAGIC. It is the last thing in the file, so a reader finds it from the
 * last SEEKTABLE_FOOTER_BYTES bytes. zstd -d and tar --zstd skip it. */
#ifndef SLIPWAY_SEEKTABLE_H
#define SLIPWAY_SEEKTABLE_H

#include "release/base/error.h"

#include <stddef.h>
#include <stdint.h>

#define SEEKTABLE_SKIPPABLE_MAGIC 0x184D2A5Eu
#define SEEKTABLE_FOOTER_MAGIC    0x8F92EAB1u
#define SEEKTABLE_FOOTER_BYTES    9
#define SEEKTABLE_HEADER_BYTES    8 /* skippable magic + content size */
#define SEEKTABLE_ENTRY_BYTES     8
/* A bound on what a reader accepts before it allocates (a 4 GiB archive of 1 MiB frames has
 * 4,096; this allows 64 times that). */
#define SEEKTABLE_MAX_FRAMES (1u << 18)

struct seek_frame {
	uint32_t csize; /* bytes of the zstd frame in the file */
	uint32_t dsize; /* bytes it decompresses to */
};

/* The size of the whole skippable frame for n frames. */
size_t seektable_size(size_t n);

/* Writes the skippable frame for v[0..n) into out (seektable_size(n) bytes). */
void seektable_encode(const struct seek_frame *v, size_t n, uint8_t *out);

/* Reads the number of frames from the last SEEKTABLE_FOOTER_BYTES bytes of a file; refuses
 * (ERR_REFUSED) a wrong magic, a set reserved or checksum bit, more than
 * SEEKTABLE_MAX_FRAMES. */
int seektable_footer(const uint8_t footer[SEEKTABLE_FOOTER_BYTES], size_t *n, struct err *err);

/* Parses a whole skippable frame of len bytes holding n frames (seektable_footer's n), into
 * v (n entries, the caller's). Refuses a length, magic or size that disagrees. */
int seektable_parse(const uint8_t *buf, size_t len, size_t n, struct seek_frame *v,
                    struct err *err);

/* The size of the seek table that ends a file of `size` bytes open on fd (its footer read
 * with pread and checked as seektable_footer does); 0 when it has none or it cannot be
 * read. The table itself is parsed by its user. */
uint64_t seektable_file_tail(int fd, uint64_t size);

#endif
