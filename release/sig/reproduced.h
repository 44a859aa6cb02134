/* The reproduction policy's check (specs/trust.md "Reproduction policy"): before a release is
 * installed, `required` distinct rebuilder keys of the keyring must each have signed a
 * "reproduced" attestation (provenance.h, provenance_reproduced) naming the archive's
 * SHA-256. The attestations are ARCHIVE.reproduced.jsonl: one plain DSSE envelope a line, as
 * many rebuilders appended them.
 *
 * The file's form is read strictly (each line one envelope, bounded sizes): a malformed file
 * is refused. What a well-formed line says is only counted or not: a signature by a key
 * outside the rebuilder keys, one that does not verify, an attestation of another archive or
 * of another predicate counts for nothing (specs/trust.md "Thresholds"; threshold_count).
 * Errors follow release/base/error.h; every verdict is ERR_REFUSED. */
#ifndef SLIPWAY_REPRODUCED_H
#define SLIPWAY_REPRODUCED_H

#include "release/base/error.h"
#include "release/sig/keyring.h"

#include <stddef.h>

#define REPRODUCED_FILE_MAX  (256u << 10)
#define REPRODUCED_LINES_MAX 64 /* attestations in one file */

/* The number of distinct rebuilder keys of kr whose attestation in `text` (the file `what`)
 * verifies and names `sha256_hex` (*count), or a refusal of the file's form. */
int reproduced_count(const char *text, size_t len, const char *what, const struct keyring *kr,
                     const char *sha256_hex, size_t *count, struct err *err);

/* reproduced_count, refused when fewer than kr's required reproductions ("reproductions: k of
 * the N needed ..."). Nothing to check when kr requires none. */
int reproduced_check(const char *text, size_t len, const char *what, const struct keyring *kr,
                     const char *sha256_hex, struct err *err);

#endif
