/* The keyring: which keys a host trusts to sign releases and to change the keyring itself,
 * the release floor and the expiry (format and rules: specs/trust.md "Keyring").
 *
 * A keyring version is a canonical JSON document inside a signed envelope (envelope.h) of
 * type KEYRING_TYPE. A chain is the versions one envelope a line, consecutive. Version N+1
 * is accepted after N only when signed by a threshold of N's keyring keys and by a threshold
 * of its own, never lowers the floor, and keeps every revocation. A store pinned to one key
 * has the implicit version 0 (keyring_implicit): that key signs releases and the keyring.
 * Errors follow release/base/error.h; every verdict on the input is ERR_REFUSED. */
#ifndef SLIPWAY_KEYRING_H
#define SLIPWAY_KEYRING_H

#include "release/base/error.h"
#include "release/sig/envelope.h"
#include "release/sig/minisign.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KEYRING_TYPE        "application/vnd.slipway.keyring+json"
#define KEYRING_DOC_TYPE    "slipway-keyring"
#define KEYRING_KEYS_MAX    16  /* keys per role */
#define KEYRING_REVOKED_MAX 64  /* revoked key ids */
#define KEYRING_CHAIN_MAX   256 /* versions in one chain file */
#define KEYRING_FILE_MAX    (1u << 20)
#define KEYRING_NUMBER_MAX  9007199254740991ull /* 2^53 - 1: exact in every JSON reader */
#define KEYRING_SUFFIX      ".keyring"          /* an archive's keyring: ARCHIVE.keyring */

#define KEYRING_POLICY_MAX 8   /* entries in each provenance policy list */
#define KEYRING_POLICY_LEN 200 /* bytes of one entry */

/* The provenance policy (specs/trust.md "Provenance"): empty lists = no policy. When any list
 * is non-empty, every release needs ARCHIVE.intoto.jsonl, and each non-empty list must
 * admit it: the repository exactly, the ref by fnmatch(3) pattern, the builder id exactly. */
struct keyring_policy {
	char repositories[KEYRING_POLICY_MAX][KEYRING_POLICY_LEN + 1];
	size_t n_repositories;
	char ref_patterns[KEYRING_POLICY_MAX][KEYRING_POLICY_LEN + 1];
	size_t n_ref_patterns;
	char builder_ids[KEYRING_POLICY_MAX][KEYRING_POLICY_LEN + 1];
	size_t n_builder_ids;
};

/* The reproduction policy (specs/trust.md "Reproduction policy"): `required` distinct keys of
 * `rebuilder_keys` must each have signed a "reproduced" attestation of a release before it is
 * installed. required 0: no policy (and no keys); the payload then has no such field. */
struct keyring_reproductions {
	struct minisign_pubkey rebuilder_keys[KEYRING_KEYS_MAX];
	size_t n_keys;
	uint64_t required; /* 1 to n_keys, or 0 */
};

struct keyring {
	uint64_t version;
	uint64_t min_serial; /* releases with a lower serial are refused */
	uint64_t expires;    /* Unix seconds; 0: never. Releases are refused from then on */
	uint64_t threshold;  /* of keyring_keys, to sign the next version (and this one) */
	struct minisign_pubkey keyring_keys[KEYRING_KEYS_MAX];
	size_t n_keyring;
	struct minisign_pubkey release_keys[KEYRING_KEYS_MAX];
	size_t n_release;
	uint8_t revoked[KEYRING_REVOKED_MAX][MINISIGN_KEYID_BYTES];
	size_t n_revoked;
	struct keyring_policy provenance;
	struct keyring_reproductions reproductions;
};

/* Whether the keyring's provenance policy asks for anything. */
bool keyring_policy_active(const struct keyring *kr);

/* Version 0 of a store pinned to `pk`: pk signs releases and the keyring, threshold 1,
 * floor 0, no expiry. */
void keyring_implicit(const struct minisign_pubkey *pk, struct keyring *kr);

