/* Reusing an installed file in another release (specs/store.md "Reusing installed files").
 *
 * Delta install (a file of the release being installed, linked from an installed release)
 * and the static-asset carry (an asset of one installed release, linked into another) share
 * inodes between releases. Both decide through this one function whether a file may be
 * shared, because a file that fails any check could carry another release's or another
 * user's content under a name it does not own. A file qualifies when, now:
 *   - it is reached below the release's directory with no symlink on the way, and is a
 *     regular file (opened without ever blocking: release/base/fileio.h);
 *   - it is owned by the running user, with exactly the installed mode of its manifest mode
 *     (0444 for 0644, 0555 for 0755): a file made writable again is never shared;
 *   - it has fewer than REUSE_MAX_LINKS links;
 *   - it has the entry's size and, read now, its content: hashed, the entry's SHA-256; or
 *     compared byte for byte with the entry's data in a signed archive, by a caller that
 *     checks that archive against its file signature before what it links gets a name (a
 *     local delta install, specs/store.md "From the frames").
 * The manifest entry is the signed manifest's: the new release's for a delta install, the
 * owning release's for a carried asset. */
#ifndef SLIPWAY_STORE_REUSE_H
#define SLIPWAY_STORE_REUSE_H

#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define REUSE_MAX_LINKS 60000 /* below ext4's 65,000 links per inode */

struct reuse;

/* A hashing context (a read buffer and a SHA-256 state), reused across files by one thread. */
int reuse_new(struct reuse **out, struct err *err);
void reuse_free(struct reuse *r);

/* The SHA-256 of the first `size` bytes of the file open on fd (pread from 0); -1 when it is
 * shorter or cannot be read. */
int reuse_sha256(struct reuse *r, int fd, uint64_t size, uint8_t out[32]);

/* Opens f->path below relfd (a release's directory) and verifies it as above, its content
 * hashed. Returns a read-only descriptor (the caller closes it; *sb describes the file), or
 * -1 when the file is missing or may not be reused. */
int reuse_open(struct reuse *r, int relfd, const struct manifest_file *f, struct stat *sb);

/* reuse_open without the content: every other check, made on the descriptor returned. The
 * caller compares the content with reuse_same_bytes before reuse_link_verified. */
int reuse_candidate(struct reuse *r, int relfd, const struct manifest_file *f, struct stat *sb);

/* Whether the n bytes at offset `at` of the file open on fd, read now, are buf's. */
bool reuse_same_bytes(struct reuse *r, int fd, uint64_t at, const uint8_t *buf, size_t n);

/* Links f->path of relfd, verified by reuse_open, as `base` in directory pfd: the descriptor
 * verified itself where the kernel allows it (linkat AT_EMPTY_PATH), else by name, checking
 * that the name placed is the inode verified (linkat resolves the name again). Returns the open,
 * verified descriptor (the caller closes it); -1 when nothing was linked (*link_errno: the
 * linkat errno, e.g. EEXIST, EMLINK, EXDEV, ENOSPC, or 0 when the file may not be reused;
 * may be NULL); -2 with err set when a wrong name placed could not be removed. */
int reuse_link(struct reuse *r, int relfd, const struct manifest_file *f, int pfd, const char *base,
               int *link_errno, struct err *err);

/* reuse_link's linking of fd, a candidate (reuse_candidate: *src its status) whose every byte
 * the caller compared (reuse_same_bytes). 0: linked; -1 and -2 as reuse_link. fd stays the
 * caller's to close. */
int reuse_link_verified(struct reuse *r, int fd, const struct stat *src, int relfd,
                        const struct manifest_file *f, int pfd, const char *base, int *link_errno,
                        struct err *err);

#endif
