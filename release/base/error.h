/* Errors: the one error convention of every module.
 *
 * A fallible function takes `struct err *err` (owned by the caller, may be NULL), returns 0
 * (or another documented non-negative value) on success, and on failure returns -1 after
 * filling it: one lowercase line without a trailing full stop, e.g. "cannot open k.pub: No
 * such file or directory", and the kind of failure. The kind travels with the message, so
 * no caller re-checks a condition to learn it; only cmd/ turns a kind into an exit code
 * (specs/exit-codes.md) and prints the message, as "slipway: <command>: <msg>". */
#ifndef SLIPWAY_ERROR_H
#define SLIPWAY_ERROR_H

#define ERR_MAX 1024

enum err_kind {
	ERR_SYSTEM = 0, /* the system failed: I/O, no space, no memory, a damaged store (exit 3) */
	ERR_REFUSED,    /* a check said no: bad signature, hostile archive, failed build (exit 1) */
	ERR_USAGE,      /* the user's own input is malformed: slipway.ini, options (exit 2) */
};

struct err {
	enum err_kind kind;
	char msg[ERR_MAX];
};

/* A check said no: formats the message, kind ERR_REFUSED, returns -1, so callers can
 * `return fail(err, ...)`. */
int fail(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The system failed: formats the message and appends ": <strerror(errno)>" (errno as it was
 * on entry), kind ERR_SYSTEM, returns -1. */
int fail_sys(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A message of an explicit kind, nothing appended (libraries' own texts, saved errnos). */
int fail_kind(struct err *err, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "out of memory", ERR_SYSTEM. */
int fail_oom(struct err *err);

/* Prefixes the message already in err with "<prefix>: ", keeps its kind, returns -1. */
int fail_prefix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Changes the kind of the error already in err (a caller that knows better, e.g. a missing
 * signature file is a verdict, not an I/O failure), returns -1. */
int fail_recast(struct err *err, enum err_kind kind);

#endif
