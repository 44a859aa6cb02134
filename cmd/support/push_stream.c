#include "cmd/support/push_stream.h"
#include "release/base/fileio.h"
#include "release/sig/keyring.h"
#include "release/sig/minisign.h"
#include "release/sig/provenance.h"
#include "release/sig/reproduced.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name, *suffix;
	uint64_t max;
} kinds[PUSH_KINDS] = {
    [PUSH_ARCHIVE] = {"archive", "", PUSH_ARCHIVE_MAX},
    [PUSH_MINISIG] = {"minisig", ".minisig", MINISIGN_SIGFILE_MAX},
    [PUSH_KEYRING] = {"keyring", KEYRING_SUFFIX, KEYRING_FILE_MAX},
    [PUSH_INTOTO] = {"intoto", PROVENANCE_SUFFIX, PROVENANCE_FILE_MAX},
    [PUSH_REPRODUCED] = {"reproduced", REPRODUCED_SUFFIX, REPRODUCED_FILE_MAX},
};

const char *push_kind_name(enum push_kind k)
{
	return kinds[k].name;
}

const char *push_kind_suffix(enum push_kind k)
{
	return kinds[k].suffix;
}

uint64_t push_kind_max(enum push_kind k)
{
	return kinds[k].max;
}

int push_send_bytes(int out, int in, uint64_t offset, uint64_t size, uint64_t *sent,
                    void (*tick)(void *ctx), void *ctx, struct err *err)
{
	char buf[65536];
	uint64_t left = size;

	while (left) {
		ssize_t r = pread(in, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf),
		                  (off_t)(offset + size - left));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_sys(err, "cannot read the archive");
		if (r == 0)
			return fail_kind(err, ERR_SYSTEM, "the file shrank while it was sent");
		if (write_all(out, buf, (size_t)r, err) < 0)
			return -1;
		left -= (uint64_t)r;
		*sent += (uint64_t)r;
		if (tick)
			tick(ctx);
	}
	return 0;
}

int push_send_file(int out, enum push_kind k, int in, uint64_t size, uint64_t *sent,
                   void (*tick)(void *ctx), void *ctx, struct err *err)
{
	char line[PUSH_LINE_MAX + 2];
	int n;

	n = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", kinds[k].name, size);
	if (write_all(out, line, (size_t)n, err) < 0)
		return -1;
	*sent += (uint64_t)n;
	if (push_send_bytes(out, in, 0, size, sent, tick, ctx, err) < 0)
		return fail_prefix(err, "%s", kinds[k].name);
	return 0;
}

