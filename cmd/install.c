/* slipway install ARCHIVE and slipway deploy ARCHIVE (install --activate), specs/cli.md. */
#include "cmd/cmd.h"
#include "cmd/support/progress.h"
#include "cmd/support/run_wait.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/install.h"
#include "release/store/trust.h"
#include "release/sig/minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options install and deploy share. */
#define OPTIONS_TEXT                                                                               \
	"\n"                                                                                       \
	"  -r, --root DIR          the store (default: $SLIPWAY_ROOT)\n"                           \
	"      --activate          switch `current` to the release once installed\n"               \
	"      --wait              with --activate (deploy): wait for `slipway run` to bring\n"    \
	"                          the release up, and then a stability window\n"                  \
	"                          ($SLIPWAY_STABLE_MS of slipway run, 10 s); exit 1 if it\n"      \
	"                          failed its health check, or crash-looped on probation,\n"       \
	"                          and was rolled back (the last lines the failed service\n"       \
	"                          printed follow the reason)\n"                                   \
	"      --allow-downgrade   accept a serial at or below the highest installed one,\n"       \
	"                          and switching back to an installed older release\n"             \
	"                          when activating (recorded in the history)\n"                    \
	"  -x, --sig SIGFILE       the signature (default: ARCHIVE.minisig)\n"                     \
	"  -k, --keyring FILE      the keyring chain the archive carries (default:\n"              \
	"                          ARCHIVE.keyring when it exists); its newer versions are\n"      \
	"                          adopted before the archive is judged (specs/trust.md)\n"        \
	"      --provenance FILE   the build provenance (default: ARCHIVE.intoto.jsonl), needed\n" \
	"                          when the keyring has a provenance policy\n"                     \
	"      --reproduced FILE   the rebuilders' attestations (default:\n"                       \
	"                          ARCHIVE.reproduced.jsonl), needed when the keyring requires\n"  \
	"                          reproductions (slipway rebuild)\n"                              \
	"  -p, --pubkey PUBFILE    must be a release key the store trusts (a check, never a\n"     \
	"                          new trust)\n" CMD_LIMITS_HELP                                   \
	"  -h, --help              show this help\n"                                               \
	"\n"                                                                                       \
	"Exit status: 0 installed (or already installed from the same archive), 1 the archive\n"   \
	"was refused (signature, downgrade, hostile or inconsistent content), 2 usage,\n"          \
	"3 system error (disk full, I/O, store locked).\n"

static const char install_usage[] =
    "usage: slipway install ARCHIVE [--root DIR] [--activate [--wait]] [--allow-downgrade]\n"
    "                       [-x SIGFILE] [-k KEYRING] [-p PUBFILE] [--max-entries N]\n"
    "                       [--max-bytes N] [--max-ratio N]\n"
    "\n"
    "Verifies ARCHIVE against the store's pinned key, unpacks it (hardened) into\n"
    "releases/<version>/ and checks every file against the manifest.\n" OPTIONS_TEXT;
static const char deploy_usage[] =
    "usage: slipway deploy ARCHIVE [--root DIR] [--wait] [--allow-downgrade] [-x SIGFILE] [-k "
    "KEYRING]\n"
    "                      [-p PUBFILE] [--max-entries N] [--max-bytes N] [--max-ratio N]\n"
    "\n"
    "Installs ARCHIVE like `slipway install` and then activates it.\n" OPTIONS_TEXT;

static int check_pubkey(const char *cmd, struct store *st, const char *path)
{
	struct minisign_pubkey given, trusted;
	struct store_trust t;
	struct err err;
	int rc;

	if (minisign_pubkey_load(path, &given, NULL, NULL, &err) < 0)
		return cmd_error(cmd, &err);
	if (store_trust_load(st, &t, &err) < 0)
		return cmd_error(cmd, &err);
	rc = keyring_release_key(&t.kr, given.keyid, &trusted, &err);
	store_trust_release(&t);
	if (rc < 0 || memcmp(&given, &trusted, sizeof(given)))
		return cmd_fail(cmd, EXIT_NO,
		                "%s is not the key pinned in %s; the store trusts only its pinned "
		                "key or keyring (re-pin with a fresh slipway init)",
		                path, st->root);
	return EXIT_OK;
}

/* "N files linked from installed releases[, the rest decoded from F of T frames]" (static
 * buffer). */
static const char *linked_note(const struct install_result *res)
{
	static char note[160];
	int n =
	    snprintf(note, sizeof(note), "%llu file%s (%llu bytes) linked from installed releases",
	             (unsigned long long)res->linked, res->linked == 1 ? "" : "s",
	             (unsigned long long)res->linked_bytes);

	if (res->frames && n > 0 && (size_t)n < sizeof(note))
		snprintf(note + n, sizeof(note) - (size_t)n,
		         ", the rest decoded from %llu of %llu frames",
		         (unsigned long long)res->frames_decoded, (unsigned long long)res->frames);
	return note;
}

