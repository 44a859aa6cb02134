/* The two clocks of the tree: a monotonic one for deadlines and durations, and UTC wall
 * time in the one text form the formats use (RFC 3339, "2026-11-25T06:00:00Z"). */
#ifndef SLIPWAY_CLOCK_H
#define SLIPWAY_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_ISO_SIZE 21 /* "YYYY-MM-DDTHH:MM:SSZ" and its NUL */

/* Milliseconds of CLOCK_MONOTONIC: never goes back, unrelated to dates. */
uint64_t clock_mono_ms(void);

/* now + ms for a deadline, saturating at UINT64_MAX instead of wrapping around. */
uint64_t clock_deadline_ms(uint64_t now, uint64_t ms);

/* `t` (Unix seconds) as "YYYY-MM-DDTHH:MM:SSZ" in UTC. False, with out empty, when t is
 * outside the years 0000-9999. */
bool clock_iso_utc(time_t t, char out[CLOCK_ISO_SIZE]);

/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ" (clock_iso_utc's form, years 1970-9999, a real date
 * and time) into Unix seconds. False for anything else. */
bool clock_parse_iso_utc(const char *s, time_t *out);

#endif
