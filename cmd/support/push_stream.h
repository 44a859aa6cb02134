/* The exchange of `slipway push` with `slipway receive` on the host over one ssh session
 * (specs/cli.md, "push"; the one home of its format). Push writes "slipway-push 2\n" and
 * "offer <version> <blake2b-512 hex> <size> <seek table size> <manifest sha256|->\n" (seek
 * table size 0: the archive has none; the manifest digest its signature's trusted comment
 * names, "-": none); the host's first stdout line answers "have" (it has that release: the
 * archive's BLAKE2b-512, or for a release it installed from frames, that manifest digest, is
 * its record's; nothing more is read), "send" or "partial".
 *
 * After "send", per file a line "<kind> <size>\n" followed by exactly <size> bytes, then
 * "end\n". Kinds, each at most once: archive (required), minisig (required), keyring,
 * intoto, reproduced; each bounded before anything is written (PUSH_ARCHIVE_MAX, and the
 * bound of its own format for the others).
 *
 * After "partial", the same without the archive (minisig required), then the host asks, one
 * request line (and its item lines) at a time on its stdout, and push answers each on the
 * stream before the host asks again:
 *   "ranges <n>" + n lines "<offset> <length>" (increasing, not overlapping, non-empty,
 *       within the offered size; n at most PUSH_RANGES_MAX)
 *       -> "ranges <total>\n" + the n ranges' bytes in order (total: the sum of the lengths);
 *   "patches <manifest sha256> <base version|-> <n>" + n lines "<i> <base sha256|->" (i the
 *       target manifest's file index, increasing; the SHA-256 of the file the host has at
 *       that path)
 *       -> "patches <size>\n" + a patch set (release/store/patchset.h) of size bytes; 0:
 *       none (the host fetches ranges for those files instead). While push builds it,
 *       "wait\n" lines come first, at most one a second (PUSH_WAIT_MS): work goes on, and
 *       the host's stall deadline starts again with each;
 *   "whole" -> "archive <size>\n" + the archive (the host cannot install from frames);
 *   "done": the host needs nothing more; what follows on its stdout is for people.
 * The end of the host's stdout before "done" ends the exchange too (the host failed, and
 * said why on stderr). Every number is decimal without leading zeros; every reply is checked
 * against its request before a byte is written. */
#ifndef SLIPWAY_CMD_PUSH_STREAM_H
#define SLIPWAY_CMD_PUSH_STREAM_H

#include "release/base/error.h"
#include "release/base/seektable.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUSH_MAGIC       "slipway-push 2"
#define PUSH_ARCHIVE_MAX (64ull << 30) /* 64 GiB */
#define PUSH_LINE_MAX    400 /* "offer", a version (at most 128), 128 + 64 hex digits, 2 sizes */
#define PUSH_HAVE        "have"
#define PUSH_SEND        "send"
#define PUSH_PARTIAL     "partial"
#define PUSH_END         "end\n"
#define PUSH_RANGES_MAX  (SEEKTABLE_MAX_FRAMES + 2) /* a request's ranges */
#define PUSH_RANGES      "ranges"
#define PUSH_PATCHES     "patches"
#define PUSH_WHOLE       "whole"
#define PUSH_DONE        "done"
#define PUSH_WAIT        "wait"
#define PUSH_WAIT_MS     1000 /* the most often a "wait" line is sent */

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

/* Sender: the header line of a file, then `size` bytes copied from `in` from its start (the
 * size must not change meanwhile). *sent grows by what was written; `tick` (may be NULL) is called
 * with ctx after each chunk (a progress display). */
int push_send_file(int out, enum push_kind k, int in, uint64_t size, uint64_t *sent,
                   void (*tick)(void *ctx), void *ctx, struct err *err);

/* Receiver: reads from fd with a stall deadline (no byte for stall_s seconds fails; 0: no
 * deadline). */
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

/* The bytes [offset, offset + size) of `in` onto out, as push_send_file's body. */
int push_send_bytes(int out, int in, uint64_t offset, uint64_t size, uint64_t *sent,
                    void (*tick)(void *ctx), void *ctx, struct err *err);

/* "offer <version> <hash> <size> <seek table size> <manifest>": version (one word, shorter
 * than vcap; its syntax is its user's to check), hash (128 lowercase hex digits, into 129
 * bytes), size at most PUSH_ARCHIVE_MAX, the seek table's size 0 or below size, manifest 64
 * lowercase hex digits (into 65 bytes) or "-" ("" then). ERR_REFUSED otherwise. */
int push_parse_offer(const char *line, char *version, size_t vcap, char *hash, uint64_t *size,
                     uint64_t *seek_table_size, char *manifest, struct err *err);

/* ---- The partial exchange ---- */

enum push_request_kind { PUSH_REQ_RANGES, PUSH_REQ_PATCHES, PUSH_REQ_WHOLE, PUSH_REQ_DONE };

struct push_request {
	enum push_request_kind kind;
	uint64_t n;               /* item lines that follow (ranges, patches) */
	char manifest_sha256[65]; /* patches */
	char base_version[129];   /* patches: "" for "-" */
};

/* Parses a request line of the host (push's side): ERR_REFUSED when malformed, n over
 * PUSH_RANGES_MAX for ranges. The base version is a word here; its user checks it. */
int push_parse_request(const char *line, struct push_request *q, struct err *err);

/* "<offset> <length>", length non-zero, the range's end within 2^64 (its user checks it
 * against the archive). */
int push_parse_range(const char *line, uint64_t *offset, uint64_t *length, struct err *err);

/* "<i> <sha256 hex|->": *has_base false for "-". */
int push_parse_want(const char *line, uint64_t *i, bool *has_base, uint8_t sha256[32],
                    struct err *err);

/* A reply's header line (host's side): push_read_line past any "wait" lines. */
int push_read_reply(struct push_reader *r, char *line, size_t cap, struct err *err);

/* A reply's header "<word> <size>" (host's side): ERR_REFUSED unless it is that word and
 * size is at most max. */
int push_parse_reply(const char *line, const char *word, uint64_t max, uint64_t *size,
                     struct err *err);

/* Decimal without leading zeros, the whole of [s, s + len) (len 0: to the NUL). */
int push_parse_u64(const char *s, size_t len, uint64_t *v);

#endif
