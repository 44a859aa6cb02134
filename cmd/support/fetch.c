/* HTTP(S) downloads through libcurl (cmd/support/fetch.h). */
#include "cmd/support/fetch.h"
#include "cmd/support/libcurl.h"
#include "release/base/http_range.h"

#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set by every entry that starts a transfer (libcurl_load: the same table each time). */
static const struct libcurl *lc;

static int loaded(struct err *err)
{
	return (lc = libcurl_load(err)) ? 0 : -1;
}

int fetch_stall_seconds(long *out, struct err *err)
{
	const char *s = getenv(FETCH_STALL_ENV);
	char *end;
	unsigned long v;

	*out = FETCH_STALL_DEFAULT;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < 1 || v > FETCH_STALL_MAX)
		return fail_kind(err, ERR_USAGE, "%s needs seconds from 1 to %d, not '%s'",
		                 FETCH_STALL_ENV, FETCH_STALL_MAX, s);
	*out = (long)v;
	return 0;
}

void fetch_url_shown(const char *url, char *buf, size_t cap)
{
	const char *scheme = strstr(url, "://"), *host = scheme ? scheme + 3 : url, *at;
	size_t hostlen = strcspn(host, "/?#"), n;

	at = memchr(host, '@', hostlen);
	n = (size_t)(host - url);
	snprintf(buf, cap, "%.*s%.*s", (int)n, url, (int)strcspn(at ? at + 1 : host, "?#"),
	         at ? at + 1 : host);
}

static int setup(CURL *c, const char *url, long stall_s, char *errbuf)
{
	bool https = strncmp(url, "https://", 8) == 0;

	errbuf[0] = 0;
	if (lc->curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https") !=
	        CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, stall_s) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)FETCH_MIN_RATE) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_s) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_USERAGENT, "slipway/" SLIPWAY_VERSION) != CURLE_OK ||
	    lc->curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
		return -1;
	return 0;
}

/* A failed transfer: the write callback's own reason first, else libcurl's. */
static int transfer_failed(const char *url, CURLcode rc, const char *why, enum err_kind kind,
                           const char *errbuf, long stall_s, struct err *err)
{
	char u[1024];

	fetch_url_shown(url, u, sizeof(u));
	if (why[0])
		return fail_kind(err, kind, "%s: %s", u, why);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return fail_kind(err, ERR_SYSTEM,
		                 "%s: stalled: less than %d bytes a second for %ld s (%s)", u,
		                 FETCH_MIN_RATE, stall_s, FETCH_STALL_ENV);
	/* The URL's own scheme was checked before: only a redirect gets here. */
	if (rc == CURLE_UNSUPPORTED_PROTOCOL)
		return fail_kind(err, ERR_REFUSED,
		                 "%s: redirected to a URL that is not followed (from https only to "
		                 "https, from http to http or https)",
		                 u);
	return fail_kind(err, ERR_SYSTEM, "%s: %s", u,
	                 errbuf[0] ? errbuf : lc->curl_easy_strerror(rc));
}

struct small {
	CURL *c;
	size_t max;
	char *buf;
	size_t len, cap;
	bool started;
	long status;
	enum err_kind kind;
	char why[256];
};

static int small_start(struct small *s)
{
	curl_off_t cl = -1;

	s->started = true;
	lc->curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200) {
		s->kind = ERR_SYSTEM;
		snprintf(s->why, sizeof(s->why), "HTTP status %ld", s->status);
		return -1;
	}
	lc->curl_easy_getinfo(s->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (cl > (curl_off_t)s->max) {
		s->kind = ERR_REFUSED;
		snprintf(s->why, sizeof(s->why), "Content-Length %lld is more than %zu bytes",
		         (long long)cl, s->max);
		return -1;
	}
	s->cap = cl >= 0 ? (size_t)cl : (s->max < 4096 ? s->max : 4096);
	s->buf = malloc(s->cap + 1);
	if (!s->buf) {
		s->kind = ERR_SYSTEM;
		snprintf(s->why, sizeof(s->why), "out of memory");
		return -1;
	}
	return 0;
}

