/* Error buffers: the one error convention of every module.
 *
 * A fallible function takes `char *err` (at least ERR_MAX bytes, owned by the caller),
 * returns 0 on success, and on failure returns -1 after writing one lowercase line
 * without a trailing full stop, e.g. "cannot open k.pub: No such file or directory".
 * Only cmd/ prints it, as "slipway: <command>: <err>". */
#ifndef SLIPWAY_ERROR_H
#define SLIPWAY_ERROR_H

#define ERR_MAX 1024

/* Formats into err (may be NULL) and returns -1, so callers can `return fail(err, ...)`. */
int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message in err with "<prefix>: ", returns -1. */
int fail_prefix(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
