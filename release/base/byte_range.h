/* A byte range of a file: what a partial install asks its source for, what an HTTP Range
 * request carries and what a resumed download records (release/store/install.h,
 * cmd/support/fetch.h, cmd/support/resume_ranges.h). */
#ifndef SLIPWAY_BYTE_RANGE_H
#define SLIPWAY_BYTE_RANGE_H

#include <stdint.h>

struct byte_range {
	uint64_t offset, length;
};

#endif
