/* Validation rules of specs/manifest.md ("Validation"). */
#include "release/manifest/manifest_check.h"
#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int relpath_check(const char *path, struct err *err)
{
	size_t len = strlen(path);
	const char *p = path;

	if (len == 0)
		return fail(err, "empty path");
	if (len > MANIFEST_MAX_PATH)
		return fail(err, "path longer than %d bytes: %.64s...", MANIFEST_MAX_PATH, path);
	if (path[0] == '/')
		return fail(err, "absolute path: %.200s", path);
	for (size_t i = 0; i < len; i++)
		if (is_ctl((unsigned char)path[i]))
			return fail(err, "control character in path: %.200s", path);
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0)
			return fail(err, "empty path component: %.200s", path);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return fail(err, "'.' or '..' component in path: %.200s", path);
		if (n > MANIFEST_MAX_COMPONENT)
			return fail(err, "path component longer than %d bytes: %.64s...",
			            MANIFEST_MAX_COMPONENT, path);
		if (!slash)
			break;
		p = slash + 1;
		if (!*p)
			return fail(err, "trailing '/' in path: %.200s", path);
	}
	return 0;
}

int symlink_target_check(const char *linkpath, const char *target, struct err *err)
{
	size_t len = strlen(target), depth = 0, ups = 0;
	const char *p = target;
	bool down = false;

	for (const char *q = linkpath; *q; q++)
		if (*q == '/')
			depth++;
	if (len == 0)
		return fail(err, "symlink %.200s: empty target", linkpath);
	if (len > MANIFEST_MAX_PATH)
		return fail(err, "symlink %.200s: target longer than %d bytes", linkpath,
		            MANIFEST_MAX_PATH);
	if (target[0] == '/')
		return fail(err, "symlink %.200s: absolute target %.200s", linkpath, target);
	for (size_t i = 0; i < len; i++)
		if (is_ctl((unsigned char)target[i]))
			return fail(err, "symlink %.200s: control character in target", linkpath);
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0)
			return fail(err, "symlink %.200s: empty component in target %.200s",
			            linkpath, target);
		if (n == 1 && p[0] == '.')
			return fail(err, "symlink %.200s: '.' component in target %.200s", linkpath,
			            target);
		if (n > MANIFEST_MAX_COMPONENT)
			return fail(err, "symlink %.200s: target component too long", linkpath);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (down)
				return fail(err,
				            "symlink %.200s: '..' after a name in target %.200s "
				            "(targets must be normalised)",
				            linkpath, target);
			if (++ups > depth)
				return fail(
				    err, "symlink %.200s: target %.200s points outside the release",
				    linkpath, target);
		} else {
			down = true;
		}
		if (!slash)
			break;
		p = slash + 1;
		if (!*p)
			return fail(err, "symlink %.200s: trailing '/' in target %.200s", linkpath,
			            target);
	}
	return 0;
}

int version_check(const char *v, struct err *err)
{
	size_t len = strlen(v);

	if (len == 0 || len > MANIFEST_MAX_NAME)
		return fail(err, "version must be 1..%d characters", MANIFEST_MAX_NAME);
	if (!((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' && v[0] <= 'z') ||
	      (v[0] >= '0' && v[0] <= '9')))
		return fail(err, "version \"%.64s\" must start with a letter or digit", v);
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-") != len)
		return fail(err, "version \"%.64s\" may only contain A-Z a-z 0-9 . _ + -", v);
	return 0;
}

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

/* s is 1..max bytes from `first` followed by bytes from `rest`. */
static bool charset_ok(const char *s, size_t max, const char *first, const char *rest)
{
	size_t len = strlen(s);

	return len > 0 && len <= max && strchr(first, s[0]) && strspn(s, rest) == len;
}

int app_name_check(const char *name, struct err *err)
{
	if (!charset_ok(name, MANIFEST_MAX_NAME, UPPER LOWER DIGIT, UPPER LOWER DIGIT "._-"))
		return fail(
		    err, "app name \"%.64s\" must match [A-Za-z0-9][A-Za-z0-9._-]* (1..%d bytes)",
		    name, MANIFEST_MAX_NAME);
	return 0;
}

int service_name_check(const char *name, struct err *err)
{
	if (!charset_ok(name, MANIFEST_MAX_SERVICE_NAME, LOWER DIGIT "_-", LOWER DIGIT "_-"))
		return fail(err, "service name \"%.64s\" must match [a-z0-9_-]{1,%d}", name,
		            MANIFEST_MAX_SERVICE_NAME);
	return 0;
}

int secret_name_check(const char *name, struct err *err)
{
	if (!charset_ok(name, MANIFEST_MAX_NAME, UPPER "_", UPPER DIGIT "_"))
		return fail(err, "secret name \"%.64s\" must match [A-Z_][A-Z0-9_]* (1..%d bytes)",
		            name, MANIFEST_MAX_NAME);
	return 0;
}

int env_name_check(const char *name, struct err *err)
{
	if (!charset_ok(name, MANIFEST_MAX_NAME, UPPER LOWER "_", UPPER LOWER DIGIT "_"))
		return fail(err,
		            "env name \"%.64s\" must match [A-Za-z_][A-Za-z0-9_]* (1..%d bytes)",
		            name, MANIFEST_MAX_NAME);
	return 0;
}

int serial_parse(const char *s, uint64_t *out, struct err *err)
{
	size_t n = strlen(s);
	uint64_t v = 0;

	/* 16 digits hold every serial up to 2^53-1 and cannot overflow 64 bits. */
	if (n == 0 || n > 16 || strspn(s, "0123456789") != n || (s[0] == '0' && n > 1))
		return fail(
		    err, "serial '%.32s' is not a decimal integer without sign or leading zero", s);
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v > MANIFEST_MAX_SERIAL)
		return fail(err, "serial %llu is above 2^53-1", (unsigned long long)v);
	*out = v;
	return 0;
}
