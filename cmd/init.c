/* slipway init --root DIR (-p PUBFILE | --keyring FILE): create a store and pin its trust. */
#include "cmd/cmd.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/keyring.h"
#include "release/sig/minisign.h"
#include "release/store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage_text[] =
    "usage: slipway init --root DIR (-p PUBFILE | --keyring FILE)\n"
    "\n"
    "Creates the release store at DIR (created if missing; its parent must exist) and pins\n"
    "its trust: PUBFILE, a minisign public key, as the only key installs will trust (a\n"
    "one-key keyring), or FILE, a keyring chain (slipway keyring; specs/trust.md) whose\n"
    "newest version judges every release, floor included. Running it again with the same\n"
    "key or keyring is harmless; anything else is refused (newer keyring versions are\n"
    "adopted by deploys and by slipway keyring adopt).\n"
    "\n"
    "  -r, --root DIR          the store (default: $SLIPWAY_ROOT)\n"
    "  -p, --pubkey PUBFILE    the trusted public key (minisign format)\n"
    "      --keyring FILE      the trusted keyring chain\n"
    "  -h, --help              show this help\n";

static int init_keyring(const char *root, const char *path)
{
	struct keyring_chain c = {0};
	struct err err;
	char *text = NULL;
	size_t len = 0;
	int rc = EXIT_OK;

	if (keyring_chain_load(path, &c, &text, &len, &err) < 0 ||
	    store_init_trust(root, NULL, 0, text, len, &err) < 0) {
		rc = cmd_error("init", &err);
	} else {
		const struct keyring *kr = keyring_chain_newest(&c);

		printf("store %s ready, trusted keyring version %llu (floor %llu)\n", root,
		       (unsigned long long)kr->version, (unsigned long long)kr->min_serial);
	}
	keyring_chain_release(&c);
	free(text);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	const char *pub = NULL, *keyring = NULL, *root;
	const struct cmd_option opts[] = {
	    {"pubkey", 'p', NULL, &pub}, {"keyring", 0, NULL, &keyring}, {0}};
	struct cmd_parse p = {.cmd = "init", .usage = usage_text, .common = CMD_ROOT, .opts = opts};
	struct err err;
	char *text = NULL, id[17];
	struct minisign_pubkey pk;
	size_t len = 0;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (!pub && !keyring)
		return cmd_usage_error("init", "no public key given: pass -p PUBFILE (or --keyring "
		                               "FILE)");
	if (pub && keyring)
		return cmd_usage_error("init", "-p and --keyring exclude each other");
	root = cmd_store_root("init", p.root);
	if (!root)
		return EXIT_USAGE;
	if (keyring)
		return init_keyring(root, keyring);
	if (minisign_pubkey_load(pub, &pk, &text, &len, &err) < 0)
		return cmd_error("init", &err);
	if (store_init(root, text, len, &err) < 0) {
		free(text);
		return cmd_error("init", &err);
	}
	free(text);
	minisign_keyid_hex(pk.keyid, id);
	printf("store %s ready, trusted key %s\n", root, id);
	return EXIT_OK;
}
