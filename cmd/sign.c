/* slipway sign ARCHIVE: write ARCHIVE.minisig (specs/signature.md). */
#include "cmd/cmd.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/extract.h"
#include "release/sig/minisign.h"
#include "release/sig/signing_key.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: slipway sign ARCHIVE [-s SECFILE] [-t TRUSTED_COMMENT] [-c COMMENT] [-x SIGFILE]\n"
    "\n"
    "Signs ARCHIVE with a minisign secret key (prehashed \"ED\" signature) and writes\n"
    "the signature atomically to ARCHIVE.minisig. Prints the signature's path.\n"
    "\n"
    "  -s, --seckey SECFILE      secret key; default $SLIPWAY_SECRET_KEY (a path),\n"
    "                            else $SLIPWAY_SECRET_KEY_DATA (the key file's contents)\n"
    "  -t, --trusted-comment TC  signed comment (default: from the archive's manifest,\n"
    "                            \"app:APP version:VERSION serial:N file:ARCHIVE_NAME\",\n"
    "                            which slipway's store requires)\n"
    "  -c, --comment COMMENT     untrusted comment (default: \"" MINISIGN_DEFAULT_SIG_COMMENT
    "\")\n"
    "  -x, --sig SIGFILE         where to write the signature (default: ARCHIVE.minisig)\n"
    "  -h, --help                show this help\n"
    "\n"
    "An encrypted key's password comes from $SLIPWAY_PASSWORD, else the terminal.\n";

/* slipway's trusted comment for a slipway archive, from its manifest (the first entry).
 * Returns an exit code. */
static int comment_from_manifest(const char *archive, char **out)
{
	struct extract_limits lim;
	struct extractor *x = NULL;
	const struct manifest *m = NULL;
	char *copy = strdup(archive);
	struct err err;
	int fd = -1, rc = EXIT_FAIL;

	if (!copy)
		return cmd_fail("sign", EXIT_FAIL, "out of memory");
	fd = open_regular_at(AT_FDCWD, archive, 0, NULL, &err);
	if (fd < 0) {
		rc = cmd_error("sign", &err);
		goto out;
	}
	extract_limits_default(&lim);
	/* Whatever the reason, this file cannot be signed without -t: a verdict (exit 1). */
	if (extractor_new(fd, &lim, NULL, NULL, &x, &err) < 0 ||
	    extractor_read_manifest(x, &m, &err) < 0) {
		rc = cmd_fail("sign", EXIT_NO,
		              "%s: cannot take the trusted comment from the manifest: %s; "
		              "pass -t to sign a file that is not a slipway archive",
		              archive, err.msg);
		goto out;
	}
	if (minisign_trusted_comment(m->app, m->version, m->serial, basename(copy), NULL, out,
	                             &err) < 0) {
		fail_prefix(&err, "%s", archive);
		rc = cmd_error("sign", &err);
		goto out;
	}
	rc = EXIT_OK;
out:
	extractor_free(x);
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int cmd_sign(int argc, char **argv)
{
	const char *sec = NULL, *tc = NULL, *comment = NULL, *sig_path = NULL, *archive;
	const struct cmd_option opts[] = {
	    {"seckey", 's', NULL, &sec},
	    {"trusted-comment", 't', NULL, &tc},
	    {"comment", 'c', NULL, &comment},
	    {"sig", 'x', NULL, &sig_path},
	    {0},
	};
	struct cmd_parse p = {.cmd = "sign", .usage = usage_text, .opts = opts, .args = "archive"};
	struct err err;
	char *sig_default = NULL, *tc_default = NULL;
	struct minisign_seckey sk = {0};
	struct stat st;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	archive = p.operands[0];
	if (tc && (strpbrk(tc, "\r\n") || strlen(tc) > MINISIGN_TRUSTED_MAX))
		return cmd_usage_error("sign",
		                       "the trusted comment must be a single line of at "
		                       "most %d bytes",
		                       MINISIGN_TRUSTED_MAX);
	if (comment &&
	    (strpbrk(comment, "\r\n") ||
	     strlen(comment) > MINISIGN_COMMENT_LINE_MAX - strlen("untrusted comment: ")))
		return cmd_usage_error("sign",
		                       "the comment must be a single line of at most %zu "
		                       "bytes",
		                       MINISIGN_COMMENT_LINE_MAX - strlen("untrusted comment: "));
	if (!signing_key_source(sec))
		return cmd_usage_error("sign", "no secret key: pass -s SECFILE or set "
		                               "SLIPWAY_SECRET_KEY or SLIPWAY_SECRET_KEY_DATA");
	if (stat(archive, &st) < 0)
		return cmd_fail("sign", EXIT_FAIL, "cannot open %s: %s", archive, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cmd_fail("sign", EXIT_FAIL, "%s: not a regular file", archive);
	if (!tc) {
		if ((rc = comment_from_manifest(archive, &tc_default)) != EXIT_OK)
			return rc;
		tc = tc_default;
	}
	if (!(sig_default = minisign_sig_path(archive, sig_path))) {
		free(tc_default);
		return cmd_fail("sign", EXIT_FAIL, "out of memory");
	}
	sig_path = sig_default;
	if (signing_key_load(sec, &sk, &err) < 0) {
		rc = cmd_error("sign", &err);
		goto out;
	}
	if (minisign_sign_file(archive, sig_path, &sk, tc, comment, &err) < 0) {
		rc = cmd_error("sign", &err);
		goto out;
	}
	printf("%s\n", sig_path);
	rc = EXIT_OK;
out:
	minisign_seckey_wipe(&sk);
	free(sig_default);
	free(tc_default);
	return rc;
}
