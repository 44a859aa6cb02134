/* The ranges of an archive a partial pull has placed in its frames file already
 * (ROOT/tmp/<sha256>.tar.zst.frames; specs/channel.md "Partial pull"), so that a pull cut
 * short (a stall, a broken connection) resumes where it stopped. They are recorded in
 * <sha256>.tar.zst.frames.done, one line "<offset> <length>" per range, each after the frames
 * file was synced. The list is a hint about untrusted bytes: every file built from them is
 * checked against the signed manifest, and a refused pull removes both files. A list that
 * does not parse, or names bytes past the frames file's end or the archive's size, is
 * dropped with the frames file: that pull starts afresh. */
#ifndef SLIPWAY_CMD_RESUME_RANGES_H
#define SLIPWAY_CMD_RESUME_RANGES_H

#include "cmd/support/fetch.h"
#include "release/base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESUME_SUFFIX   ".frames.done"
#define RESUME_FILE_MAX (16u << 20) /* 262,146 ranges of two 19-digit numbers fit */

struct resume_ranges {
	struct byte_range *v; /* sorted by offset */
	size_t n;
	int fd; /* the list, open for appending */
};

/* Opens (creates) the list `name` in dirfd for the frames file open on frames_fd, of an
 * archive of archive_size bytes: the ranges recorded by an earlier pull, or none (the frames
 * file then truncated to 0). */
int resume_ranges_open(struct resume_ranges *rr, int dirfd, const char *name, int frames_fd,
                       uint64_t archive_size, struct err *err);

/* Whether [offset, offset + length) lies inside the recorded ranges (those that overlap or
 * touch are joined). */
bool resume_ranges_has(const struct resume_ranges *rr, uint64_t offset, uint64_t length);

/* Records n spans the frames file now holds: frames_fd synced first, then the lines; from
 * then on resume_ranges_has finds them. */
int resume_ranges_add(struct resume_ranges *rr, int frames_fd, const struct byte_range *sp,
                      size_t n, struct err *err);

void resume_ranges_close(struct resume_ranges *rr);

#endif