static size_t small_write(char *data, size_t size, size_t n, void *p)
{
	struct small *s = p;
	size_t k = size * n;

	if (!s->started && small_start(s) < 0)
		return 0;
	if (k > s->max - s->len) {
		s->kind = ERR_REFUSED;
		snprintf(s->why, sizeof(s->why), "more than %zu bytes", s->max);
		return 0;
	}
	if (s->len + k > s->cap) {
		size_t cap = s->cap * 2 > s->len + k ? s->cap * 2 : s->len + k;
		char *b;

		cap = cap > s->max ? s->max : cap;
		if (!(b = realloc(s->buf, cap + 1))) {
			s->kind = ERR_SYSTEM;
			snprintf(s->why, sizeof(s->why), "out of memory");
			return 0;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, k);
	s->len += k;
	return k;
}

int fetch_small(const char *url, size_t max, long stall_s, char **out, size_t *len, struct err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct small s = {.max = max, .why = ""};
	struct curl_slist *fresh = NULL;
	CURLcode rc;
	int ret = -1;

	*out = NULL;
	*len = 0;
	if (loaded(err) < 0)
		return -1;
	if (!(s.c = lc->curl_easy_init()))
		return fail_kind(err, ERR_SYSTEM, "cannot start libcurl");
	/* The index changes under one name: a cache on the way (a proxy from the environment, a
	 * CDN that honours it) must ask the origin again rather than serve what it holds. */
	if (!(fresh = lc->curl_slist_append(NULL, "Cache-Control: no-cache"))) {
		fail_oom(err);
		goto out;
	}
	if (setup(s.c, url, stall_s, errbuf) < 0 ||
	    lc->curl_easy_setopt(s.c, CURLOPT_HTTPHEADER, fresh) != CURLE_OK ||
	    lc->curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, small_write) != CURLE_OK ||
	    lc->curl_easy_setopt(s.c, CURLOPT_WRITEDATA, &s) != CURLE_OK) {
		fail_kind(err, ERR_SYSTEM, "cannot set up libcurl");
		goto out;
	}
	rc = lc->curl_easy_perform(s.c);
	if (rc == CURLE_OK && !s.started)
		small_start(&s); /* an empty body: the status still counts */
	if (s.status == 404 && (rc == CURLE_OK || rc == CURLE_WRITE_ERROR)) {
		ret = 1;
		goto out;
	}
	if (rc != CURLE_OK || s.why[0]) {
		transfer_failed(url, rc, s.why, s.kind, errbuf, stall_s, err);
		goto out;
	}
	s.buf[s.len] = 0;
	*out = s.buf;
	*len = s.len;
	s.buf = NULL;
	ret = 0;
out:
	free(s.buf);
	lc->curl_easy_cleanup(s.c);
	lc->curl_slist_free_all(fresh);
	return ret;
}

struct file {
	CURL *c;
	int fd;
	uint64_t have, total, got;
	uint64_t end;    /* the bytes wanted are [have, end) of the file */
	bool range_only; /* a 200 answer is not taken: the transfer stops at its headers */
	bool ignored;    /* it came (the server ignores Range) */
	bool started, range_sent, resumed;
	int write_errno;
	enum err_kind kind;
	char why[512];
};

