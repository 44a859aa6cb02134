/* What every command shares: options common to several commands, operand counts, errors
 * turned into messages and exit codes (specs/exit-codes.md), and the check of stdout at exit.
 * Not a command: cmd/main.c and the cmd_<name> functions use it. */
#ifndef SLIPWAY_CMD_CLI_H
#define SLIPWAY_CMD_CLI_H

#include "release/base/error.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	EXIT_OK = 0,    /* success */
	EXIT_NO = 1,    /* a check said no: bad signature, rejected archive, unhealthy release */
	EXIT_USAGE = 2, /* bad command line */
	EXIT_FAIL = 3,  /* the environment failed us: I/O error, disk full, store locked, ... */
};

/* The common options a command may take besides -h/--help (which every command takes). */
enum {
	CMD_ROOT = 1, /* -r, --root DIR: the store (default $SLIPWAY_ROOT) */
	CMD_JSON = 2, /* --json */
};

/* cmd_getopt returns this when the command must stop and return p->exit. */
#define CMD_DONE (-2)

/* One command's option parsing: fill the first part, zero the rest. */
struct cmd_parse {
	const char *cmd;           /* "list" */
	const char *usage;         /* the --help text, printed on stdout */
	unsigned common;           /* CMD_ROOT | CMD_JSON: which common options it takes */
	const char *shortopts;     /* its own short options ("k:n"), may be NULL */
	const struct option *opts; /* its own long options, {0}-terminated, may be NULL */

	const char *root; /* --root DIR, or NULL */
	bool json;        /* --json */
	int exit;         /* after CMD_DONE: EXIT_OK (--help printed) or EXIT_USAGE */

	struct option all_[32]; /* private */
	char shorts_[64];
};

/* getopt_long over the command's own options plus the common ones it takes. Returns the next
 * own option as getopt_long does, -1 after the last option (optind is then the first
 * operand), or CMD_DONE after --help (exit 0) or an invalid option (usage message, exit 2). */
int cmd_getopt(struct cmd_parse *p, int argc, char **argv);

/* For a command without options of its own: parses them all. 0, or -1 with p->exit set. */
int cmd_options(struct cmd_parse *p, int argc, char **argv);

/* Checks that between `min` and `max` operands follow the options ("no <what> given",
 * "exactly one <what> expected", "at most one <what> expected", "unexpected argument 'x'").
 * 0, or -1 with p->exit set after the usage message. */
int cmd_operands(struct cmd_parse *p, int argc, char **argv, int min, int max, const char *what);

/* The exit code for a failure of e's kind: the one place where error kinds become exit
 * codes (EXIT_NO for ERR_REFUSED, EXIT_USAGE for ERR_USAGE, EXIT_FAIL otherwise). */
int cmd_exit_code(const struct err *e);

/* Prints "slipway: <cmd>: <e->msg>" on stderr and returns cmd_exit_code(e). */
int cmd_error(const char *cmd, const struct err *e);

/* Prints "slipway: <cmd>: <msg>" on stderr and returns `code`. */
int cmd_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints "slipway: <cmd>: <msg>" and "Try 'slipway <cmd> --help'." on stderr; returns
 * EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a positive decimal count for option `opt` (e.g. --max-entries) into *out; on a bad
 * value prints a usage error and returns EXIT_USAGE, else EXIT_OK. */
int cmd_parse_count(const char *cmd, const char *opt, const char *s, uint64_t *out);

/* The store root: `opt` when given, else $SLIPWAY_ROOT; NULL (after a usage error message)
 * when neither is set. */
const char *cmd_store_root(const char *cmd, const char *opt);

/* As git does at exit: flushes and closes stdout and reports a write error ("slipway: write
 * error on stdout: <why>"), so `slipway list > /dev/full` fails. Pipes and sockets are left
 * alone (a reader that went away is not our failure). Returns `rc`, or EXIT_FAIL when rc was
 * EXIT_OK and stdout failed. */
int cmd_check_stdout(int rc);

#endif