/* Checks a keyring's own rules (limits, thresholds, no key both trusted and revoked) and
 * writes its canonical JSON payload (heap, owned by the caller). */
int keyring_payload(const struct keyring *kr, char **out, size_t *len, struct err *err);

/* The integer at `key` of a signed document's payload object (a keyring's, the channel
 * index's): 0 to KEYRING_NUMBER_MAX, else refused as "<doc>: <key> is not an integer ...". */
struct json_object;
int keyring_get_number(struct json_object *o, const char *key, const char *doc, uint64_t *out,
                       struct err *err);

/* Parses a payload strictly: exactly the fields of the format, each of its type and within
 * its limits, and the bytes equal to keyring_payload's (canonical form). */
int keyring_parse(const uint8_t *payload, size_t len, struct keyring *kr, struct err *err);

/* Whether `next` may follow `prev` with the signatures of `env` (whose payload is next's):
 * version exactly prev+1, floor not lowered, revocations kept, a threshold of prev's keyring
 * keys and one of next's own. The refusal names the rule. */
int keyring_step(const struct keyring *prev, const struct keyring *next, const struct envelope *env,
                 struct err *err);

/* Whether a version signs itself: a threshold of its own keyring keys (the first version of a
 * chain given by an operator, whose trust comes from the operator). */
int keyring_self_signed(const struct keyring *kr, const struct envelope *env, struct err *err);

/* The release key with this id: fails when it is revoked or not a release key. */
int keyring_release_key(const struct keyring *kr, const uint8_t keyid[MINISIGN_KEYID_BYTES],
                        struct minisign_pubkey *out, struct err *err);

/* The floor and the expiry for a release of `serial` judged at `now`. */
int keyring_judge(const struct keyring *kr, uint64_t serial, time_t now, struct err *err);

/* ---- chains ---- */

struct keyring_link {
	struct envelope env;
	struct keyring kr;
	char *line; /* the envelope line as read, with its "\n" (heap) */
	size_t line_len;
};

struct keyring_chain {
	struct keyring_link *links; /* consecutive versions, oldest first */
	size_t n;
};

/* Parses a chain file's text (one envelope a line, at most KEYRING_CHAIN_MAX, at most
 * KEYRING_FILE_MAX bytes): every line a keyring envelope, versions consecutive, each step
 * valid (keyring_step), the first self-signed. `what` names the file in errors. */
int keyring_chain_parse(const char *text, size_t len, const char *what, struct keyring_chain *out,
                        struct err *err);
/* keyring_chain_parse without the signatures: every line a valid keyring document, versions
 * consecutive. For a chain checked before it was written (the store's own), or whose newer
 * part keyring_chain_newer then judges step by step from the host's version. */
int keyring_chain_read(const char *text, size_t len, const char *what, struct keyring_chain *out,
                       struct err *err);
void keyring_chain_release(struct keyring_chain *c);

/* Reads (at most KEYRING_FILE_MAX bytes; a file that cannot be read is a refusal) and parses
 * the chain file at `path`. *text (may be NULL) receives the file's text (heap, caller
 * frees) and *len its length. */
int keyring_chain_load(const char *path, struct keyring_chain *out, char **text, size_t *len,
                       struct err *err);

/* The newest version of a chain (n > 0). */
const struct keyring *keyring_chain_newest(const struct keyring_chain *c);

/* The versions of `incoming` newer than `host` (the host's newest keyring, maybe implicit),
 * checked from `host` on: *first is the index in incoming of the first newer one, and
 * *count how many (0: nothing to adopt). A version equal to the host's must carry the same
 * payload (`host_payload`, NULL for the implicit version 0, which no chain carries); an
 * incoming chain that starts after host+1 is refused (a gap cannot be judged). */
int keyring_chain_newer(const struct keyring *host, const uint8_t *host_payload,
                        size_t host_payload_len, const struct keyring_chain *incoming,
                        size_t *first, size_t *count, struct err *err);

#endif
