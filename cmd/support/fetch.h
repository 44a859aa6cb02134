/* HTTP(S) downloads for `slipway pull` (specs/channel.md "`slipway pull URL` (the host)"):
 * the one file that calls libcurl, which it loads on its first transfer (libcurl.h). It lives
 * in cmd/support because only commands fetch (the unit tests and fuzzers link the release/
 * objects, which never touch the network). It moves bytes and enforces the
 * transport's bounds; what the bytes mean (signatures, digests, serials) is judged by the
 * caller through release/.
 *
 * Every transfer: http and https only, redirects too (at most 5, never from https to http),
 * TLS verified against the system CA store (libcurl's default), proxies from the environment
 * (http_proxy, https_proxy, no_proxy: libcurl's default), no compression asked for, and a
 * stall deadline: a connection that takes longer than `stall_s` seconds, or a transfer that
 * moves less than FETCH_MIN_RATE bytes a second for `stall_s` seconds, is abandoned (a server
 * that drips bytes holds a pull, and the store lock, no longer than one that sends none).
 * Errors follow release/base/error.h: the transport failing (cannot connect, stall, an HTTP
 * error status) is ERR_SYSTEM, a server breaking the bounds it was given (more bytes, a
 * Content-Length or Content-Range that disagrees) is ERR_REFUSED. */
#ifndef SLIPWAY_CMD_FETCH_H
#define SLIPWAY_CMD_FETCH_H

#include "release/base/byte_range.h"
#include "release/base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FETCH_STALL_ENV     "SLIPWAY_STALL_TIMEOUT" /* seconds */
#define FETCH_STALL_DEFAULT 30
#define FETCH_STALL_MAX     3600
#define FETCH_MIN_RATE      4096 /* bytes a second, on average over the stall deadline */

/* The stall deadline: $SLIPWAY_STALL_TIMEOUT (1 to 3600 seconds), else 30. -1 with a
 * message (ERR_USAGE) when it is set to anything else. */
int fetch_stall_seconds(long *out, struct err *err);

/* `url` as messages show it (into buf, truncated to cap - 1): without user:password@ and
 * without the query (signed URLs carry tokens there). */
void fetch_url_shown(const char *url, char *buf, size_t cap);

/* GETs `url` (at most `max` bytes: a Content-Length above it is refused before anything is
 * allocated, a longer body is cut and refused) into a NUL-terminated heap buffer owned by the
 * caller, asking caches on the way for a fresh copy (`Cache-Control: no-cache`). Returns 0 on a 200
 * answer, 1 on a 404 (nothing allocated, *out NULL): the caller decides whether a missing file is
 * an error. */
int fetch_small(const char *url, size_t max, long stall_s, char **out, size_t *len,
                struct err *err);

struct fetch_result {
	bool range_sent;   /* a partial file was there: `Range: bytes=<have>-` was asked */
	bool resumed;      /* the server answered 206 and the bytes were appended */
	uint64_t received; /* body bytes received by this call */
	long status;       /* the answer's HTTP status (0: none came), e.g. 404 on a -1 */
	int write_errno;   /* on a -1 because fd could not be written: its errno (ENOSPC, ...) */
};

/* Completes the file open on `fd` (read-write), which holds `have` bytes of a file of exactly
 * `total` bytes (have < total). With have > 0 it asks `Range: bytes=<have>-`: a 206 must carry
 * Content-Range <have>-<total-1>/<total> and its bytes are appended; a 200 means the server
 * ignores ranges, and the file is restarted from zero (truncated). More bytes than `total`, a
 * Content-Length other than what remains, a body that ends short, or a stall: -1. After a stall
 * or a broken connection the bytes received so far stay in the file (a later call resumes);
 * after a refusal they are not to be trusted (the caller removes the file). On 0 the file
 * holds exactly `total` bytes (not yet hashed: the caller's job). */
int fetch_file(const char *url, int fd, uint64_t have, uint64_t total, long stall_s,
               struct fetch_result *res, struct err *err);

/* A connection kept across fetch_range calls (libcurl's connection cache). */
struct fetch_session;
int fetch_session_new(struct fetch_session **out, struct err *err);
void fetch_session_free(struct fetch_session *s);

/* GETs bytes [offset, offset + length) of the file at url, exactly `total` bytes long, with
 * `Range: bytes=<offset>-<offset+length-1>` and writes them into fd at `offset`. The answer
 * must be a 206 whose Content-Range is exactly that range of `total` and whose body is exactly
 * `length` bytes (more is cut and refused). Returns 0; 1 when the server answered 200 (it
 * ignores Range): the transfer is abandoned at its headers, nothing is written; -1 with err
 * (ERR_REFUSED for a server breaking the bounds, ERR_SYSTEM for the transport). *received: body
 * bytes taken. */
int fetch_range(struct fetch_session *s, const char *url, int fd, uint64_t offset, uint64_t length,
                uint64_t total, long stall_s, uint64_t *received, struct err *err);

#define FETCH_SPANS_MAX 64 /* ranges in one request (the Range header stays below 2 KiB) */

/* As fetch_range for n (1..FETCH_SPANS_MAX) spans, increasing and not overlapping, in one
 * request: `Range: bytes=a-b,c-d,...`. A multipart/byteranges 206 must carry exactly those
 * parts, in that order, each with its exact Content-Range and length (a part line above 1 KiB,
 * more than 4 KiB of headers in a part, or more than 1 KiB around the parts is refused); a
 * single-part 206 must be the one span asked for, or one range covering them all (a server may
 * coalesce) of at most their extent. 1 on a 200 (Range ignored). *complete: how many of the
 * first spans are wholly in fd, also when the answer broke off after them (a pull cut short
 * keeps them: cmd/support/resume_ranges.h); n on success. */
int fetch_ranges(struct fetch_session *s, const char *url, int fd, const struct byte_range *sp,
                 size_t n, uint64_t total, long stall_s, uint64_t *received, size_t *complete,
                 struct err *err);

#endif
