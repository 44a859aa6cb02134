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

#include "release/base/byte_range.h"
#include "release/base/error.h"
#include "release/store/extract.h"
#include "release/store/patchset.h"
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
	uint64_t linked, linked_bytes;   /* of those, files hard-linked from installed releases */
	uint64_t frames, frames_decoded; /* a delta install from the archive's frames: how many
	                                  * it has, how many were decoded; 0 otherwise */
	size_t keyring_adopted;          /* keyring versions adopted before judging the archive */
	uint64_t keyring_version;        /* the keyring version the archive was judged by */
};

/* Requires the store lock. On failure nothing is left under a final name: the staging
 * directory is removed, `current` and every installed release are untouched. */
int store_install(struct store *st, const char *archive, const struct install_opts *opts,
                  struct install_result *res, struct err *err);

/* ---- Installing from a partial set of frames (specs/channel.md "Partial pull") ----
 * For deliveries that move only what the host lacks (pull, push). The release is trusted
 * through its minisig's authenticated trusted comment (signed_release.h: app, version, serial,
 * manifest:<sha256>), not through the whole archive's signature, which needs every byte:
 * keyring adoption, the keyring's floor and expiry, the downgrade guard, then frame 0 (the
 * manifest, whose SHA-256 must be the comment's), the tar layout of that manifest
 * (tarlayout.h), the files an installed release holds linked (reuse.h), the frames holding
 * the others fetched (frameplan.h) and every file written from them checked against the
 * manifest's SHA-256 (framefiles.h); then carry, seal, record, rename, history as
 * store_install. The record's archive digest is "manifest-sha256:<hex>" (the whole archive's
 * BLAKE2b-512 is unknown). */

/* Writes the n ranges of the archive (increasing, not overlapping, non-empty) into fd, each
 * at its offset. 0 done; 1 the source cannot serve ranges (the caller delivers the whole
 * archive instead); -1 with err. */
typedef int (*install_fetch_fn)(void *ctx, int fd, const struct byte_range *r, size_t n,
                                struct err *err);

#define INSTALL_RECORD_MANIFEST_PREFIX "manifest-sha256:"

/* What a host asks of a patch set source (patchset.h), after linking what it has. */
struct install_patch_request {
	const struct manifest *m;         /* the signed target manifest */
	const char *manifest_sha256;      /* hex, of its entry's data */
	const struct patchset_want *want; /* m->n_files: send = the host lacks the file; has_base:
	                                   * the file at the same path in base_version, hashed */
	const char *base_version;         /* the installed release bases come from (current, else
	                                   * the newest); NULL: none */
};

/* Writes a patch set for req into fd (read-write, empty) and returns 0; 1 when the source has
 * none (the frames serve every file); -1 with err. What it writes is applied untrusted. */
typedef int (*install_patches_fn)(void *ctx, const struct install_patch_request *req, int fd,
                                  struct err *err);

struct install_frames_opts {
	const char *sig_path;     /* the archive's minisig */
	const char *keyring_path; /* the keyring published beside it; NULL: none */
	uint64_t archive_size;    /* the archive's size and its seek table's, from a signed index */
	uint64_t seek_table_size;
	int fd; /* read-write, empty: where the fetched ranges are placed */
	install_fetch_fn fetch;
	void *fetch_ctx;
	install_patches_fn patches; /* NULL: none; asked once, before any frame is fetched */
	void *patches_ctx;
	int patches_fd;       /* read-write, empty: where the patch set is written (when patches) */
	bool allow_downgrade; /* a serial below the high-water mark: 1 (the whole archive, which
	                       * store_install judges with allow_downgrade), not refused */
	bool prefetch;        /* a look ahead, without the lock: below */
};

struct install_frames_stats {
	uint64_t frames, frames_fetched;     /* of the archive; fetched (frame 0 included) */
	uint64_t bytes_fetched;              /* archive bytes asked for: seek table, frames */
	uint64_t ranges;                     /* ranges asked for */
	uint64_t written_bytes;              /* file bytes written from frames */
	struct patchset_apply_stats patched; /* files written from the patch set */
	char whole_why[256];                 /* when 1 is returned */
};

/* Requires the store lock. Returns 0 installed (not activated; res as store_install's), 1 when
 * the archive is to be delivered whole instead, with the reason in fs->whole_why and nothing
 * installed: no installed release to link from, the version or the serial already installed,
 * a downgrade with allow_downgrade,
 * a keyring policy that asks for provenance or reproductions (they name the whole archive's
 * digest), a seek table or tar layout this rule did not write, a source that ignores ranges.
 * -1 refused (ERR_REFUSED: signature, manifest, a frame that does not decode to the
 * manifest's hashes, downgrade) or failed; nothing left under a final name, `current`
 * untouched.
 *
 * With o->prefetch, a look ahead that needs no lock and changes nothing in the store: the
 * same judgement (a keyring beside the archive adopted in memory only), then what the
 * install would fetch is fetched: the seek table, frame 0, the patch set, and the frames of
 * the files no installed release's manifest lists as they are (delta_probe) and the patch
 * set does not carry. 0 then means fetched, nothing installed; the install that follows
 * under the lock with the same fetch callback finds them placed (a callback skips what it
 * holds) and fetches only what the look ahead misjudged. So a slow transfer does not hold
 * the store lock (specs/channel.md "Locks"). */
int store_install_frames(struct store *st, const struct install_frames_opts *o,
                         struct install_result *res, struct install_frames_stats *fs,
                         struct err *err);

/* What store_install with `activate` decides for an archive whose version is installed
 * already, without the archive: its BLAKE2b-512 (`archive_hash`, 128 hex digits) must be the
 * one the release was installed from, or, for a release installed from frames, the manifest
 * digest its record names must be `manifest_sha256` (64 hex digits, what the archive's
 * signature names; NULL or "": none); and activating it must pass the downgrade guard (a
 * serial below the high-water mark is refused unless it is current or allow_downgrade).
 * 0 when the caller may switch `current` to it; -1 with err (ERR_REFUSED for a refusal, "<v>
 * is not installed" when it is not). Requires the lock. For `slipway push`, which sends
 * nothing when the host has the release. */
int store_install_reactivate(struct store *st, const char *version, const char *archive_hash,
                             const char *manifest_sha256, bool allow_downgrade, struct err *err);

#endif
