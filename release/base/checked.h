/* Arithmetic on sizes and counts that come from untrusted input (manifests, archive headers,
 * command-line limits): it saturates at UINT64_MAX instead of wrapping around, so a sum that
 * would wrap compares as larger than any limit, never as small. */
#ifndef SLIPWAY_CHECKED_H
#define SLIPWAY_CHECKED_H

#include <stdint.h>

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

#endif
