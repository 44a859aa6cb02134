/* The host's trust (specs/trust.md "On the host"): the keyring a store judges releases by,
 * and adopting the newer versions an archive or the operator brings.
 *
 * A store made with `init -p PUB` trusts the implicit keyring version 0 of that key
 * (ROOT/trusted.pub) until it adopts a chain; a store made with `init --keyring FILE`, or
 * that adopted one, trusts the newest version of ROOT/keyring.jsonl. Since a version never
 * lowers the floor, that newest version's floor is the highest the host has seen.
 * Errors follow release/base/error.h; a keyring file of the store's own that cannot be read
 * or judged is a damaged store (ERR_SYSTEM). */
#ifndef SLIPWAY_TRUST_H
#define SLIPWAY_TRUST_H

#include "release/base/error.h"
#include "release/sig/keyring.h"
#include "release/store/store.h"

struct store_trust {
	struct keyring kr; /* the newest version the host trusts */
	char *chain;       /* ROOT/keyring.jsonl's text, NULL for a pinned key (heap) */
	size_t chain_len;
	uint8_t *payload; /* kr's payload, NULL for the implicit version 0 (heap) */
	size_t payload_len;
};

int store_trust_load(struct store *st, struct store_trust *t, struct err *err);
void store_trust_release(struct store_trust *t);

/* Adopts the versions of the chain `text` newer than t's (keyring_chain_newer): writes
 * ROOT/keyring.jsonl atomically and updates t. Requires the lock; st NULL: t alone is
 * updated (a look ahead that changes nothing in the store). `what` names the chain in
 * errors. *adopted (may be NULL) is the number of versions adopted; on a refusal nothing is
 * changed. */
int store_trust_adopt(struct store *st, struct store_trust *t, const char *text, size_t len,
                      const char *what, size_t *adopted, struct err *err);

/* Reads the chain at `path` and adopts it (store_trust_adopt). With `optional`, a missing
 * file is no error (an archive that carries no keyring). */
int store_trust_adopt_file(struct store *st, struct store_trust *t, const char *path, bool optional,
                           size_t *adopted, struct err *err);

#endif
