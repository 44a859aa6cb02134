/* OCI image layouts on disk (specs/oci.md "Layouts"): `oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`. Reading checks every blob against its descriptor's digest and size;
 * writing puts each blob under its digest atomically and changes index.json last.
 *
 * Errors follow release/base/error.h: ERR_REFUSED when the input is refused (not a layout,
 * a tag that is not there, a blob that does not match its descriptor), ERR_SYSTEM when the
 * system failed. */
#ifndef SLIPWAY_OCI_LAYOUT_H
#define SLIPWAY_OCI_LAYOUT_H

#include "release/base/error.h"
#include "release/oci/oci.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_INDEX    "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_CONFIG   "application/vnd.oci.image.config.v1+json"
#define OCI_MEDIA_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_REF_ANNOTATION "org.opencontainers.image.ref.name"

#define OCI_JSON_MAX (8u << 20) /* index, manifest and config documents */

struct oci_layout {
	char *path; /* heap */
	int dirfd;
	int blobfd; /* blobs/sha256 */
};

struct oci_desc {
	char media_type[256];
	char digest[OCI_DIGEST_LEN + 1];
	uint64_t size;
};

/* Opens an existing layout for reading (`oci-layout` must say version 1.x). */
int oci_layout_open(const char *path, struct oci_layout *l, struct err *err);

/* Opens `path` for writing, creating the directory (its parent must exist) and the layout
 * files when missing; an existing directory must be empty or a layout. *created tells
 * whether this call made the directory. Takes an exclusive lock on the directory (flock),
 * waiting at most 10 s for another writer; the lock goes with oci_layout_close. */
int oci_layout_create(const char *path, struct oci_layout *l, bool *created, struct err *err);

void oci_layout_close(struct oci_layout *l);

/* Whether two open layouts are the same directory. */
bool oci_layout_same(const struct oci_layout *a, const struct oci_layout *b);

/* The image manifest descriptor tagged `ref` in index.json (NULL: the only entry). An image
 * index (multi-platform) is followed to the entry for this machine's linux/<arch>. */
int oci_layout_resolve(const struct oci_layout *l, const char *ref, struct oci_desc *out,
                       struct err *err);

/* Reads a JSON blob (at most OCI_JSON_MAX bytes) and checks it against the descriptor;
 * *obj is owned by the caller (json_object_put). The raw text is not kept. */
int oci_blob_read_json(const struct oci_layout *l, const struct oci_desc *d, json_object **obj,
                       struct err *err);

/* Copies a blob between layouts, checking digest and size on the way; a blob already in
 * `dst` with the descriptor's size is kept as is. */
int oci_blob_copy(const struct oci_layout *src, const struct oci_layout *dst,
                  const struct oci_desc *d, struct err *err);

/* Writes `len` bytes as a blob; fills d->digest and d->size (not the media type). */
int oci_blob_write(const struct oci_layout *l, const void *data, size_t len, struct oci_desc *d,
                   struct err *err);

/* A new temporary file in blobs/sha256 for a streamed blob: *fd open for writing, `name`
 * (at least 64 bytes) its name. oci_blob_commit fsyncs it and renames it to its digest;
 * oci_blob_discard removes it. Both close fd. */
int oci_blob_tmp(const struct oci_layout *l, int *fd, char *name, struct err *err);
int oci_blob_commit(const struct oci_layout *l, int fd, const char *name, const char *digest,
                    struct err *err);
void oci_blob_discard(const struct oci_layout *l, int fd, const char *name);

/* Points `tag` at the manifest `d` in index.json (replacing an older entry with that tag,
 * keeping every other entry), atomically. */
int oci_layout_tag(const struct oci_layout *l, const struct oci_desc *d, const char *tag,
                   struct err *err);

/* ---- helpers shared by the module ---- */

/* Parses an OCI JSON document strictly: one value, valid UTF-8, no duplicate keys, depth
 * at most 64; `what` names it in errors. *obj is owned by the caller. */
int oci_json_parse(const char *text, size_t len, const char *what, json_object **obj,
                   struct err *err);

/* The compact serialisation used for every document this module writes: heap string. */
char *oci_json_text(json_object *obj, size_t *len);

/* "sha256:<hex>" of a buffer, into out (OCI_DIGEST_LEN + 1 bytes). */
void oci_sha256_digest(const void *data, size_t len, char *out);

/* "sha256:<hex>" from a raw 32-byte digest. */
void oci_digest_format(const unsigned char raw[32], char *out);

/* A descriptor from JSON ({"mediaType", "digest", "size", ...}); only sha256 digests. */
int oci_desc_parse(json_object *obj, const char *what, struct oci_desc *d, struct err *err);

/* {"mediaType", "digest", "size"} as a new JSON object. */
json_object *oci_desc_json(const struct oci_desc *d);

#endif
