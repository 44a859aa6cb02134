/* Installing a signed release archive into the store (specs/store.md "Install").
 *
 * Order: adopt the newer keyring versions the archive carries (ARCHIVE.keyring,
 * specs/trust.md), so that it is judged by them; open the archive once; verify its minisign
 * signature against the pinned key on that descriptor before libarchive reads a byte, then the
 * keyring's provenance and reproduction policies (specs/trust.md); downgrade
 * guard from the authenticated trusted comment; hardened extraction into a private staging
 * directory; the manifest must agree with the trusted comment; the signature is checked again over
 * the bytes actually read; the tree made read-only; syncfs; record and state written; rename into
 * releases/<version>; history. Files identical to those of an installed release are hard
 * links to them (delta.h). */
#ifndef SLIPWAY_INSTALL_H
#define SLIPWAY_INSTALL_H

#include "release/base/error.h"
#include "release/store/extract.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <stdint.h>

struct install_opts {
	bool allow_downgrade;
	bool activate;        /* the release is to become `current` (deploy, install --activate) */
	const char *sig_path; /* NULL: "<archive>.minisig" */
	const char *keyring_path;    /* NULL: "<archive>.keyring" when it exists */
	const char *provenance_path; /* NULL: "<archive>.intoto.jsonl" (when the policy asks) */
	const char *reproduced_path; /* NULL: "<archive>.reproduced.jsonl" (when the policy asks) */
	struct extract_limits limits;
	extract_progress_fn progress; /* NULL: none */
	void *progress_ctx;
};

struct install_result {
	char *version; /* heap, owned by the caller (free) */
	uint64_t serial;
	bool already_installed; /* the same archive was installed before: nothing was done */
	bool downgrade;         /* accepted below the high-water mark with allow_downgrade */
	uint64_t entries, bytes;
	uint64_t linked, linked_bytes; /* of those, files hard-linked from installed releases */
	size_t keyring_adopted;        /* keyring versions adopted before judging the archive */
	uint64_t keyring_version;      /* the keyring version the archive was judged by */
};

/* Requires the store lock. On failure nothing is left under a final name: the staging
 * directory is removed, `current` and every installed release are untouched. */
int store_install(struct store *st, const char *archive, const struct install_opts *opts,
                  struct install_result *res, struct err *err);

/* What store_install with `activate` decides for an archive whose version is installed
 * already, without the archive: its BLAKE2b-512 (`archive_hash`, 128 hex digits) must be the
 * one the release was installed from, and activating it must pass the downgrade guard (a
 * serial below the high-water mark is refused unless it is current or allow_downgrade).
 * 0 when the caller may switch `current` to it; -1 with err (ERR_REFUSED for a refusal, "<v>
 * is not installed" when it is not). Requires the lock. For `slipway push`, which sends
 * nothing when the host has the release. */
int store_install_reactivate(struct store *st, const char *version, const char *archive_hash,
                             bool allow_downgrade, struct err *err);

#endif
