/* The release's version and provenance from git, read with libgit2.
 *
 * describe equals `git describe --tags --always --dirty`: the nearest tag (lightweight or
 * annotated) reachable from HEAD, "-<n>-g<abbrev>" when HEAD is n commits past it, the
 * abbreviated commit id when there is no tag, and "-dirty" when tracked files differ from
 * HEAD (in the index or the work tree; untracked files do not count, as in git). In a
 * shallow clone only a tag on HEAD itself is found (specs/archive.md). */
#ifndef SLIPWAY_PACK_VERSION_H
#define SLIPWAY_PACK_VERSION_H

#include "release/base/error.h"
#include <stdbool.h>
#include <stdint.h>

struct repo_version {
	bool in_git; /* false: the project is not inside a git work tree */
	char describe[256];
	char commit[41]; /* full commit id of HEAD, hex */
	bool dirty;
	int64_t commit_time; /* HEAD's committer time, Unix seconds */
};

/* Fills out for the repository containing `dir`. Not being in a repository is not an
 * error (out->in_git = false); a repository without commits is. */
int repo_version_read(const char *dir, struct repo_version *out, struct err *err);

#endif
