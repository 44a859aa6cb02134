/* Runs the build steps (the project's build command, pip) as child processes.
 *
 * The child runs in `dir` with the parent's environment plus `env_add` ("KEY=VALUE"
 * strings, NULL-terminated, may be NULL). Its stdout goes to our stderr, so stdout stays
 * reserved for the archive path; its output streams as it comes. */
#ifndef SLIPWAY_PACK_PROCESS_H
#define SLIPWAY_PACK_PROCESS_H

#include "release/base/error.h"

/* Runs argv (argv[0] looked up in PATH) and waits. Returns 0 when it exits with status 0,
 * else -1: ERR_REFUSED when it ran and failed ("'<display>' exited with status N", "was
 * killed by signal N"), ERR_SYSTEM when it could not run at all ("'<display>' could not
 * start: <why>", e.g. no such program). */
int pack_run_process(const char *dir, const char *const argv[], char *const env_add[],
                     const char *display, struct err *err);

/* Splits `command` into words (pack/words.h: quotes, no shell) and runs them, returning
 * as pack_run_process (ERR_SYSTEM also for a command that does not split). For shell features,
 * write the shell explicitly: build = sh -c "npm ci && npm run build". */
int pack_run_command_line(const char *dir, const char *command, char *const env_add[],
                          struct err *err);

#endif
