/* Delta install (specs/store.md "Delta install"): a regular file of the release being
 * installed that an installed release already holds at the same path, and that the one rule
 * for sharing installed files accepts against the new, signed manifest (reuse.h: owner,
 * read-only mode, link count, size, and content read now), is hard-linked from it instead of
 * written again; the whole route's extractor then compares the archive's data for that entry
 * with it.
 * Releases are read-only, so the shared inode never changes (specs/store.md "Immutable
 * releases"). */
#ifndef SLIPWAY_DELTA_H
#define SLIPWAY_DELTA_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"
#include "release/store/reuse.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct delta;

/* Opens the releases to link from: the one `current` names, then the newest installed
 * (the state's high-water version), when installed and not `installing`. Having none is
 * not an error: *out then links nothing. Free with delta_free. */
int delta_open(struct store *st, const char *installing, struct delta **out, struct err *err);
void delta_free(struct delta *d);

/* The extractor's link hook (extract.h, extract_link_fn): makes `base` in directory `pfd` a
 * hard link to a verified identical file and returns a descriptor open on it for reading
 * (the caller closes it); -1 when there is none (the caller writes the file); -2 with err
 * set when the staging directory could not be put back in order. */
int delta_link(void *ctx, const struct manifest_file *f, int pfd, const char *base,
               struct err *err);

/* delta_link with the hashing context r (reuse_new), for a caller linking on several threads
 * at once; nothing is added to delta_stats. */
int delta_link_using(struct delta *d, struct reuse *r, const struct manifest_file *f, int pfd,
                     const char *base, struct err *err);

/* Comparing instead of hashing, for a caller that has the entry's data from a signed archive
 * it checks against the file signature before the tree gets a name (reuse.h): the first
 * source holding a candidate for f (reuse_candidate), its descriptor (the caller closes it),
 * *src its source and *sb its status; -1 when none. */
int delta_candidate(struct delta *d, struct reuse *r, const struct manifest_file *f, size_t *src,
                    struct stat *sb);

/* Links a candidate of source src whose every byte the caller compared (reuse_link_verified):
 * 0 linked, -1 not (EMLINK, EXDEV, ...: the caller writes it), -2 with err as delta_link. */
int delta_link_verified(struct delta *d, struct reuse *r, size_t src, int fd, const struct stat *sb,
                        const struct manifest_file *f, int pfd, const char *base, struct err *err);

/* How many installed releases it links from (0: it links nothing). */
size_t delta_sources(const struct delta *d);

/* Their directories (releases/<v>), delta_sources of them, in the order they are tried. */
const int *delta_source_dirs(const struct delta *d);

/* The version of the first source (current, else the newest): the release a patch set's
 * bases come from (install.h, struct install_patch_request); NULL when there is none. */
const char *delta_base_version(const struct delta *d);

/* Opens `path` (a manifest path) below the first source's directory, with no symlink on the
 * way (open_regular_beneath), a regular file of at most `max` bytes, and hashes it now.
 * Returns a read-only descriptor (the caller closes it) with its size and SHA-256, or -1
 * when there is no such file. What it reads is a hint: whatever is made from it is checked
 * against the signed manifest. */
int delta_base_open(struct delta *d, const char *path, uint64_t max, uint64_t *size,
                    uint8_t sha256[32]);

/* Whether a source's manifest lists f as it is (a regular file at the same path, of the same
 * mode, size and SHA-256): what delta_link will most likely find, judged from the manifests
 * alone (read on the first call), without reading the files. A hint for a look ahead
 * (install.h, prefetch): only delta_link's checks decide. */
bool delta_probe(struct delta *d, const struct manifest_file *f);

/* Starts reading the manifests delta_probe judges from, on a thread of its own, beside what
 * the caller does meanwhile. */
void delta_probe_prefetch(struct delta *d);

/* Waits for them (reads them, when nothing started to): after this, delta_probe may be called
 * from several threads at once. */
void delta_probe_ready(struct delta *d);

/* Files linked and their bytes so far. */
void delta_stats(const struct delta *d, uint64_t *files, uint64_t *bytes);

#endif