static int file_refuse(struct file *f, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int file_refuse(struct file *f, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	f->kind = kind;
	return -1;
}

/* The answer's status and headers, before its first byte is placed. */
static int file_start(struct file *f)
{
	struct curl_header *h = NULL;
	struct http_range r;
	struct err e;
	curl_off_t cl = -1;
	long status = 0;

	f->started = true;
	lc->curl_easy_getinfo(f->c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 206 && f->range_sent) {
		if (lc->curl_easy_header(f->c, "Content-Range", 0, CURLH_HEADER, -1, &h) !=
		    CURLHE_OK)
			return file_refuse(f, ERR_REFUSED, "206 answer without Content-Range");
		if (http_range_parse(h->value, &r, &e) < 0)
			return file_refuse(f, ERR_REFUSED, "%s", e.msg);
		if (r.first != f->have || !r.has_total || r.total != f->total ||
		    r.last != f->end - 1)
			return file_refuse(
			    f, ERR_REFUSED, "Content-Range '%s' is not bytes %llu-%llu/%llu",
			    h->value, (unsigned long long)f->have, (unsigned long long)f->end - 1,
			    (unsigned long long)f->total);
		f->resumed = true;
	} else if (status == 200 && f->range_only) {
		f->ignored = true;
		return -1;
	} else if (status == 200) {
		/* Ranges ignored: the whole file comes again, from its first byte. */
		if (f->have && ftruncate(f->fd, 0) < 0)
			return file_refuse(f, ERR_SYSTEM, "cannot truncate the partial file: %s",
			                   strerror(errno));
		f->have = 0;
	} else {
		return file_refuse(f, ERR_SYSTEM, "HTTP status %ld", status);
	}
	lc->curl_easy_getinfo(f->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (cl >= 0 && (uint64_t)cl != f->end - f->have)
		return file_refuse(f, ERR_REFUSED, "Content-Length %lld, expected %llu",
		                   (long long)cl, (unsigned long long)(f->end - f->have));
	return 0;
}

static size_t file_write(char *data, size_t size, size_t n, void *p)
{
	struct file *f = p;
	size_t k = size * n, done = 0;

	if (!f->started && file_start(f) < 0)
		return 0;
	if (k > f->end - f->have - f->got) {
		if (f->range_only)
			file_refuse(f, ERR_REFUSED, "more than the %llu bytes asked for",
			            (unsigned long long)(f->end - f->have));
		else
			file_refuse(f, ERR_REFUSED, "more than the index's %llu bytes",
			            (unsigned long long)f->total);
		return 0;
	}
	while (done < k) {
		ssize_t w = pwrite(f->fd, data + done, k - done, (off_t)(f->have + f->got + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			f->write_errno = w < 0 ? errno : EIO;
			file_refuse(f, ERR_SYSTEM, "cannot write the download: %s",
			            w < 0 ? strerror(errno) : "short write");
			return 0;
		}
		done += (size_t)w;
	}
	f->got += k;
	return k;
}

int fetch_file(const char *url, int fd, uint64_t have, uint64_t total, long stall_s,
               struct fetch_result *res, struct err *err)
{
	char errbuf[CURL_ERROR_SIZE], range[32];
	struct file f = {
	    .fd = fd, .have = have, .total = total, .end = total, .range_sent = have > 0};
	CURLcode rc;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (loaded(err) < 0)
		return -1;
	if (!(f.c = lc->curl_easy_init()))
		return fail_kind(err, ERR_SYSTEM, "cannot start libcurl");
	snprintf(range, sizeof(range), "%llu-", (unsigned long long)have);
	if (setup(f.c, url, stall_s, errbuf) < 0 ||
	    lc->curl_easy_setopt(f.c, CURLOPT_WRITEFUNCTION, file_write) != CURLE_OK ||
	    lc->curl_easy_setopt(f.c, CURLOPT_WRITEDATA, &f) != CURLE_OK ||
	    (have && lc->curl_easy_setopt(f.c, CURLOPT_RANGE, range) != CURLE_OK)) {
		fail_kind(err, ERR_SYSTEM, "cannot set up libcurl");
		goto out;
	}
	rc = lc->curl_easy_perform(f.c);
	if (rc == CURLE_OK && !f.started)
		file_start(&f);
	if (rc != CURLE_OK || f.why[0]) {
		transfer_failed(url, rc, f.why, f.kind, errbuf, stall_s, err);
		goto out;
	}
	if (f.have + f.got != total) {
		char u[1024];

		fetch_url_shown(url, u, sizeof(u));
		fail(err, "%s: the answer ended after %llu of %llu bytes", u,
		     (unsigned long long)(f.have + f.got), (unsigned long long)total);
		goto out;
	}
	ret = 0;
out:
	res->range_sent = f.range_sent;
	res->resumed = f.resumed;
	res->received = f.got;
	res->write_errno = f.write_errno;
	lc->curl_easy_getinfo(f.c, CURLINFO_RESPONSE_CODE, &res->status);
	lc->curl_easy_cleanup(f.c);
	return ret;
}

struct fetch_session {
	CURL *c;
	char errbuf[CURL_ERROR_SIZE];
};

int fetch_session_new(struct fetch_session **out, struct err *err)
{
	struct fetch_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return fail_oom(err);
	if (loaded(err) < 0) {
		free(s);
		return -1;
	}
	if (!(s->c = lc->curl_easy_init())) {
		free(s);
		return fail_kind(err, ERR_SYSTEM, "cannot start libcurl");
	}
	*out = s;
	return 0;
}

void fetch_session_free(struct fetch_session *s)
{
	if (!s)
		return;
	lc->curl_easy_cleanup(s->c);
	free(s);
}

int fetch_range(struct fetch_session *s, const char *url, int fd, uint64_t offset, uint64_t length,
                uint64_t total, long stall_s, uint64_t *received, struct err *err)
{
	char range[64];
	struct file f = {.c = s->c,
	                 .fd = fd,
	                 .have = offset,
	                 .total = total,
	                 .end = offset + length,
	                 .range_only = true,
	                 .range_sent = true};
	CURLcode rc;

	*received = 0;
	if (length == 0 || offset > total || length > total - offset)
		return fail_kind(err, ERR_SYSTEM, "internal error: range %llu+%llu of %llu",
		                 (unsigned long long)offset, (unsigned long long)length,
		                 (unsigned long long)total);
	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)offset,
	         (unsigned long long)(offset + length - 1));
	/* One handle for every range of a pull: libcurl keeps the connection alive. */
	lc->curl_easy_reset(s->c);
	if (setup(s->c, url, stall_s, s->errbuf) < 0 ||
	    lc->curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, file_write) != CURLE_OK ||
	    lc->curl_easy_setopt(s->c, CURLOPT_WRITEDATA, &f) != CURLE_OK ||
	    lc->curl_easy_setopt(s->c, CURLOPT_RANGE, range) != CURLE_OK)
		return fail_kind(err, ERR_SYSTEM, "cannot set up libcurl");
	rc = lc->curl_easy_perform(s->c);
	if (rc == CURLE_OK && !f.started)
		file_start(&f);
	*received = f.got;
	if (f.ignored)
		return 1;
	if (rc != CURLE_OK || f.why[0])
		return transfer_failed(url, rc, f.why, f.kind, s->errbuf, stall_s, err);
	if (f.got != length) {
		char u[1024];

		fetch_url_shown(url, u, sizeof(u));
		return fail(err, "%s: the answer to bytes %s ended after %llu bytes", u, range,
		            (unsigned long long)f.got);
	}
	return 0;
}

