/* The exchange of `slipway push` with `slipway receive` on the host over one ssh session
 * (specs/cli.md, "push"; the one home of its format). Push writes "slipway-push 1\n" and
 * "offer <version> <blake2b-512 hex>\n"; the host's first stdout line answers "have" (it has
 * that release: nothing more is read) or "send". After "send", per file a line
 * "<kind> <size>\n" followed by exactly <size> bytes, then "end\n". Kinds, each at most once:
 * archive (required), minisig (required), keyring, intoto, reproduced; each bounded before
 * anything is written (PUSH_ARCHIVE_MAX, and the bound of its own format for the others).
 *
 * Seam: whole files travel. Sending only the frames of files the host lacks is the job of
 * "install from a partial set of frames" (built for pull); push will then ask the host for
 * its manifest first and send frame ranges instead of `archive`. */
#ifndef SLIPWAY_CMD_PUSH_STREAM_H
#define SLIPWAY_CMD_PUSH_STREAM_H

#include "release/base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUSH_MAGIC       "slipway-push 1"
#define PUSH_ARCHIVE_MAX (64ull << 30) /* 64 GiB */
#define PUSH_LINE_MAX    320           /* "offer", a version (at most 128) and 128 hex digits fit */
#define PUSH_HAVE        "have"
#define PUSH_SEND        "send"
#define PUSH_END         "end\n"

enum push_kind {
	PUSH_ARCHIVE,
	PUSH_MINISIG,
	PUSH_KEYRING,
	PUSH_INTOTO,
	PUSH_REPRODUCED,
	PUSH_KINDS
};

/* The kind's word in the stream ("archive"), and the suffix of its file beside an archive
 * ("" for the archive, ".minisig", ".keyring", ".intoto.jsonl", ".reproduced.jsonl"). */
const char *push_kind_name(enum push_kind k);
const char *push_kind_suffix(enum push_kind k);
uint64_t push_kind_max(enum push_kind k);

/* Sender: the header line of a file, then `size` bytes copied from `in` (the size must not
 * change meanwhile). *sent grows by what was written; `tick` (may be NULL) is called with
 * ctx after each chunk (a progress display). */
int push_send_file(int out, enum push_kind k, int in, uint64_t size, uint64_t *sent,
                   void (*tick)(void *ctx), void *ctx, struct err *err);

/* Receiver: reads from fd with a stall deadline (no byte for stall_s seconds fails). */
struct push_reader {
	int fd;
	long stall_s;
	char buf[65536];
	size_t pos, len;
	bool eof;
};

/* Reads one header line (without "\n", at most PUSH_LINE_MAX bytes). 0, or -1 with err:
 * ERR_REFUSED for a line too long or with a NUL, ERR_SYSTEM for the end of the stream or a
 * stall. */
int push_read_line(struct push_reader *r, char *line, size_t cap, struct err *err);

/* Parses "<kind> <size>" against the kinds and their bounds; "end" gives *end true. */
int push_parse_header(const char *line, enum push_kind *k, uint64_t *size, bool *end,
                      struct err *err);

/* Copies exactly `size` bytes of the stream to `out` (ERR_SYSTEM when the stream ends
 * first, stalls, or the disk fails). */
int push_read_body(struct push_reader *r, int out, uint64_t size, struct err *err);

#endif
