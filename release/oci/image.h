/* The exported image's config and manifest documents (specs/oci.md "Image config" and
 * "Labels and annotations"). Both are built from the base image's documents and the
 * release alone, so equal inputs give equal bytes. */
#ifndef SLIPWAY_OCI_IMAGE_H
#define SLIPWAY_OCI_IMAGE_H

#include "release/oci/layout.h"
#include "release/oci/oci.h"

#include <json-c/json.h>

/* The labels (config) and annotations (manifest): a new object. */
json_object *oci_labels(const struct oci_export *x, const char *base_digest);

/* Rewrites `config` (the base image's config, modified in place) to run x->services[x->main]
 * from the release layer `diff_id`. Fails when the base config is not a usable image config
 * (rootfs.diff_ids must count `base_layers`). */
int oci_config_apply(json_object *config, const struct oci_export *x, const char *base_digest,
                     const char *diff_id, size_t base_layers, struct err *err);

#endif
