/* Verifying a release archive exactly as install does, without a store (specs/store.md
 * "Install", steps 1-3 and 5-8): for store_install and for commands that consume a verified
 * release elsewhere (export-oci).
 *
 * Order, one call each, so the caller can act between the steps (the store's downgrade guard
 * runs between open and read_manifest):
 *   verified_open           open the archive once (O_RDONLY, regular file), verify the
 *                           minisign signature on that descriptor before libarchive exists,
 *                           take app:, version:, serial: from the authenticated comment.
 *                           An archive of at most VERIFIED_COPY_MAX bytes is copied into a
 *                           sealed memfd while it is hashed, and that copy is what is
 *                           verified and unpacked: nothing can change it afterwards;
 *   verified_read_manifest  the hardened reader on the same descriptor; the manifest must
 *                           agree with the signed fields;
 *   verified_unpack         hardened extraction into an empty directory, every entry checked
 *                           against the manifest; then (a larger archive, read from the
 *                           file itself) the signature again over the bytes actually read
 *                           (an archive rewritten in place is refused).
 * Only after verified_unpack succeeded is the tree in the directory a verified release.
 *
 * Errors follow release/base/error.h; on failure err's kind tells a refusal (a check said
 * no: ERR_REFUSED) from a failure of the system (ERR_SYSTEM). */
#ifndef SLIPWAY_VERIFIED_H
#define SLIPWAY_VERIFIED_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/sig/keyring.h"
#include "release/sig/minisign.h"
#include "release/store/extract.h"
#include "release/store/signed_release.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#define VERIFIED_HASH_BYTES 64 /* BLAKE2b-512, the hash minisign's "ED" signatures sign */
#define VERIFIED_COPY_MAX   (512ull << 20) /* archives up to this size are copied (below) */

struct verified_archive {
	/* Read-only for the caller. */
	const char *path;
	int fd;                   /* the archive; every read goes through this descriptor */
	char *app;                /* from the authenticated trusted comment (heap, owned) */
	char *version;            /* idem, a valid manifest version */
	uint64_t serial;          /* idem */
	const struct manifest *m; /* after verified_read_manifest (owned by the extractor) */
	struct extractor *x;      /* after verified_read_manifest */
	char hash_hex[2 * VERIFIED_HASH_BYTES + 1]; /* BLAKE2b-512 of the archive, "" until known */

	/* Private. */
	struct minisign_pubkey key; /* the release key that signed it */
	char *sig_text;
	size_t sig_len;
	struct minisign_sig sig;
	char *tc;
	EVP_MD_CTX *stream_hash;
	bool sealed; /* fd is a sealed in-memory copy of the verified bytes */
};

/* Opens `path`, reads the signature (`sig_path`, NULL: "<path>.minisig") and verifies it
 * against the release key of `kr` it names (a revoked or unknown key is refused), then
 * judges the signed serial by kr's floor and expiry (keyring_judge), all before libarchive
 * reads a byte. On success app/version/serial are set. */
int verified_open(struct verified_archive *v, const char *path, const char *sig_path,
                  const struct keyring *kr, struct err *err);

/* Fills hash_hex with the BLAKE2b-512 of the whole file (pread: the position is untouched).
 * Only for callers that need the digest before unpacking. */
int verified_hash_file(struct verified_archive *v, struct err *err);

/* The authenticated trusted comment's manifest: as 64 hex digits (after verified_open): 0;
 * 1 when the comment has none; -1 with err. */
int verified_signed_manifest(const struct verified_archive *v, char hex[65], struct err *err);

/* The verified archive as a signed release (signed_release.h; heap, signed_release_release):
 * the authenticated comment's app, version, serial and manifest digest, file_checked set.
 * 0; 1 when the comment names no manifest; -1 with err. */
int verified_signed_release(const struct verified_archive *v, struct signed_release *out,
                            struct err *err);

/* The SHA-256 of the verified bytes (pread, the position untouched), 64 hex digits: the
 * digest provenance names its subject by (specs/trust.md "Provenance"). */
int verified_sha256(struct verified_archive *v, char hex[65], struct err *err);

/* The SHA-256 of the whole file open on `fd` (pread from 0, the position untouched), 64 hex
 * digits; `path` names it in errors. */
int sha256_fd(int fd, const char *path, char hex[65], struct err *err);

/* What a channel names an archive by (specs/channel.md): its manifest's app, version and
 * serial, and the SHA-256 of the manifest entry's data (`manifest_sha256`).  */
struct archive_head {
	char *app; /* heap */
	char *version;
	uint64_t serial;
	char manifest_sha256[65];
};

/* Reads the manifest of the archive open on `fd` with the hardened reader and the default
 * limits (the first entry must be the manifest and parse). Reads from offset 0 (the position
 * moves). Not a verification: nothing has authenticated these bytes yet. Release with
 * archive_head_release. */
int archive_head_read(int fd, const char *path, struct archive_head *out, struct err *err);
void archive_head_release(struct archive_head *h);

/* Starts the hardened reader with `lim` and reads the manifest, which must say the signed
 * app, version and serial. */
int verified_read_manifest(struct verified_archive *v, const struct extract_limits *lim,
                           struct err *err);

/* Unpacks into `stagingfd` (an empty directory; not synced) and checks the signature over
 * the bytes read; hash_hex is then the archive's BLAKE2b-512. On failure the directory
 * holds a partial tree that the caller removes. */
int verified_unpack(struct verified_archive *v, int stagingfd, struct err *err);

/* Releases everything; safe on a zeroed struct and after a failed verified_open. */
void verified_close(struct verified_archive *v);

#endif
