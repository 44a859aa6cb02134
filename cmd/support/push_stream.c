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

int push_send_file(int out, enum push_kind k, int in, uint64_t size, uint64_t *sent,
                   void (*tick)(void *ctx), void *ctx, struct err *err)
{
	char line[PUSH_LINE_MAX + 2], buf[65536];
	uint64_t left = size;
	int n;

	n = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", kinds[k].name, size);
	if (write_all(out, line, (size_t)n, err) < 0)
		return -1;
	*sent += (uint64_t)n;
	while (left) {
		ssize_t r = read(in, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_sys(err, "cannot read the %s", kinds[k].name);
		if (r == 0)
			return fail_kind(err, ERR_SYSTEM, "the %s shrank while it was sent",
			                 kinds[k].name);
		if (write_all(out, buf, (size_t)r, err) < 0)
			return -1;
		left -= (uint64_t)r;
		*sent += (uint64_t)r;
		if (tick)
			tick(ctx);
	}
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
		pr = poll(&pfd, 1, (int)(r->stall_s * 1000));
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
