/* Pass one over the release tree: the SHA-256 of every regular file, for the manifest.
 *
 * The manifest is the archive's first entry, so every hash must be known before any file
 * data is written; the archive pass reads the files a second time (from the page cache,
 * usually). Each file's identity (device, inode, size, mtime) is recorded here and checked
 * again by the archive pass, so a file that changes in between fails the pack instead of
 * disagreeing with its manifest entry. */
#ifndef SLIPWAY_PACK_HASH_H
#define SLIPWAY_PACK_HASH_H

#include "release/base/error.h"
#include "pack/collect.h"
#include "pack/strlist.h"

#include <stdint.h>

/* Called now and then from the calling thread with the totals so far. */
typedef void (*progress_fn)(void *ctx, uint64_t files, uint64_t bytes);

/* Hashes every MANIFEST_FILE entry using `threads` threads (>= 1): its `data` when set, else
 * its source. Marks entries whose content starts like a minisign secret key ("untrusted
 * comment: ... secret key") as secret. Fails on any read error or on a file that is not a
 * regular file any more, and (ERR_REFUSED, naming the path, never the value) on an entry whose
 * content contains one of the `forbidden` strings (1 to 256 bytes each; may be NULL): the
 * Next.js Server Actions keys pack/nextkey.h removed, which no other file may carry. */
int pack_tree_hash(struct pack_tree *tree, unsigned threads, const struct strlist *forbidden,
                   progress_fn progress, void *ctx, struct err *err);

/* Opens a tree entry's source for reading and checks it is the file collected and hashed:
 * same device, inode, size and mtime. Returns the fd, or -1 with err set. */
int pack_entry_open_checked(const struct pack_entry *e, struct err *err);

#define READ_CHUNK (1u << 20)

#endif
