/* Immutable releases (specs/store.md "Immutable releases"): an installed release is
 * read-only, files 0444 or 0555 and directories 0555, because a file may be shared (hard
 * linked) with other releases by delta installs. The one exception is the runtime-writable
 * directories the manifest declares (a Next.js build's `.next/cache`), created empty and 0755
 * by the installer: what a service writes there is new files, private to that release. */
#ifndef SLIPWAY_SEAL_H
#define SLIPWAY_SEAL_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <sys/types.h>

/* The installed mode of a regular file with manifest mode `mode` (0644 or 0755): the same
 * without the write bit, 0444 or 0555. */
mode_t seal_file_mode(mode_t mode);

/* Finishes the unpacked tree in `stagingfd` (entries as the manifest lists them, directories
 * still writable): creates the runtime-writable directories, then gives every other
 * directory of the tree mode 0555 (theirs and any the static assets brought). The top directory is
 * left to the caller: it must stay writable until it is renamed into releases/.
 *
 * Runtime-writable: the manifest's writable_dirs (specs/manifest.md "Writable and static
 * directories"), each created empty when the manifest does not list it, left writable when it
 * lists it as a directory. */
int seal_tree(int stagingfd, const struct manifest *m, struct err *err);

/* Makes directory `path` below dirfd (a release's, e.g. a static directory) and every
 * directory under it writable by their owner (0755), or read-only again (0555): the store's
 * own changes to an installed release (specs/store.md "Static assets across releases").
 * Files are never touched. */
int seal_dirs(int dirfd, const char *path, bool writable, struct err *err);

#endif
