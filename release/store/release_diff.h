/* What a host holding one release lacks of another (specs/channel.md "The channel"): the
 * want[] of a patch set (patchset.h) that `publish` writes against the previous release. A
 * regular file of the target is sent when the base release's manifest lists no regular file
 * of its SHA-256 (a host holding the base links every other: delta.h); its base is the base
 * release's regular file at the same path, when there is one. */
#ifndef SLIPWAY_RELEASE_DIFF_H
#define SLIPWAY_RELEASE_DIFF_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/store/patchset.h"

#include <stddef.h>

/* Fills want[0..target->n_files) and *n_send (how many are sent). Both manifests' files are
 * sorted by path (manifest.h). -1 only out of memory. */
int release_diff_want(const struct manifest *target, const struct manifest *base,
                      struct patchset_want *want, size_t *n_send, struct err *err);

#endif
