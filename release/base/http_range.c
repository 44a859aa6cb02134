/* Content-Range parsing (release/base/http_range.h). */
#include "release/base/http_range.h"

#include <strings.h>

/* Decimal digits at *p (1 to 19 of them, so no overflow); advances *p. */
static bool number(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9' && n < 20) {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
		n++;
	}
	if (n == 0 || n > 19)
		return false;
	*out = v;
	*p = s;
	return true;
}

int http_range_parse(const char *value, struct http_range *r, struct err *err)
{
	const char *p = value;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "bytes", 5) || (p[5] != ' ' && p[5] != '\t'))
		return fail(err, "Content-Range '%s': not a byte range", value);
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!number(&p, &r->first) || *p++ != '-' || !number(&p, &r->last) || *p++ != '/')
		return fail(err, "Content-Range '%s': not FIRST-LAST/LENGTH", value);
	if (*p == '*') {
		r->has_total = false;
		r->total = 0;
		p++;
	} else if (number(&p, &r->total)) {
		r->has_total = true;
	} else {
		return fail(err, "Content-Range '%s': bad complete length", value);
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p)
		return fail(err, "Content-Range '%s': trailing characters", value);
	if (r->first > r->last || (r->has_total && r->last >= r->total))
		return fail(err, "Content-Range '%s': range outside the length", value);
	return 0;
}
