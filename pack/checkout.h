/* A clean checkout of one recorded commit, for `slipway rebuild` (specs/trust.md
 * "Reproduction"): the source repository is cloned (libgit2, a local path or any URL libgit2
 * reads) into an empty directory and the commit is checked out, detached, forcibly, so that
 * nothing of the caller's work tree can leak into the rebuild. */
#ifndef SLIPWAY_PACK_CHECKOUT_H
#define SLIPWAY_PACK_CHECKOUT_H

#include "release/base/error.h"

/* `dir` must not exist (it is created). The commit is 40 hex digits. ERR_REFUSED when the
 * commit is not in the source; ERR_SYSTEM for other failures. */
int pack_checkout(const char *source, const char *commit, const char *dir, struct err *err);

#endif
