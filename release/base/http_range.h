/* The one piece of HTTP slipway parses itself: the Content-Range header of a 206 answer to
 * `Range: bytes=N-` (RFC 9110 section 14.4), which tells where the bytes it carries belong.
 * Everything else about HTTP is libcurl's (cmd/support/fetch.h).
 * Errors follow release/base/error.h; every verdict on the header is ERR_REFUSED. */
#ifndef SLIPWAY_HTTP_RANGE_H
#define SLIPWAY_HTTP_RANGE_H

#include "release/base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_range {
	uint64_t first, last; /* inclusive byte positions */
	bool has_total;       /* false when the length is "*" (unknown) */
	uint64_t total;       /* the complete length, when has_total */
};

/* Parses "bytes FIRST-LAST/TOTAL" (TOTAL may be "*"): the unit case-insensitive, optional
 * spaces around the value, decimal numbers without sign (at most 19 digits), FIRST <= LAST
 * and LAST < TOTAL. The unsatisfied form "bytes * /TOTAL" and anything else are refused. */
int http_range_parse(const char *value, struct http_range *r, struct err *err);

#endif