/* Refills the buffer: 1 read something, 0 end of stream, -1 stall or error. */
static int fill(struct push_reader *r, struct err *err)
{
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
	ssize_t n;
	int pr;

	if (r->eof)
		return 0;
	do
		pr = poll(&pfd, 1, r->stall_s > 0 ? (int)(r->stall_s * 1000) : -1);
	while (pr < 0 && errno == EINTR);
	if (pr < 0)
		return fail_sys(err, "cannot wait for the stream");
	if (pr == 0)
		return fail_kind(err, ERR_SYSTEM, "no data for %ld s; transfer abandoned",
		                 r->stall_s);
	do
		n = read(r->fd, r->buf, sizeof(r->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail_sys(err, "cannot read the stream");
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->pos = 0;
	r->len = (size_t)n;
	return 1;
}

int push_read_line(struct push_reader *r, char *line, size_t cap, struct err *err)
{
	size_t n = 0;
	int f;

	for (;;) {
		if (r->pos == r->len) {
			f = fill(r, err);
			if (f < 0)
				return -1;
			if (f == 0)
				return fail_kind(err, ERR_SYSTEM,
				                 "the stream ended before its \"end\" line");
		}
		char c = r->buf[r->pos++];

		if (c == '\n')
			break;
		if (c == '\0' || n + 1 >= cap || n >= PUSH_LINE_MAX)
			return fail(err, "not a slipway push stream (bad header line)");
		line[n++] = c;
	}
	line[n] = '\0';
	return 0;
}

int push_read_reply(struct push_reader *r, char *line, size_t cap, struct err *err)
{
	do {
		if (push_read_line(r, line, cap, err) < 0)
			return -1;
	} while (!strcmp(line, PUSH_WAIT));
	return 0;
}

int push_parse_header(const char *line, enum push_kind *k, uint64_t *size, bool *end,
                      struct err *err)
{
	const char *sp = strchr(line, ' ');
	char *e;

	*end = !strcmp(line, "end");
	if (*end)
		return 0;
	for (int i = 0; sp && i < PUSH_KINDS; i++) {
		if ((size_t)(sp - line) != strlen(kinds[i].name) ||
		    strncmp(line, kinds[i].name, (size_t)(sp - line)))
			continue;
		if (sp[1] < '0' || sp[1] > '9')
			break;
		errno = 0;
		*size = strtoull(sp + 1, &e, 10);
		if (errno || *e || (sp[1] == '0' && sp[2]))
			break;
		if (*size > kinds[i].max)
			return fail(err,
			            "the %s is %" PRIu64 " bytes, more than the %" PRIu64
			            " accepted; nothing installed",
			            kinds[i].name, *size, kinds[i].max);
		*k = (enum push_kind)i;
		return 0;
	}
	return fail(err, "not a slipway push stream (bad header line)");
}

int push_read_body(struct push_reader *r, int out, uint64_t size, struct err *err)
{
	uint64_t left = size;

	while (left) {
		size_t n;
		int f;

		if (r->pos == r->len) {
			f = fill(r, err);
			if (f < 0)
				return -1;
			if (f == 0)
				return fail_kind(err, ERR_SYSTEM,
				                 "the stream ended after %" PRIu64 " of %" PRIu64
				                 " bytes",
				                 size - left, size);
		}
		n = r->len - r->pos;
		if (n > left)
			n = (size_t)left;
		if (write_all(out, r->buf + r->pos, n, err) < 0)
			return -1;
		r->pos += n;
		left -= n;
	}
	return 0;
}

int push_parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (!len)
		len = strlen(s);
	if (!len || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Splits line into at most max words at single spaces; the count, or -1 (an empty word). */
static int words(const char *line, const char **w, size_t *len, int max)
{
	int n = 0;

	for (const char *s = line;; n++) {
		const char *sp = strchr(s, ' ');

		if (n == max)
			return -1;
		w[n] = s;
		len[n] = sp ? (size_t)(sp - s) : strlen(s);
		if (!len[n])
			return -1;
		if (!sp)
			return n + 1;
		s = sp + 1;
	}
}

static bool is_word(const char *w, size_t len, const char *word)
{
	return len == strlen(word) && !strncmp(w, word, len);
}

static bool is_hex(const char *w, size_t len, size_t want)
{
	return len == want && strspn(w, "0123456789abcdef") >= len;
}

int push_parse_request(const char *line, struct push_request *q, struct err *err)
{
	const char *w[5];
	size_t len[5];
	int n = words(line, w, len, 5);

	memset(q, 0, sizeof(*q));
	if (n == 1 && is_word(w[0], len[0], PUSH_WHOLE)) {
		q->kind = PUSH_REQ_WHOLE;
		return 0;
	}
	if (n == 1 && is_word(w[0], len[0], PUSH_DONE)) {
		q->kind = PUSH_REQ_DONE;
		return 0;
	}
	if (n == 2 && is_word(w[0], len[0], PUSH_RANGES) &&
	    push_parse_u64(w[1], len[1], &q->n) == 0 && q->n >= 1 && q->n <= PUSH_RANGES_MAX) {
		q->kind = PUSH_REQ_RANGES;
		return 0;
	}
	if (n == 4 && is_word(w[0], len[0], PUSH_PATCHES) && is_hex(w[1], len[1], 64) &&
	    len[2] < sizeof(q->base_version) && push_parse_u64(w[3], len[3], &q->n) == 0) {
		q->kind = PUSH_REQ_PATCHES;
		memcpy(q->manifest_sha256, w[1], 64);
		if (!is_word(w[2], len[2], "-"))
			memcpy(q->base_version, w[2], len[2]);
		return 0;
	}
	return fail(err, "not a slipway receive request: '%.64s'", line);
}

int push_parse_range(const char *line, uint64_t *offset, uint64_t *length, struct err *err)
{
	const char *w[2];
	size_t len[2];

	if (words(line, w, len, 2) != 2 || push_parse_u64(w[0], len[0], offset) < 0 ||
	    push_parse_u64(w[1], len[1], length) < 0 || !*length || *length > UINT64_MAX - *offset)
		return fail(err, "not a range: '%.64s'", line);
	return 0;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

int push_parse_want(const char *line, uint64_t *i, bool *has_base, uint8_t sha256[32],
                    struct err *err)
{
	const char *w[2];
	size_t len[2];

	if (words(line, w, len, 2) != 2 || push_parse_u64(w[0], len[0], i) < 0 ||
	    !(is_word(w[1], len[1], "-") || is_hex(w[1], len[1], 64)))
		return fail(err, "not a file request: '%.80s'", line);
	*has_base = len[1] == 64;
	for (size_t j = 0; *has_base && j < 32; j++)
		sha256[j] = (uint8_t)(hexval(w[1][2 * j]) << 4 | hexval(w[1][2 * j + 1]));
	return 0;
}

int push_parse_reply(const char *line, const char *word, uint64_t max, uint64_t *size,
                     struct err *err)
{
	const char *w[2];
	size_t len[2];

	if (words(line, w, len, 2) != 2 || !is_word(w[0], len[0], word) ||
	    push_parse_u64(w[1], len[1], size) < 0)
		return fail(err, "not a slipway push reply (expected %s)", word);
	if (*size > max)
		return fail(err,
		            "the %s reply is %" PRIu64 " bytes, more than the %" PRIu64 " accepted",
		            word, *size, max);
	return 0;
}

int push_parse_offer(const char *line, char *version, size_t vcap, char *hash, uint64_t *size,
                     uint64_t *seek_table_size, char *manifest, struct err *err)
{
	const char *w[6];
	size_t len[6];

	if (words(line, w, len, 6) != 6 || !is_word(w[0], len[0], "offer") || len[1] >= vcap ||
	    !is_hex(w[2], len[2], 128) || push_parse_u64(w[3], len[3], size) < 0 ||
	    push_parse_u64(w[4], len[4], seek_table_size) < 0 || *size > PUSH_ARCHIVE_MAX ||
	    (*seek_table_size && *seek_table_size >= *size) ||
	    !(is_word(w[5], len[5], "-") || is_hex(w[5], len[5], 64)))
		return fail(err, "not a slipway push stream (bad offer)");
	memcpy(manifest, w[5], len[5] == 1 ? 0 : 64);
	manifest[len[5] == 1 ? 0 : 64] = '\0';
	memcpy(version, w[1], len[1]);
	version[len[1]] = '\0';
	memcpy(hash, w[2], 128);
	hash[128] = '\0';
	return 0;
}
