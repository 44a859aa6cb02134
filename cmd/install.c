/* slipway install ARCHIVE / slipway deploy ARCHIVE (specs/cli.md). */
#include "cmd/cmd.h"
#include "cmd/run_wait.h"
#include "cmd/store_cmd.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/install.h"
#include "release/sig/minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char install_usage[] =
    "usage: slipway install ARCHIVE [--root DIR] [--activate [--wait]] [--allow-downgrade]\n"
    "                       [-x SIGFILE] [-p PUBFILE] [--max-entries N] [--max-bytes N]\n"
    "                       [--max-ratio N]\n"
    "\n"
    "Verifies ARCHIVE against the store's pinned key, unpacks it (hardened) into\n"
    "releases/<version>/ and checks every file against the manifest.\n";
static const char deploy_usage[] =
    "usage: slipway deploy ARCHIVE [--root DIR] [--wait] [--allow-downgrade] [-x SIGFILE]\n"
    "                      [-p PUBFILE] [--max-entries N] [--max-bytes N] [--max-ratio N]\n"
    "\n"
    "Installs ARCHIVE like `slipway install` and then activates it.\n";
static const char options_text[] =
    "\n"
    "  -r, --root DIR          the store (default: $SLIPWAY_ROOT)\n"
    "      --activate          switch `current` to the release once installed\n"
    "      --wait              with --activate (deploy): wait for `slipway run` to bring\n"
    "                          the release up; exit 1 if it failed its health check and\n"
    "                          was rolled back\n"
    "      --allow-downgrade   accept a serial at or below the highest installed one\n"
    "                          (recorded in the history)\n"
    "  -x, --sig SIGFILE       the signature (default: ARCHIVE.minisig)\n"
    "  -p, --pubkey PUBFILE    must be the store's pinned key (a check, never a new trust)\n"
    "      --max-entries N     most archive entries accepted (default 500000)\n"
    "      --max-bytes N       most bytes of files accepted (default 8589934592)\n"
    "      --max-ratio N       most uncompressed bytes per compressed byte (default 200)\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 installed (or already installed from the same archive), 1 the archive\n"
    "was refused (signature, downgrade, hostile or inconsistent content), 2 usage,\n"
    "3 system error (disk full, I/O, store locked).\n";

static int parse_count(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0 || s[0] == '-')
		return cmd_usage_error(cmd, "%s needs a positive integer, not '%s'", opt, s);
	*out = v;
	return EXIT_OK;
}

static int check_pubkey(const char *cmd, struct store *st, const char *path)
{
	struct minisign_pubkey given, pinned;
	struct err err;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (read_file_at(AT_FDCWD, path, MINISIGN_KEYFILE_MAX, 0, &text, &len, &err) < 0) {
		fail_prefix(&err, "public key");
		return cmd_error(cmd, &err);
	}
	rc = minisign_pubkey_parse(text, len, &given, &err);
	free(text);
	if (rc < 0) {
		fail_prefix(&err, "public key %s", path);
		return cmd_error(cmd, &err);
	}
	if (store_pinned_key(st, &pinned, &err) < 0)
		return cmd_error(cmd, &err);
	if (memcmp(&given, &pinned, sizeof(given)))
		return cmd_fail(cmd, EXIT_NO,
		                "%s is not the key pinned in %s; the store trusts only its pinned "
		                "key (re-pin with a fresh slipway init)",
		                path, st->root);
	return EXIT_OK;
}

int install_main(const char *cmd, int argc, char **argv, bool activate)
{
	enum { OPT_ACTIVATE = 256, OPT_DOWNGRADE, OPT_ENTRIES, OPT_BYTES, OPT_RATIO, OPT_WAIT };
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"activate", no_argument, NULL, OPT_ACTIVATE},
	    {"wait", no_argument, NULL, OPT_WAIT},
	    {"allow-downgrade", no_argument, NULL, OPT_DOWNGRADE},
	    {"sig", required_argument, NULL, 'x'},
	    {"pubkey", required_argument, NULL, 'p'},
	    {"max-entries", required_argument, NULL, OPT_ENTRIES},
	    {"max-bytes", required_argument, NULL, OPT_BYTES},
	    {"max-ratio", required_argument, NULL, OPT_RATIO},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct install_opts o = {0};
	struct install_result res = {0};
	struct store st;
	struct run_watch w;
	bool wait = false;
	const char *root_opt = NULL, *pub = NULL;
	struct err err;
	int c, rc;

	extract_limits_default(&o.limits);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:x:p:h", opts, NULL)) != -1) {
		rc = EXIT_OK;
		switch (c) {
		case 'r':
			root_opt = optarg;
			break;
		case OPT_ACTIVATE:
			activate = true;
			break;
		case OPT_WAIT:
			wait = true;
			break;
		case OPT_DOWNGRADE:
			o.allow_downgrade = true;
			break;
		case 'x':
			o.sig_path = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case OPT_ENTRIES:
			rc = parse_count(cmd, "--max-entries", optarg, &o.limits.max_entries);
			break;
		case OPT_BYTES:
			rc = parse_count(cmd, "--max-bytes", optarg, &o.limits.max_bytes);
			break;
		case OPT_RATIO:
			rc = parse_count(cmd, "--max-ratio", optarg, &o.limits.max_ratio);
			break;
		case 'h':
			fputs(strcmp(cmd, "deploy") ? install_usage : deploy_usage, stdout);
			fputs(options_text, stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error(cmd, "invalid option '%s'", argv[optind - 1]);
		}
		if (rc != EXIT_OK)
			return rc;
	}
	if (optind != argc - 1)
		return cmd_usage_error(cmd, optind == argc ? "no archive given"
		                                           : "exactly one archive expected");
	/* With a file-size limit (ulimit -f), fail with EFBIG instead of dying on SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	rc = store_cmd_open(cmd, root_opt, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (pub && (rc = check_pubkey(cmd, &st, pub)) != EXIT_OK)
		goto out;
	if (wait && !activate) {
		rc = cmd_usage_error(cmd, "--wait needs --activate");
		goto out;
	}
	if (wait && (rc = run_wait_begin(cmd, &st, &w)) != EXIT_OK)
		goto out;
	if (store_install(&st, argv[optind], &o, &res, &err) < 0) {
		rc = cmd_error(cmd, &err);
		goto out;
	}
	if (res.already_installed)
		printf("%s is already installed from this archive\n", res.version);
	else
		printf("installed %s (serial %llu, %llu entries, %llu bytes)%s\n", res.version,
		       (unsigned long long)res.serial, (unsigned long long)res.entries,
		       (unsigned long long)res.bytes,
		       res.downgrade ? ", downgrade allowed by --allow-downgrade" : "");
	fflush(stdout);
	rc = activate ? switch_to(cmd, &st, res.version, "activate") : EXIT_OK;
	if (wait && rc == EXIT_OK)
		rc = run_wait_finish(cmd, &st, &w, res.version);
out:
	free(res.version);
	store_close(&st);
	return rc;
}

int cmd_install(int argc, char **argv)
{
	return install_main("install", argc, argv, false);
}
