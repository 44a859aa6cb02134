/* A progress line on stderr for long commands (pack, install, deploy): files and bytes done
 * of the total, and the rate, redrawn at most ten times a second. Nothing at all unless
 * stderr is a terminal and the command's output is not --json. */
#ifndef SLIPWAY_CMD_PROGRESS_H
#define SLIPWAY_CMD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool on;
	const char *cmd;
	const char *phase;
	uint64_t total_files, total_bytes;
	uint64_t start_ms, last_ms; /* clock_mono_ms(); last_ms 0: nothing drawn yet */
	bool shown;
};

/* `json`: the command prints --json (then no progress either). */
void progress_init(struct progress *p, const char *cmd, bool json);

/* A new phase ("hashing", "unpacking 1.4.0") over `files` files (0: bytes alone are shown)
 * of `bytes` bytes. */
void progress_phase(struct progress *p, const char *phase, uint64_t files, uint64_t bytes);

/* Redraws the line; `note` (may be NULL) is appended, e.g. "9500 linked". */
void progress_update(struct progress *p, uint64_t files, uint64_t bytes, const char *note);

/* Ends the line, leaving the last state on screen; before any other stderr output. */
void progress_end(struct progress *p);

#endif
