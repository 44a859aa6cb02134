/* The push exchange's parsers (cmd/support/push_stream.h): every line from the other end is
 * untrusted, so anything but the exact grammar is refused before a byte is acted on. */
#include "cmd/support/push_stream.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#define H128                                                                                       \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"                         \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define H64 "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

Test(push_stream, decimals_without_leading_zeros_or_overflow)
{
	uint64_t v;

	cr_assert_eq(push_parse_u64("0", 0, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(push_parse_u64("18446744073709551615", 0, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(push_parse_u64("18446744073709551616", 0, &v), -1, "overflow");
	cr_assert_eq(push_parse_u64("012", 0, &v), -1, "leading zero");
	cr_assert_eq(push_parse_u64("", 0, &v), -1);
	cr_assert_eq(push_parse_u64("-1", 0, &v), -1);
	cr_assert_eq(push_parse_u64("12 ", 0, &v), -1);
	cr_assert_eq(push_parse_u64("123", 2, &v), 0, "a prefix given by its length");
	cr_assert_eq(v, 12);
}

Test(push_stream, offer_fields_and_their_bounds)
{
	char version[129], hash[129], manifest[65];
	uint64_t size, tsize;
	struct err err;

	cr_assert_eq(push_parse_offer("offer 1.2.3 " H128 " 1000 100 " H64, version,
	                              sizeof(version), hash, &size, &tsize, manifest, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(version, "1.2.3");
	cr_assert_eq(size, 1000);
	cr_assert_eq(tsize, 100);
	cr_assert_str_eq(manifest, H64);
	cr_assert_eq(push_parse_offer("offer 1.2.3 " H128 " 1000 0 -", version, sizeof(version),
	                              hash, &size, &tsize, manifest, &err),
	             0);
	cr_assert_str_eq(manifest, "");
	/* A seek table as large as the archive, an archive over 64 GiB, a short hash, upper
	 * case, a missing field, one too many. */
	const char *bad[] = {
	    "offer 1.2.3 " H128 " 1000 1000 -",
	    "offer 1.2.3 " H128 " 68719476737 0 -",
	    "offer 1.2.3 " H64 " 1000 0 -",
	    "offer 1.2.3 " H128
	    " 1000 0 A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90",
	    "offer 1.2.3 " H128 " 1000 0",
	    "offer 1.2.3 " H128 " 1000 0 - extra",
	    "offer  1.2.3 " H128 " 1000 0 -",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_eq(push_parse_offer(bad[i], version, sizeof(version), hash, &size, &tsize,
		                              manifest, &err),
		             -1, "accepted: %s", bad[i]);
		cr_assert_eq(err.kind, ERR_REFUSED);
	}
}

Test(push_stream, requests_of_the_host)
{
	struct push_request q;
	struct err err;

	cr_assert_eq(push_parse_request("ranges 3", &q, &err), 0);
	cr_assert_eq(q.kind, PUSH_REQ_RANGES);
	cr_assert_eq(q.n, 3);
	cr_assert_eq(push_parse_request("patches " H64 " 2.0.0 5", &q, &err), 0, "%s", err.msg);
	cr_assert_eq(q.kind, PUSH_REQ_PATCHES);
	cr_assert_str_eq(q.base_version, "2.0.0");
	cr_assert_eq(q.n, 5);
	cr_assert_eq(push_parse_request("patches " H64 " - 1", &q, &err), 0);
	cr_assert_str_eq(q.base_version, "");
	cr_assert_eq(push_parse_request("whole", &q, &err), 0);
	cr_assert_eq(q.kind, PUSH_REQ_WHOLE);
	cr_assert_eq(push_parse_request("done", &q, &err), 0);
	cr_assert_eq(q.kind, PUSH_REQ_DONE);
	cr_assert_eq(push_parse_request("ranges 262147", &q, &err), -1, "over PUSH_RANGES_MAX");
	cr_assert_eq(push_parse_request("ranges 0", &q, &err), -1);
	cr_assert_eq(push_parse_request("ranges", &q, &err), -1);
	cr_assert_eq(push_parse_request("whole now", &q, &err), -1);
	cr_assert_eq(push_parse_request("patches abc - 1", &q, &err), -1);
	cr_assert_eq(push_parse_request("fetch 1", &q, &err), -1);
}

Test(push_stream, range_and_want_lines)
{
	uint64_t off, len, i;
	uint8_t sha[32];
	bool has;
	struct err err;

	cr_assert_eq(push_parse_range("0 512", &off, &len, &err), 0);
	cr_assert_eq(off, 0);
	cr_assert_eq(len, 512);
	cr_assert_eq(push_parse_range("10 0", &off, &len, &err), -1, "an empty range");
	cr_assert_eq(push_parse_range("10", &off, &len, &err), -1);
	cr_assert_eq(push_parse_range("18446744073709551615 2", &off, &len, &err), -1,
	             "a range past 2^64");
	cr_assert_eq(push_parse_want("7 " H64, &i, &has, sha, &err), 0);
	cr_assert_eq(i, 7);
	cr_assert(has);
	cr_assert_eq(sha[0], 0xa1);
	cr_assert_eq(sha[31], 0x90);
	cr_assert_eq(push_parse_want("8 -", &i, &has, sha, &err), 0);
	cr_assert_not(has);
	cr_assert_eq(push_parse_want("8 " H128, &i, &has, sha, &err), -1);
	cr_assert_eq(push_parse_want("x -", &i, &has, sha, &err), -1);
}

/* A reader over a pipe holding `text`. */
static struct push_reader *reader_of(const char *text)
{
	static struct push_reader r;
	int fd[2];

	cr_assert_eq(pipe(fd), 0);
	cr_assert_eq(write(fd[1], text, strlen(text)), (ssize_t)strlen(text));
	close(fd[1]);
	memset(&r, 0, sizeof(r));
	r.fd = fd[0];
	r.stall_s = 5;
	return &r;
}

Test(push_stream, replies_skip_wait_lines_and_are_checked)
{
	struct push_reader *r = reader_of("wait\nwait\npatches 42\nwaiting 1\n");
	char line[PUSH_LINE_MAX + 1];
	uint64_t size;
	struct err err;

	cr_assert_eq(push_read_reply(r, line, sizeof(line), &err), 0);
	cr_assert_str_eq(line, "patches 42");
	cr_assert_eq(push_parse_reply(line, PUSH_PATCHES, 100, &size, &err), 0);
	cr_assert_eq(size, 42);
	cr_assert_eq(push_parse_reply(line, PUSH_PATCHES, 41, &size, &err), -1, "over its bound");
	cr_assert_eq(push_parse_reply(line, PUSH_RANGES, 100, &size, &err), -1, "another word");
	cr_assert_eq(push_read_reply(r, line, sizeof(line), &err), 0);
	cr_assert_str_eq(line, "waiting 1", "only the exact line is skipped");
	cr_assert_eq(push_read_reply(r, line, sizeof(line), &err), -1, "the stream's end");
	cr_assert_eq(err.kind, ERR_SYSTEM);
	close(r->fd);
}