static void on_unpack(void *ctx, const struct extract_progress *u)
{
	struct progress *ps = ctx;
	char note[64];

	if (!ps->phase)
		progress_phase(ps, "unpacking", u->files_total, u->bytes_total);
	snprintf(note, sizeof(note), "%llu linked", (unsigned long long)u->linked);
	progress_update(ps, u->files, u->bytes, u->linked ? note : NULL);
}

/* "adopted keyring version(s) up to N<where>", when the install adopted any. */
static void report_adopted(const struct install_result *res, const char *where)
{
	if (res->keyring_adopted)
		printf("adopted keyring version%s up to %llu%s\n",
		       res->keyring_adopted == 1 ? "" : "s",
		       (unsigned long long)res->keyring_version, where);
}

int cmd_install_archive(const char *cmd, struct store *st, const char *archive,
                        struct install_opts *o, struct install_result *res)
{
	struct progress ps;
	struct err err;
	int rc;

	progress_init(&ps, cmd, false);
	o->progress = on_unpack;
	o->progress_ctx = &ps;
	rc = store_install(st, archive, o, res, &err);
	progress_end(&ps);
	o->progress = NULL;
	o->progress_ctx = NULL;
	if (rc < 0)
		return cmd_error(cmd, &err);
	report_adopted(res, " from the archive");
	if (res->already_installed)
		printf("%s is already installed from this archive\n", res->version);
	else
		printf("installed %s (serial %llu, %llu entries, %llu bytes%s%s)%s\n", res->version,
		       (unsigned long long)res->serial, (unsigned long long)res->entries,
		       (unsigned long long)res->bytes, res->linked ? ", " : "",
		       res->linked ? linked_note(res) : "",
		       res->downgrade ? ", downgrade allowed by --allow-downgrade" : "");
	fflush(stdout);
	return EXIT_OK;
}

void cmd_report_installed_parts(const struct install_result *res,
                                const struct install_frames_stats *fs)
{
	report_adopted(res, "");
	printf("installed %s (serial %llu, %llu entries, %llu bytes, %llu files linked, %llu bytes "
	       "written from frames, %llu from the patch set)\n",
	       res->version, (unsigned long long)res->serial, (unsigned long long)res->entries,
	       (unsigned long long)res->bytes, (unsigned long long)res->linked,
	       (unsigned long long)fs->written_bytes,
	       (unsigned long long)fs->patched.bytes_written);
}

/* install and deploy: one implementation; `activate` is deploy's default. */
static int install_main(const char *cmd, int argc, char **argv, bool activate)
{
	const char *pub = NULL, *entries = NULL, *bytes = NULL, *ratio = NULL;
	struct install_opts o = {0};
	bool wait = false;
	const struct cmd_option opts[] = {
	    {"activate", 0, &activate, NULL},
	    {"wait", 0, &wait, NULL},
	    {"allow-downgrade", 0, &o.allow_downgrade, NULL},
	    {"sig", 'x', NULL, &o.sig_path},
	    {"keyring", 'k', NULL, &o.keyring_path},
	    {"provenance", 0, NULL, &o.provenance_path},
	    {"reproduced", 0, NULL, &o.reproduced_path},
	    {"pubkey", 'p', NULL, &pub},
	    {"max-entries", 0, NULL, &entries},
	    {"max-bytes", 0, NULL, &bytes},
	    {"max-ratio", 0, NULL, &ratio},
	    {0},
	};
	struct cmd_parse p = {.cmd = cmd,
	                      .usage = strcmp(cmd, "deploy") ? install_usage : deploy_usage,
	                      .common = CMD_ROOT,
	                      .opts = opts,
	                      .args = "archive"};
	struct install_result res = {0};
	struct store st;
	struct run_watch w;
	int rc;

	extract_limits_default(&o.limits);
	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if ((entries &&
	     cmd_count(cmd, "--max-entries", entries, 1, UINT64_MAX, &o.limits.max_entries) < 0) ||
	    (bytes &&
	     cmd_count(cmd, "--max-bytes", bytes, 1, UINT64_MAX, &o.limits.max_bytes) < 0) ||
	    (ratio && cmd_count(cmd, "--max-ratio", ratio, 1, UINT64_MAX, &o.limits.max_ratio) < 0))
		return EXIT_USAGE;
	/* Before anything touches the store (its lock, its sweep). */
	if (wait && !activate)
		return cmd_usage_error(cmd, "--wait needs --activate");
	/* With a file-size limit (ulimit -f), fail with EFBIG instead of dying on SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	rc = cmd_store_open(cmd, p.root, true, &st);
	if (rc != EXIT_OK)
		return rc;
	if (pub && (rc = check_pubkey(cmd, &st, pub)) != EXIT_OK)
		goto out;
	if (wait && (rc = run_wait_begin(cmd, &st, &w)) != EXIT_OK)
		goto out;
	o.activate = activate;
	rc = cmd_install_archive(cmd, &st, p.operands[0], &o, &res);
	if (rc != EXIT_OK)
		goto out;
	rc = activate ? cmd_switch_to(cmd, &st, res.version, "activate") : EXIT_OK;
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

int cmd_deploy(int argc, char **argv)
{
	return install_main("deploy", argc, argv, true);
}
