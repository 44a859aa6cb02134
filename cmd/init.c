/* slipway init --root DIR -p PUBFILE: create a store and pin its trusted key. */
#include "cmd/cmd.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/minisign.h"
#include "release/store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage_text[] =
    "usage: slipway init --root DIR -p PUBFILE\n"
    "\n"
    "Creates the release store at DIR (created if missing; its parent must exist) and pins\n"
    "PUBFILE, a minisign public key, as the only key installs will trust. Running it again\n"
    "with the same key is harmless; a different key is refused.\n"
    "\n"
    "  -r, --root DIR          the store (default: $SLIPWAY_ROOT)\n"
    "  -p, --pubkey PUBFILE    the trusted public key (minisign format)\n"
    "  -h, --help              show this help\n";

int cmd_init(int argc, char **argv)
{
	const char *pub = NULL, *root;
	const struct cmd_option opts[] = {{"pubkey", 'p', NULL, &pub}, {0}};
	struct cmd_parse p = {.cmd = "init", .usage = usage_text, .common = CMD_ROOT, .opts = opts};
	struct err err;
	char *text = NULL, id[17];
	struct minisign_pubkey pk;
	size_t len = 0;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (!pub)
		return cmd_usage_error("init", "no public key given: pass -p PUBFILE");
	root = cmd_store_root("init", p.root);
	if (!root)
		return EXIT_USAGE;
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
