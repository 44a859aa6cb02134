/* What every command shares: options common to several commands, operand counts, errors
 * turned into messages and exit codes (specs/exit-codes.md), and the check of stdout at exit.
 * Not a command: cmd/main.c and the cmd_<name> functions use it. */
#ifndef SLIPWAY_CMD_CLI_H
#define SLIPWAY_CMD_CLI_H

#include "release/base/error.h"
#include "release/store/extract.h"

#include <stdbool.h>
#include <stdint.h>

enum {
	EXIT_OK = 0,    /* success */
	EXIT_NO = 1,    /* a check said no: bad signature, rejected archive, unhealthy release */
	EXIT_USAGE = 2, /* bad command line */
	EXIT_FAIL = 3,  /* the environment failed us: I/O error, disk full, store locked, ... */
};

#define CMD_STR_(x) #x
#define CMD_STR(x)  CMD_STR_(x)

/* The --help lines of the extraction limits (install, deploy, export-oci), with the
 * defaults extract.h defines. */
#define CMD_LIMITS_HELP                                                                            \
	"      --max-entries N     most archive entries accepted (default " CMD_STR(               \
	    EXTRACT_DEFAULT_MAX_ENTRIES) ")\n"                                                     \
	                                 "      --max-bytes N       most bytes of files accepted " \
	                                 "(default " CMD_STR(                                      \
	                                     EXTRACT_DEFAULT_MAX_BYTES) ")\n"                      \
	                                                                "      --max-ratio N     " \
	                                                                "  most uncompressed "     \
	                                                                "bytes per compressed "    \
	                                                                "byte (default " CMD_STR(  \
	                                                                    EXTRACT_DEFAULT_MAX_RATIO) ")\n"

/* The common options a command may take besides -h/--help (which every command takes). */
enum {
	CMD_ROOT = 1, /* -r, --root DIR: the store (default $SLIPWAY_ROOT) */
	CMD_JSON = 2, /* --json */
};

/* One option of a command: a flag (`flag` set to true when given) or an option with an
 * argument (`arg` set to it; the last one given wins). Values are checked by the command
 * after cmd_parse, before any side effect. */
struct cmd_option {
	const char *name; /* the long name, without "--" */
	char letter;      /* the short option, or 0 */
	bool *flag;
	const char **arg;
};

/* One command's command line: fill the first part, then cmd_parse. */
struct cmd_parse {
	const char *cmd;               /* "list" */
	const char *usage;             /* the --help text, printed on stdout */
	unsigned common;               /* CMD_ROOT | CMD_JSON: which common options it takes */
	const struct cmd_option *opts; /* its own options, {0}-terminated, may be NULL */
	const char *args;              /* its operands: NULL none, "archive" exactly one,
	                                  "archive dir" exactly these (words),
	                                  "[version]" at most one */

	char **operands; /* after cmd_parse: n_operands of them */
	int n_operands;
	const char *root; /* --root DIR, or NULL */
	bool json;        /* --json */
	int exit;         /* when cmd_parse returned -1: EXIT_OK (--help) or EXIT_USAGE */
};

/* Parses the options (getopt_long: the command's own plus --help and its common ones) and
 * checks the number of operands ("no archive given", "exactly one archive expected", "at
 * most one version expected", "unexpected argument 'x'"). Returns 0 with the operands in
 * p->operands, or -1 when the command must return p->exit: after --help (0) or a
 * usage message (2). */
int cmd_parse(struct cmd_parse *p, int argc, char **argv);

/* Parses a count option's value: a decimal integer from min to max (UINT64_MAX: no upper
 * bound). 0, or -1 after a usage message ("<opt> needs an integer from <min> to <max>, not
 * '<s>'"). */
int cmd_count(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
              uint64_t *out);

/* The exit code for a failure of e's kind: the one place where error kinds become exit
 * codes (EXIT_NO for ERR_REFUSED, EXIT_USAGE for ERR_USAGE, EXIT_FAIL otherwise). */
int cmd_exit_code(const struct err *e);

/* Prints "slipway: <cmd>: <e->msg>" on stderr and returns cmd_exit_code(e). */
int cmd_error(const char *cmd, const struct err *e);

/* Prints "slipway: <cmd>: <msg>" on stderr and returns `code`. The message is escaped
 * (release/base/escape.h): whatever bytes it carries, it is one line of inert text. */
int cmd_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints "slipway: <cmd>: warning: <msg>" on stderr, escaped like cmd_fail. */
void cmd_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "slipway: <cmd>: <msg>" and "Try 'slipway <cmd> --help'." on stderr; returns
 * EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The store root: `opt` when given, else $SLIPWAY_ROOT; NULL (after a usage error message)
 * when neither is set. */
const char *cmd_store_root(const char *cmd, const char *opt);

/* As git does at exit: flushes and closes stdout and reports a write error ("slipway: write
 * error on stdout: <why>"), so `slipway list > /dev/full` fails. Pipes and sockets are left
 * alone (a reader that went away is not our failure). Returns `rc`, or EXIT_FAIL when rc was
 * EXIT_OK and stdout failed. */
int cmd_check_stdout(int rc);

#endif
