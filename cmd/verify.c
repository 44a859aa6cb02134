/* slipway verify ARCHIVE -p PUBFILE: check a minisign signature (specs/signature.md). */
#include "cmd/cmd.h"
#include "release/base/error.h"
#include "release/base/escape.h"
#include "release/base/fileio.h"
#include "release/sig/minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: slipway verify ARCHIVE -p PUBFILE [-x SIGFILE] [--allow-legacy] [-q]\n"
    "\n"
    "Checks ARCHIVE against its minisign signature and the trusted public key.\n"
    "On success prints the authenticated trusted comment and exits 0; otherwise\n"
    "prints the reason and exits 1.\n"
    "\n"
    "  -p, --pubkey PUBFILE   trusted public key (minisign format)\n"
    "  -x, --sig SIGFILE      signature file (default: ARCHIVE.minisig)\n"
    "      --allow-legacy     also accept legacy \"Ed\" signatures (whole file signed)\n"
    "  -q, --quiet            print nothing on success\n"
    "  -h, --help             show this help\n";

int cmd_verify(int argc, char **argv)
{
	const char *pub_path = NULL, *sig_path = NULL, *archive;
	bool legacy = false, quiet = false;
	const struct cmd_option opts[] = {
	    {"pubkey", 'p', NULL, &pub_path},
	    {"sig", 'x', NULL, &sig_path},
	    {"allow-legacy", 0, &legacy, NULL},
	    {"quiet", 'q', &quiet, NULL},
	    {0},
	};
	struct cmd_parse p = {
	    .cmd = "verify", .usage = usage_text, .opts = opts, .args = "archive"};
	struct err err;
	char *sig_default = NULL, *sig_text = NULL, *tc = NULL;
	char keyid[17];
	struct minisign_pubkey pk;
	size_t sig_len = 0;
	int fd = -1, rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	archive = p.operands[0];
	if (!pub_path)
		return cmd_usage_error("verify", "no public key given: pass -p PUBFILE");
	if (!(sig_default = minisign_sig_path(archive, sig_path)))
		return cmd_fail("verify", EXIT_FAIL, "out of memory");
	sig_path = sig_default;

	if (minisign_pubkey_load(pub_path, &pk, NULL, NULL, &err) < 0) {
		rc = cmd_error("verify", &err);
		goto out;
	}
	/* The archive first, as install does: a missing archive is not a missing signature. */
	fd = open_regular_at(AT_FDCWD, archive, 0, NULL, &err);
	if (fd < 0) {
		rc = cmd_error("verify", &err);
		goto out;
	}
	if (minisign_sig_read(sig_path, &sig_text, &sig_len, &err) < 0) {
		fail_prefix(&err, "%s: no usable signature", archive);
		rc = cmd_error("verify", &err);
		goto out;
	}
	if (minisign_verify_fd(&pk, sig_text, sig_len, fd, legacy ? MINISIGN_ALLOW_LEGACY : 0, &tc,
	                       &err) < 0) {
		fail_prefix(&err, "%s", archive);
		rc = cmd_error("verify", &err);
		goto out;
	}
	if (!quiet) {
		minisign_keyid_hex(pk.keyid, keyid);
		/* The trusted comment is the signer's text: authenticated, not harmless. */
		printf("signature ok: ");
		esc_fputs(archive, stdout);
		printf(" (key %s)\ntrusted comment: ", keyid);
		esc_fputs(tc, stdout);
		putchar('\n');
	}
	rc = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	free(tc);
	free(sig_text);
	free(sig_default);
	return rc;
}
