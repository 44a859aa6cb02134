/* The subcommands and the few helpers they share.
 *
 * Each cmd_<name>(argc, argv) receives argv[0] == "<name>", parses its own options
 * (getopt_long, with --help), calls the modules, prints, and returns the exit code.
 * Only cmd/ prints to stdout or chooses exit codes (see specs/exit-codes.md). */
#ifndef SLIPWAY_CMD_H
#define SLIPWAY_CMD_H

#include "release/base/error.h"

enum {
	EXIT_OK = 0,    /* success */
	EXIT_NO = 1,    /* a check said no: bad signature, rejected archive, unhealthy release */
	EXIT_USAGE = 2, /* bad command line */
	EXIT_FAIL = 3,  /* the environment failed us: I/O error, disk full, store locked, ... */
};

int cmd_keygen(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_activate(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* The exit code for a failure of e's kind: the one place where error kinds become exit
 * codes (EXIT_NO for ERR_REFUSED, EXIT_USAGE for ERR_USAGE, EXIT_FAIL otherwise). */
int cmd_exit_code(const struct err *e);

/* Prints "slipway: <cmd>: <e->msg>" on stderr and returns cmd_exit_code(e). */
int cmd_error(const char *cmd, const struct err *e);

/* Prints "slipway: <cmd>: <msg>" on stderr and returns `code`. */
int cmd_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints "slipway: <cmd>: <msg>" and "Try 'slipway <cmd> --help'." on stderr; returns EXIT_USAGE.
 */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The store root: `opt` when given, else $SLIPWAY_ROOT; NULL (after a usage error message)
 * when neither is set. */
const char *cmd_store_root(const char *cmd, const char *opt);

#endif
