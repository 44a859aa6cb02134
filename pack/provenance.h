/* pack's provenance (specs/trust.md "Provenance"): who built the archive, from which
 * repository, ref and commit, with which command, written as ARCHIVE.intoto.jsonl signed by
 * the release key. Facts come from CI's environment when it names them (GitHub Actions'
 * GITHUB_* variables; $SLIPWAY_BUILDER_ID, $SLIPWAY_SOURCE_REPOSITORY and $SLIPWAY_SOURCE_REF
 * for any other CI), else from the project's git repository (libgit2: the "origin" remote,
 * the branch HEAD is on) and the host's name. */
#ifndef SLIPWAY_PACK_PROVENANCE_H
#define SLIPWAY_PACK_PROVENANCE_H

#include "release/base/error.h"
#include "release/sig/minisign.h"

/* Writes "<archive>.intoto.jsonl" atomically. `started` is when the pack began (Unix s). */
int pack_provenance_write(const char *project, const char *archive, const char *commit,
                          const char *build_command, long long started,
                          const struct minisign_seckey *sk, struct err *err);

#endif
