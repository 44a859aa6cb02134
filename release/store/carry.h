/* Content-hashed static assets across installed releases (specs/store.md, "Static assets
 * across releases").
 *
 * A page served by one release asks for its Next.js assets under /_next/static/ by names
 * that are hashes of their content. After a switch, or a rollback, another release answers
 * those requests: it must have them. So every static directory of an installed
 * release holds, next to its own files, the files every other installed release lists in
 * the same directory and it lacks, as hard links: no disk space, and no name can mean two
 * contents.
 *
 * A release's own files are the ones its manifest lists; a carried file is never carried
 * further, so a release holds at most the assets of the releases installed while it is.
 * A file is carried only when the one rule for sharing installed files (reuse.h: owner,
 * read-only mode, link count, SHA-256 against its own release's manifest) accepts it, and
 * only from a release whose manifest is still as install left it (0444, one link, ours).
 * Nothing is ever replaced or removed: a name that exists is left alone.
 * A static directory is one of the manifest's static_dirs (specs/manifest.md "Writable and
 * static directories"; a Next.js build's `.next/static`) that both releases list at the same
 * path. */
#ifndef SLIPWAY_STORE_CARRY_H
#define SLIPWAY_STORE_CARRY_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/store/store.h"

/* Before the release described by `m` is renamed into place: links into its staging tree
 * (stagingfd) the static files of every installed release. Requires the lock. Fails only
 * when the system does (no space, I/O error); a file that cannot be linked for another
 * reason (gone, refused by the reuse rule, a directory in the way) is skipped. *linked counts the
 * links made (may be NULL). */
int store_carry_in(struct store *st, int stagingfd, const struct manifest *m, unsigned long *linked,
                   struct err *err);

/* After release `version` (manifest `m`) is installed: links its own static files into every
 * other installed release. Same failures and skips as store_carry_in. */
int store_carry_out(struct store *st, const char *version, const struct manifest *m,
                    unsigned long *linked, struct err *err);

#endif
