/* The subcommands: cmd/<name>.c defines cmd_<name>(argc, argv); cmd/main.c holds the table
 * and dispatches. Each receives argv[0] == "<name>", parses its own options (cmd_getopt),
 * calls the modules, prints, and returns the exit code. Only cmd/ prints to stdout or chooses
 * exit codes (specs/exit-codes.md). What commands share lives in cmd/support/. */
#ifndef SLIPWAY_CMD_H
#define SLIPWAY_CMD_H

#include "cmd/support/cli.h"

int cmd_keygen(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_activate(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_deploy(int argc, char **argv); /* in cmd/install.c: install --activate */
int cmd_pull(int argc, char **argv);
/* In cmd/pull.c: pull's rule for URL (http or https, bounded, no ? or #), for run --follow
 * too. EXIT_OK, or EXIT_USAGE after a usage message under `cmd`. */
int cmd_pull_url_check(const char *cmd, const char *url);

struct install_opts;
struct install_result;
struct store;
/* In cmd/install.c: the verified path of install and deploy, shared with pull. Installs
 * `archive` into the open, locked store (store_install: signature, keyring, provenance,
 * downgrade guard, hardened extraction, per-file hashes) with the progress display, and
 * reports it on stdout ("installed ..."). It does not switch `current`: the caller does, with
 * cmd_switch_to (o->activate tells store_install it will). Returns the exit code; res as
 * store_install fills it (res->version is the caller's to free). */
int cmd_install_archive(const char *cmd, struct store *st, const char *archive,
                        struct install_opts *o, struct install_result *res);
struct install_frames_stats;
/* In cmd/install.c: the lines of an install built from parts (store_install_frames, for pull
 * and receive): the keyring versions adopted, if any, then "installed V (serial S, E entries,
 * B bytes, L files linked, F bytes written from frames, P from the patch set)". */
void cmd_report_installed_parts(const struct install_result *res,
                                const struct install_frames_stats *fs);
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_export_oci(int argc, char **argv);
int cmd_keyring(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_receive(int argc, char **argv); /* hidden: the host's end of push */

#endif
