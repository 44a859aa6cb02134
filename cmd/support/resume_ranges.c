/* The ranges a partial pull has already (see resume_ranges.h). */
#include "cmd/support/resume_ranges.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_offset(const void *a, const void *b)
{
	const struct byte_range *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Sorts the ranges and joins those that overlap or touch, so that a span inside their union
 * lies inside one. */
static void normalize(struct resume_ranges *rr)
{
	size_t k = 0;

	if (rr->n < 2)
		return;
	qsort(rr->v, rr->n, sizeof(*rr->v), by_offset);
	for (size_t i = 1; i < rr->n; i++) {
		struct byte_range *last = &rr->v[k];

		if (rr->v[i].offset <= last->offset + last->length) {
			uint64_t end = rr->v[i].offset + rr->v[i].length;

			if (end > last->offset + last->length)
				last->length = end - last->offset;
		} else {
			rr->v[++k] = rr->v[i];
		}
	}
	rr->n = k + 1;
}

/* "<offset> <length>\n" lines, decimal without leading zeros, inside [0, limit). */
static bool parse(const char *text, size_t len, uint64_t limit, struct resume_ranges *rr)
{
	size_t cap = 0;

	for (const char *s = text, *end = text + len; s < end;) {
		struct byte_range sp;
		char *e;

		if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != ' '))
			return false;
		errno = 0;
		sp.offset = strtoull(s, &e, 10);
		if (errno || *e != ' ' || e[1] < '1' || e[1] > '9')
			return false;
		sp.length = strtoull(e + 1, &e, 10);
		if (errno || *e != '\n' || sp.length > limit || sp.offset > limit - sp.length)
			return false;
		if (rr->n == cap) {
			struct byte_range *v =
			    realloc(rr->v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!v)
				return false;
			rr->v = v;
		}
		rr->v[rr->n++] = sp;
		s = e + 1;
	}
	normalize(rr);
	return true;
}

int resume_ranges_open(struct resume_ranges *rr, int dirfd, const char *name, int frames_fd,
                       uint64_t archive_size, struct err *err)
{
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	uint64_t limit;

	memset(rr, 0, sizeof(*rr));
	rr->fd = -1;
	if (fstat(frames_fd, &sb) < 0)
		return fail_sys(err, "cannot stat the frames file");
	limit = (uint64_t)sb.st_size < archive_size ? (uint64_t)sb.st_size : archive_size;
	rr->fd =
	    open_regular(dirfd, name, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW, 0600, &sb, err);
	if (rr->fd < 0)
		return -1;
	if ((uint64_t)sb.st_size > RESUME_FILE_MAX ||
	    read_fd_all(rr->fd, RESUME_FILE_MAX, &text, &len, err) < 0 ||
	    !parse(text, len, limit, rr)) {
		free(rr->v);
		rr->v = NULL;
		rr->n = 0;
		if (ftruncate(rr->fd, 0) < 0 || ftruncate(frames_fd, 0) < 0) {
			free(text);
			return fail_sys(err, "cannot truncate the partial download");
		}
	}
	free(text);
	return 0;
}

bool resume_ranges_has(const struct resume_ranges *rr, uint64_t offset, uint64_t length)
{
	size_t lo = 0, hi = rr->n;

	/* The last range starting at or before offset. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rr->v[mid].offset <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && offset + length <= rr->v[lo - 1].offset + rr->v[lo - 1].length;
}

int resume_ranges_add(struct resume_ranges *rr, int frames_fd, const struct byte_range *sp,
                      size_t n, struct err *err)
{
	struct byte_range *v;
	char line[48];

	if (fdatasync(frames_fd) < 0)
		return fail_sys(err, "cannot sync the frames file");
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", sp[i].offset,
		                 sp[i].length);

		if (write_all(rr->fd, line, (size_t)k, err) < 0)
			return -1;
	}
	/* And in memory: a later request of this pull skips them too. */
	v = realloc(rr->v, (rr->n + n) * sizeof(*v));
	if (!v)
		return fail_oom(err);
	memcpy(v + rr->n, sp, n * sizeof(*v));
	rr->v = v;
	rr->n += n;
	normalize(rr);
	return 0;
}

void resume_ranges_close(struct resume_ranges *rr)
{
	if (rr->fd >= 0)
		close(rr->fd);
	free(rr->v);
	memset(rr, 0, sizeof(*rr));
	rr->fd = -1;
}
