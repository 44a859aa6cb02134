/* Numbers slipway run takes from its environment (specs/runtime.md, "Tuning"): decimal
 * milliseconds, strictly parsed and clamped, so a typo or a value near 2^64 can neither wrap
 * around nor turn a delay into zero. */
#ifndef SLIPWAY_RUNTIME_ENVNUM_H
#define SLIPWAY_RUNTIME_ENVNUM_H

#include <stddef.h>
#include <stdint.h>

/* The value of `name`: unset or empty gives `def`; anything but plain decimal digits gives
 * `def` and a warning; a number outside [min, max] (overflow included) gives the nearer
 * bound and a warning. Warnings ("ignoring ...", "... is above ...") are appended to
 * warn (a NUL-terminated buffer of `cap` bytes, lines separated by '\n'). */
uint64_t envnum_ms(const char *name, uint64_t def, uint64_t min, uint64_t max, char *warn,
                   size_t cap);

#endif
