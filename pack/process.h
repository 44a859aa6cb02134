/* Runs the build steps (the project's build command, pip) as child processes.
 *
 * The child runs in `dir` with the parent's environment plus `env_add` ("KEY=VALUE"
 * strings, NULL-terminated, may be NULL). Its stdout goes to our stderr, so stdout stays
 * reserved for the archive path; its output streams as it comes. */
#ifndef SLIPWAY_PACK_PROCESS_H
#define SLIPWAY_PACK_PROCESS_H

/* Runs argv (argv[0] looked up in PATH) and waits. Returns 0 when it exits with status 0;
 * otherwise -1 with err saying "'<display>' exited with status N" / "was killed by signal
 * N" / "could not start: <why>". */
int run_process(const char *dir, char *const argv[], char *const env_add[], const char *display,
                char *err);

/* Splits `command` into words (pack/words.h: quotes, no shell) and runs them. For shell
 * features, write the shell explicitly: build = sh -c "npm ci && npm run build". */
int run_command_line(const char *dir, const char *command, char *const env_add[], char *err);

#endif
