/* slipway keygen: a minisign key pair (specs/signature.md). */
#include "cmd/cmd.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/minisign.h"
#include "release/sig/password.h"
#include "release/sig/signing_key.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PUB "slipway.pub"
#define DEFAULT_SEC "slipway.key"

static const char usage_text[] =
    "usage: slipway keygen [-p PUBFILE] [-s SECFILE] [-W] [-f] [-c COMMENT]\n"
    "\n"
    "Creates an Ed25519 key pair in minisign's formats. The secret key is encrypted\n"
    "with a password (scrypt, as minisign does) unless -W is given; the password\n"
    "comes from $SLIPWAY_PASSWORD, else it is asked twice on the terminal.\n"
    "\n"
    "  -p, --pubkey PUBFILE   public key file (default: ./" DEFAULT_PUB ")\n"
    "  -s, --seckey SECFILE   secret key file, mode 0600 (default: ./" DEFAULT_SEC ")\n"
    "  -W, --no-password      store the secret key unencrypted\n"
    "  -f, --force            overwrite existing key files\n"
    "  -c, --comment COMMENT  untrusted comment of the secret key file\n"
    "  -h, --help             show this help\n";

/* Writes `text` to `path` atomically (exclusive unless force). */
static int write_key_file(const char *path, const char *text, mode_t mode, int force,
                          struct err *err)
{
	return write_path_atomic(path, text, strlen(text), mode, !force, err);
}

/* Whether the directory that will hold `path` exists and is one. */
static int check_dir_of(const char *path)
{
	char *d = strdup(path);
	struct stat st;
	int rc = EXIT_OK;

	if (!d)
		return cmd_fail("keygen", EXIT_FAIL, "out of memory");
	if (stat(dirname(d), &st) < 0)
		rc = cmd_fail("keygen", EXIT_FAIL, "cannot write %s: %s: %s", path, d,
		              strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = cmd_fail("keygen", EXIT_FAIL, "cannot write %s: %s is not a directory", path,
		              d);
	free(d);
	return rc;
}

/* The new key's password: $SLIPWAY_PASSWORD, or asked twice on the terminal. Returns an
 * exit code (EXIT_OK when pw is filled). */
static int new_password(char pw[PASSWORD_MAX])
{
	struct err err;
	char again[PASSWORD_MAX];
	int rc = EXIT_OK;

	if (getenv("SLIPWAY_PASSWORD")) {
		if (signing_password("", pw, &err) < 0)
			return cmd_error("keygen", &err);
	} else {
		if (!password_tty_available())
			return cmd_usage_error("keygen",
			                       "no password for the secret key: set "
			                       "SLIPWAY_PASSWORD, run on a terminal, or pass -W "
			                       "for an unencrypted key");
		if (password_prompt("Password for the new secret key: ", pw, PASSWORD_MAX, &err) <
		        0 ||
		    password_prompt("Password (again): ", again, PASSWORD_MAX, &err) < 0) {
			rc = cmd_error("keygen", &err);
		} else if (strcmp(pw, again) != 0) {
			rc = cmd_fail("keygen", EXIT_NO, "the passwords do not match");
		}
		OPENSSL_cleanse(again, sizeof(again));
	}
	if (rc == EXIT_OK && pw[0] == '\0')
		rc = cmd_usage_error("keygen", "empty password: choose one, or pass -W for an "
		                               "unencrypted key");
	if (rc != EXIT_OK)
		OPENSSL_cleanse(pw, PASSWORD_MAX);
	return rc;
}

int cmd_keygen(int argc, char **argv)
{
	const char *pub_path = DEFAULT_PUB, *sec_path = DEFAULT_SEC, *comment = NULL;
	bool no_password = false, force = false;
	const struct cmd_option opts[] = {
	    {"pubkey", 'p', NULL, &pub_path},         {"seckey", 's', NULL, &sec_path},
	    {"no-password", 'W', &no_password, NULL}, {"force", 'f', &force, NULL},
	    {"comment", 'c', NULL, &comment},         {0},
	};
	struct cmd_parse p = {.cmd = "keygen", .usage = usage_text, .opts = opts};
	struct err err;
	char pw[PASSWORD_MAX], keyid[17], *sec_text = NULL, *pub_text = NULL;
	struct minisign_seckey sk = {0};
	struct minisign_pubkey pk;
	int rc;

	pw[0] = '\0';
	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (!strcmp(pub_path, sec_path))
		return cmd_usage_error("keygen", "the public and secret key files are the same");
	if (comment &&
	    (strpbrk(comment, "\r\n") ||
	     strlen(comment) > MINISIGN_COMMENT_LINE_MAX - strlen("untrusted comment: ")))
		return cmd_usage_error("keygen",
		                       "the comment must be one line of at most %zu bytes",
		                       MINISIGN_COMMENT_LINE_MAX - strlen("untrusted comment: "));
	if (!force) {
		if (access(sec_path, F_OK) == 0)
			return cmd_fail("keygen", EXIT_NO,
			                "%s already exists: pass -f to overwrite", sec_path);
		if (access(pub_path, F_OK) == 0)
			return cmd_fail("keygen", EXIT_NO,
			                "%s already exists: pass -f to overwrite", pub_path);
	}
	/* Before asking for a password and running scrypt: both directories must be there. */
	if (check_dir_of(pub_path) != EXIT_OK || check_dir_of(sec_path) != EXIT_OK)
		return EXIT_FAIL;
	if (!no_password && (rc = new_password(pw)) != EXIT_OK)
		return rc;

	rc = EXIT_FAIL;
	if (minisign_keygen(&sk, &err) < 0 ||
	    minisign_seckey_format(&sk, no_password ? NULL : pw, comment, &sec_text, &err) < 0) {
		rc = cmd_error("keygen", &err);
		goto out;
	}
	minisign_seckey_public(&sk, &pk);
	if (minisign_pubkey_format(&pk, &pub_text, &err) < 0) {
		rc = cmd_error("keygen", &err);
		goto out;
	}
	if (write_key_file(sec_path, sec_text, 0600, force, &err) < 0) {
		rc = cmd_error("keygen", &err);
		goto out;
	}
	if (write_key_file(pub_path, pub_text, 0644, force, &err) < 0) {
		rc = cmd_error("keygen", &err);
		if (!force)
			unlink(sec_path); /* no half key pair left behind */
		goto out;
	}
	minisign_keyid_hex(pk.keyid, keyid);
	printf("key id: %s\npublic key: %s\nsecret key: %s (%s; keep it secret)\n", keyid, pub_path,
	       sec_path, no_password ? "unencrypted" : "encrypted");
	rc = EXIT_OK;
out:
	minisign_seckey_wipe(&sk);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (sec_text) {
		OPENSSL_cleanse(sec_text, strlen(sec_text));
		free(sec_text);
	}
	free(pub_text);
	return rc;
}