/* ---- several ranges in one request: multipart/byteranges (RFC 9110 section 14.6) ---- */

#define MP_LINE_MAX   1024
#define MP_HEADER_MAX 4096
#define MP_JUNK_MAX   1024 /* preamble, blank lines between parts, epilogue */

enum mp_state { MP_START, MP_HEADERS, MP_BODY, MP_BETWEEN, MP_DONE };

struct multi {
	CURL *c;
	int fd;
	const struct byte_range *sp;
	size_t n, idx;
	uint64_t total, got;
	bool started, ignored, single;
	/* single-part answer: its range */
	uint64_t first, last;
	/* multipart */
	char boundary[80];
	enum mp_state st;
	char line[MP_LINE_MAX + 1];
	size_t llen, header_bytes, junk;
	bool have_range;
	uint64_t part_left, part_off;
	enum err_kind kind;
	char why[512];
};

static size_t multi_refuse(struct multi *m, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t multi_refuse(struct multi *m, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	m->kind = kind;
	return 0;
}

/* The boundary parameter of a multipart/byteranges Content-Type (quoted or not). */
static int boundary_of(const char *ct, char *out, size_t cap)
{
	const char *b;
	size_t n;

	if (strncasecmp(ct, "multipart/byteranges", 20) || !(b = strcasestr(ct, "boundary=")))
		return -1;
	b += 9;
	if (*b == '"') {
		b++;
		n = strcspn(b, "\"");
	} else {
		n = strcspn(b, "; \t\r\n");
	}
	if (n == 0 || n >= cap || n > 70)
		return -1;
	memcpy(out, b, n);
	out[n] = 0;
	return 0;
}

static int multi_start(struct multi *m)
{
	struct curl_header *h = NULL;
	struct http_range r;
	struct err e;
	long status = 0;

	m->started = true;
	lc->curl_easy_getinfo(m->c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		m->ignored = true;
		return -1;
	}
	if (status != 206)
		return multi_refuse(m, ERR_SYSTEM, "HTTP status %ld", status), -1;
	if (lc->curl_easy_header(m->c, "Content-Type", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
	    boundary_of(h->value, m->boundary, sizeof(m->boundary)) == 0)
		return 0;
	/* One part: a range covering every span asked for, at most their extent. */
	if (lc->curl_easy_header(m->c, "Content-Range", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return multi_refuse(m, ERR_REFUSED, "206 answer neither multipart nor ranged"), -1;
	if (http_range_parse(h->value, &r, &e) < 0)
		return multi_refuse(m, ERR_REFUSED, "%s", e.msg), -1;
	if (!r.has_total || r.total != m->total || r.first != m->sp[0].offset ||
	    r.last != m->sp[m->n - 1].offset + m->sp[m->n - 1].length - 1)
		return multi_refuse(
		           m, ERR_REFUSED,
		           "Content-Range '%s' does not cover bytes %llu-%llu/%llu exactly",
		           h->value, (unsigned long long)m->sp[0].offset,
		           (unsigned long long)(m->sp[m->n - 1].offset + m->sp[m->n - 1].length -
		                                1),
		           (unsigned long long)m->total),
		       -1;
	m->single = true;
	m->first = r.first;
	m->last = r.last;
	return 0;
}

static int multi_put(struct multi *m, const char *data, size_t k, uint64_t at)
{
	size_t done = 0;

	while (done < k) {
		ssize_t w = pwrite(m->fd, data + done, k - done, (off_t)(at + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			multi_refuse(m, ERR_SYSTEM, "cannot write the download: %s",
			             w < 0 ? strerror(errno) : "short write");
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

/* One complete line (CR LF or LF stripped) of the multipart framing. */
static int multi_line(struct multi *m)
{
	const char *l = m->line;
	size_t blen = strlen(m->boundary);
	bool delim =
	    m->llen >= blen + 2 && l[0] == '-' && l[1] == '-' && !memcmp(l + 2, m->boundary, blen);
	const char *rest = l + 2 + blen;
	struct http_range r;
	struct err e;

	switch (m->st) {
	case MP_START:
	case MP_BETWEEN:
		if (!delim) {
			/* Blank lines (and, before the first part, a preamble) only. */
			if ((m->st == MP_BETWEEN && m->llen) ||
			    (m->junk += m->llen + 2) > MP_JUNK_MAX)
				return multi_refuse(m, ERR_REFUSED, "multipart answer: stray text"),
				       -1;
			return 0;
		}
		if (!strcmp(rest, "--")) {
			if (m->idx != m->n)
				return multi_refuse(
				           m, ERR_REFUSED,
				           "multipart answer ended after %zu of %zu ranges", m->idx,
				           m->n),
				       -1;
			m->st = MP_DONE;
			return 0;
		}
		if (*rest || m->idx == m->n)
			return multi_refuse(m, ERR_REFUSED, "multipart answer: a part too many"),
			       -1;
		m->st = MP_HEADERS;
		m->have_range = false;
		m->header_bytes = 0;
		return 0;
	case MP_HEADERS:
		if ((m->header_bytes += m->llen + 2) > MP_HEADER_MAX)
			return multi_refuse(m, ERR_REFUSED, "multipart answer: headers too long"),
			       -1;
		if (m->llen == 0) {
			if (!m->have_range)
				return multi_refuse(
				           m, ERR_REFUSED,
				           "multipart answer: a part without Content-Range"),
				       -1;
			m->st = MP_BODY;
			m->part_left = m->sp[m->idx].length;
			m->part_off = m->sp[m->idx].offset;
			return 0;
		}
		if (strncasecmp(l, "Content-Range:", 14))
			return 0;
		l += 14 + strspn(l + 14, " \t");
		if (http_range_parse(l, &r, &e) < 0)
			return multi_refuse(m, ERR_REFUSED, "%s", e.msg), -1;
		if (!r.has_total || r.total != m->total || r.first != m->sp[m->idx].offset ||
		    r.last != m->sp[m->idx].offset + m->sp[m->idx].length - 1)
			return multi_refuse(
			           m, ERR_REFUSED,
			           "part %zu: Content-Range '%s' is not bytes %llu-%llu/%llu",
			           m->idx, l, (unsigned long long)m->sp[m->idx].offset,
			           (unsigned long long)(m->sp[m->idx].offset +
			                                m->sp[m->idx].length - 1),
			           (unsigned long long)m->total),
			       -1;
		m->have_range = true;
		return 0;
	default:
		return multi_refuse(m, ERR_REFUSED, "multipart answer: data after its end"), -1;
	}
}

static size_t multi_write(char *data, size_t size, size_t nmemb, void *p)
{
	struct multi *m = p;
	size_t k = size * nmemb, i = 0;

	if (!m->started && multi_start(m) < 0)
		return 0;
	if (m->single) {
		if (k > m->last - m->first + 1 - m->got)
			return multi_refuse(m, ERR_REFUSED, "more than the %llu bytes asked for",
			                    (unsigned long long)(m->last - m->first + 1));
		if (multi_put(m, data, k, m->first + m->got) < 0)
			return 0;
		m->got += k;
		return k;
	}
	while (i < k) {
		if (m->st == MP_BODY) {
			size_t take = k - i < m->part_left ? k - i : (size_t)m->part_left;

			if (multi_put(m, data + i, take, m->part_off) < 0)
				return 0;
			m->part_off += take;
			m->part_left -= take;
			m->got += take;
			i += take;
			if (m->part_left == 0) {
				m->idx++;
				m->st = MP_BETWEEN;
			}
			continue;
		}
		if (m->st == MP_DONE) {
			if ((m->junk += k - i) > 2 * MP_JUNK_MAX)
				return multi_refuse(m, ERR_REFUSED,
				                    "multipart answer: data after its end");
			return k;
		}
		if (data[i] == '\n') {
			if (m->llen && m->line[m->llen - 1] == '\r')
				m->llen--;
			m->line[m->llen] = 0;
			if (multi_line(m) < 0)
				return 0;
			m->llen = 0;
		} else if (m->llen == MP_LINE_MAX) {
			return multi_refuse(m, ERR_REFUSED,
			                    "multipart answer: a line above %d bytes", MP_LINE_MAX);
		} else {
			m->line[m->llen++] = data[i];
		}
		i++;
	}
	return k;
}

/* The first spans wholly written by the answer so far. */
static size_t multi_complete(const struct multi *m)
{
	size_t k = 0;

	if (!m->single)
		return m->idx;
	while (k < m->n && m->sp[k].offset + m->sp[k].length <= m->first + m->got)
		k++;
	return k;
}

int fetch_ranges(struct fetch_session *s, const char *url, int fd, const struct byte_range *sp,
                 size_t n, uint64_t total, long stall_s, uint64_t *received, size_t *complete,
                 struct err *err)
{
	char range[32 + FETCH_SPANS_MAX * 42];
	struct multi m = {.fd = fd, .sp = sp, .n = n, .total = total, .c = s->c};
	size_t used = 0;
	CURLcode rc;
	int r;

	*received = 0;
	*complete = 0;
	if (n == 1) {
		r = fetch_range(s, url, fd, sp[0].offset, sp[0].length, total, stall_s, received,
		                err);
		*complete = r == 0;
		return r;
	}
	if (n == 0 || n > FETCH_SPANS_MAX)
		return fail_kind(err, ERR_SYSTEM, "internal error: %zu ranges", n);
	for (size_t i = 0; i < n; i++) {
		if (sp[i].length == 0 || sp[i].offset > total ||
		    sp[i].length > total - sp[i].offset ||
		    (i && sp[i].offset < sp[i - 1].offset + sp[i - 1].length))
			return fail_kind(err, ERR_SYSTEM, "internal error: bad range %zu", i);
		used += (size_t)snprintf(range + used, sizeof(range) - used, "%s%llu-%llu",
		                         i ? "," : "", (unsigned long long)sp[i].offset,
		                         (unsigned long long)(sp[i].offset + sp[i].length - 1));
	}
	lc->curl_easy_reset(s->c);
	if (setup(s->c, url, stall_s, s->errbuf) < 0 ||
	    lc->curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, multi_write) != CURLE_OK ||
	    lc->curl_easy_setopt(s->c, CURLOPT_WRITEDATA, &m) != CURLE_OK ||
	    lc->curl_easy_setopt(s->c, CURLOPT_RANGE, range) != CURLE_OK)
		return fail_kind(err, ERR_SYSTEM, "cannot set up libcurl");
	rc = lc->curl_easy_perform(s->c);
	if (rc == CURLE_OK && !m.started)
		multi_start(&m);
	*received = m.got;
	if (m.ignored)
		return 1;
	*complete = multi_complete(&m);
	if (rc != CURLE_OK || m.why[0])
		return transfer_failed(url, rc, m.why, m.kind, s->errbuf, stall_s, err);
	if (m.single ? m.got != m.last - m.first + 1 : m.st != MP_DONE) {
		char u[1024];

		fetch_url_shown(url, u, sizeof(u));
		return fail(err, "%s: the answer to %zu ranges ended early", u, n);
	}
	return 0;
}
