/* key:value fields of the trusted comment (specs/signature.md, "Trusted comment"). */
#include "release/sig/minisign.h"
#include "release/base/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_sep(char c)
{
	return c == ' ' || c == '\t';
}

int minisign_comment_get(const char *tc, const char *key, char **value, struct err *err)
{
	size_t klen = strlen(key);
	const char *p = tc, *found = NULL;
	size_t found_len = 0;

	*value = NULL;
	if (klen == 0 || strchr(key, ':'))
		return fail(err, "invalid trusted comment field name '%s'", key);
	while (*p) {
		const char *tok, *end;

		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && !is_sep(*p))
			p++;
		end = p;
		if ((size_t)(end - tok) > klen && !memcmp(tok, key, klen) && tok[klen] == ':') {
			if (found)
				return fail(err, "trusted comment has the field '%s' twice", key);
			if ((size_t)(end - tok) == klen + 1)
				return fail(err, "trusted comment field '%s' is empty", key);
			found = tok + klen + 1;
			found_len = (size_t)(end - found);
		}
	}
	if (!found)
		return fail(err, "trusted comment has no '%s' field", key);
	*value = strndup(found, found_len);
	if (!*value)
		return fail_oom(err);
	return 0;
}

static int check_value(const char *name, const char *v, int allow_colon, struct err *err)
{
	const unsigned char *p = (const unsigned char *)v;

	if (!*p)
		return fail(err, "trusted comment field '%s' is empty", name);
	for (; *p; p++)
		if (*p <= ' ' || *p == 0x7f || (!allow_colon && *p == ':'))
			return fail(err,
			            "trusted comment field '%s' contains whitespace, a control "
			            "character or a colon: '%s'",
			            name, v);
	return 0;
}

int minisign_trusted_comment(const char *app, const char *version, uint64_t serial,
                             const char *file, const char *manifest_sha256, char **out,
                             struct err *err)
{
	*out = NULL;
	if (check_value("app", app, 0, err) < 0 || check_value("version", version, 0, err) < 0 ||
	    check_value("file", file, 1, err) < 0)
		return -1;
	if (manifest_sha256 &&
	    (strlen(manifest_sha256) != 64 || strspn(manifest_sha256, "0123456789abcdef") != 64))
		return fail(err, "trusted comment field '" MINISIGN_MANIFEST_FIELD
		                 "' is not 64 lower-case hex digits");
	if (asprintf(out, "app:%s version:%s serial:%" PRIu64 " file:%s%s%s", app, version, serial,
	             file, manifest_sha256 ? " " MINISIGN_MANIFEST_FIELD ":" : "",
	             manifest_sha256 ? manifest_sha256 : "") < 0) {
		*out = NULL;
		return fail_oom(err);
	}
	if (strlen(*out) > MINISIGN_TRUSTED_MAX) {
		free(*out);
		*out = NULL;
		return fail(err, "trusted comment is longer than %d bytes", MINISIGN_TRUSTED_MAX);
	}
	return 0;
}
