/* The release layer of an exported image (specs/oci.md "The release layer").
 *
 * A tar (pax_restricted, libarchive) compressed with gzip (zlib, level 6, no name, mtime 0):
 *   <prefix>/                         and every directory above it
 *   <prefix>/releases/<version>/      the release directory
 *   <prefix>/releases/<version>/slipway-manifest.json, then every manifest entry in order
 *   <prefix>/current -> releases/<version>
 * Owners 0:0 without names, modes exactly the manifest's (directories 0755, symlinks 0777),
 * every mtime the manifest's build_time. Regular files are read from the verified tree and
 * checked once more against the manifest (type, size, SHA-256) while they are written. */
#ifndef SLIPWAY_OCI_LAYER_H
#define SLIPWAY_OCI_LAYER_H

#include "release/manifest/manifest.h"
#include "release/oci/layout.h"

#include <stdbool.h>
#include <stdint.h>

struct oci_layer_in {
	int treefd;               /* the verified release tree (with slipway-manifest.json) */
	const struct manifest *m; /* its manifest */
	const char *prefix;       /* "srv/<app>": relative, no trailing '/' */
	int64_t mtime;
};

/* Writes the layer as a blob of `l`; fills *d (media type OCI_MEDIA_LAYER_GZ, digest and
 * size of the compressed bytes) and diff_id (digest of the uncompressed tar). */
int oci_layer_write(const struct oci_layout *l, const struct oci_layer_in *in, struct oci_desc *d,
                    char diff_id[OCI_DIGEST_LEN + 1], struct err *err);

#endif
