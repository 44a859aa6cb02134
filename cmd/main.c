/* slipway: dispatch to the subcommand named by argv[1]. */
#include "cmd/cmd.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
    {"keygen", cmd_keygen, "create a signing key pair (minisign formats)"},
    {"pack", cmd_pack, "build the project and write a signed release archive"},
    {"sign", cmd_sign, "sign (or re-sign) an archive"},
    {"verify", cmd_verify, "check an archive's signature against a public key"},
    {"inspect", cmd_inspect, "show an archive's manifest"},
    {"rebuild", cmd_rebuild, "rebuild an archive from its commit and compare byte for byte"},
    {"publish", cmd_publish, "write the static release channel (archive, signature, signed index)"},
    {"keyring", cmd_keyring, "create, rotate, sign, inspect and adopt the signed keyring"},
    {"init", cmd_init, "create a store and pin its trusted public key"},
    {"install", cmd_install, "verify and unpack an archive into the store"},
    {"activate", cmd_activate, "point `current` at an installed release"},
    {"rollback", cmd_rollback, "point `current` back at the previous release"},
    {"deploy", cmd_deploy, "install and activate an archive"},
    {"pull", cmd_pull, "install and activate the latest release of a published channel"},
    {"push", cmd_push, "deploy an archive on a host over ssh (deploy --wait there)"},
    {"list", cmd_list, "list the installed releases"},
    {"status", cmd_status, "show the store and the services"},
    {"prune", cmd_prune, "remove old releases"},
    {"run", cmd_run, "launch and supervise the services of `current`"},
    {"export-oci", cmd_export_oci, "write a verified release as an OCI image (+ Kubernetes YAML)"},
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: slipway <command> [options]\n"
	             "       slipway <command> --help\n"
	             "       slipway --version\n\n"
	             "Build, sign, install and run releases of a web app and its workers.\n\n"
	             "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nExit codes: 0 success, 1 a check said no, 2 usage error, 3 system error.\n"
	             "See slipway(1) and the specs/ folder for the details.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	/* Names in pax headers are UTF-8 and libarchive converts them to the locale's charset,
	 * so that must be UTF-8 whatever the environment says (specs/store.md, "Hardened
	 * extraction"). Only LC_CTYPE: messages and numbers stay in the C locale. */
	setlocale(LC_CTYPE, "C.UTF-8");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return cmd_check_stdout(EXIT_OK);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("slipway %s\n", SLIPWAY_VERSION);
		return cmd_check_stdout(EXIT_OK);
	}
	/* Not listed: run by `slipway push` on the host, over ssh. */
	if (!strcmp(argv[1], "receive"))
		return cmd_check_stdout(cmd_receive(argc - 1, argv + 1));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return cmd_check_stdout(commands[i].fn(argc - 1, argv + 1));
	if (argv[1][0] == '-')
		fprintf(stderr, "slipway: unknown option '%s'\n", argv[1]);
	else
		fprintf(stderr, "slipway: '%s' is not a slipway command\n", argv[1]);
	fprintf(stderr, "Try 'slipway --help'.\n");
	return EXIT_USAGE;
}
