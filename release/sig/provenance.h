/* Build provenance (specs/trust.md "Provenance"): an in-toto Statement v1 with a SLSA v1
 * provenance predicate, in a DSSE envelope signed with a release key, written next to the
 * archive as ARCHIVE.intoto.jsonl (the name SLSA tools use); judged by the keyring's policy
 * before anything of the archive is unpacked.
 *
 * The envelope is plain DSSE so that any DSSE implementation verifies it (Debian's
 * python3-securesystemslib in tests/e2e/t_provenance.sh): payloadType
 * PROVENANCE_PAYLOAD_TYPE, each signature Ed25519 over PAE(payloadType, payload) itself
 * (not minisign's prehash), keyid the minisign key id. Errors: release/base/error.h. */
#ifndef SLIPWAY_PROVENANCE_H
#define SLIPWAY_PROVENANCE_H

#include "release/base/error.h"
#include "release/sig/keyring.h"
#include "release/sig/minisign.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROVENANCE_SUFFIX       ".intoto.jsonl"
#define PROVENANCE_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define PROVENANCE_STATEMENT    "https://in-toto.io/Statement/v1"
#define PROVENANCE_PREDICATE    "https://slsa.dev/provenance/v1"
#define PROVENANCE_BUILD_TYPE   "https://slipway.dev/pack/v1"
#define PROVENANCE_FILE_MAX     (256u << 10)

/* What a build says about itself (strings may be empty, never NULL). */
struct provenance_facts {
	const char *subject_name;   /* the archive's file name */
	const char *subject_sha256; /* 64 lower-case hex digits */
	const char *repository;     /* externalParameters.repository: where the source came from */
	const char *ref;            /* externalParameters.ref: e.g. refs/heads/main */
	const char *commit;         /* resolvedDependencies[0].digest.gitCommit */
	const char *build_command;  /* internalParameters.buildCommand */
	const char *builder_id;     /* runDetails.builder.id */
	const char *invocation_id;  /* runDetails.metadata.invocationId */
	long long started_on, finished_on; /* Unix seconds */
};

/* The envelope line (with "\n") for `facts`, signed by `sk`: heap, owned by the caller. */
int provenance_sign(const struct provenance_facts *facts, const struct minisign_seckey *sk,
                    char **line, size_t *len, struct err *err);

/* A plain DSSE envelope of type PROVENANCE_PAYLOAD_TYPE as read (provenance and reproduced
 * attestations): one line, strict JSON, exactly payload, payloadType and signatures (1 to
 * ENVELOPE_SIGS_MAX objects). A signature object that is not a key id and a base64 Ed25519
 * signature is kept with well_formed false: it counts for nothing, it is no error. */
struct dsse_plain_sig {
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	uint8_t sig[MINISIGN_SIG_BYTES];
	bool well_formed;
};

struct dsse_plain {
	uint8_t *payload; /* decoded (heap) */
	size_t payload_len;
	uint8_t *pae; /* PAE(payloadType, payload), what every signature signs (heap) */
	size_t pae_len;
	struct dsse_plain_sig sigs[ENVELOPE_SIGS_MAX];
	size_t n_sigs;
};

/* Parses one line; `what` begins every error ("provenance: unknown field ..."). Release with
 * dsse_plain_release (also after a failure). */
int dsse_plain_parse(const char *line, size_t len, const char *what, struct dsse_plain *d,
                     struct err *err);
void dsse_plain_release(struct dsse_plain *d);

/* Whether a signature of d by `key` verifies (Ed25519 over the PAE). */
bool dsse_plain_signed_by(const struct dsse_plain *d, const struct minisign_pubkey *key);

#define REPRODUCED_SUFFIX    ".reproduced.jsonl"
#define REPRODUCED_PREDICATE "https://slipway.dev/reproduced/v1"

/* A "reproduced" attestation (specs/trust.md "Reproduction"): a Statement v1 whose subject is
 * the archive (name, sha256) and whose predicate, of type REPRODUCED_PREDICATE, says that
 * `rebuilder_id` rebuilt it from `commit` byte for byte; in a DSSE envelope signed by the
 * rebuilder's own key. *line (with "\n") is heap, owned by the caller. */
int provenance_reproduced(const char *subject_name, const char *sha256_hex, const char *commit,
                          const char *rebuilder_id, const struct minisign_seckey *sk, char **line,
                          size_t *len, struct err *err);

/* Judges an ARCHIVE.intoto.jsonl text against `kr` and the archive's SHA-256 (hex): one
 * envelope, signed by a release key of kr that is not revoked, a Statement v1 of SLSA
 * provenance v1 whose subject has that digest, only the external parameters slipway knows
 * (repository, ref), and the policy of kr (repository, ref pattern, builder id). Every
 * refusal is ERR_REFUSED with the rule in the message. */
int provenance_check(const char *text, size_t len, const struct keyring *kr, const char *sha256_hex,
                     struct err *err);

#endif
