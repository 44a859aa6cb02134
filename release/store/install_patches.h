/* The patch-set step of an install from frames (specs/channel.md "Partial pull"): after the
 * files an installed release holds are linked, and before any frame is fetched, the source
 * is asked once for a patch set (patchset.h) of the files still needed, with the host's file
 * at the same path in the first delta source (current, else the newest) named as a base;
 * the patch set is applied and the frames serve whatever it did not cover. */
#ifndef SLIPWAY_INSTALL_PATCHES_H
#define SLIPWAY_INSTALL_PATCHES_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/store/delta.h"
#include "release/store/install.h"
#include "release/store/patchset.h"

#include <stdbool.h>

/* Asks o->patches (nothing when it is NULL or no file is needed) for the files with need[i + 1]
 * of m, whose entry's SHA-256 is manifest_sha256 (hex), and applies what it writes into
 * o->patches_fd: each file written into stagingfd has need[i + 1] cleared; *st counts them.
 * 0 done (also when the source has no patch set); -1 with err: the source failed, or the
 * patch set was refused (ERR_REFUSED; files it wrote stay in staging, which the caller
 * removes). stagingfd -1: a look ahead (patchset_apply), the set fetched, nothing written. */
int install_patches_apply(const struct install_frames_opts *o, const struct manifest *m,
                          const char *manifest_sha256, struct delta *d, bool *need, int stagingfd,
                          struct patchset_apply_stats *st, struct err *err);

#endif
