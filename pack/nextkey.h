/* The Next.js Server Actions encryption key never goes into an archive (specs/archive.md
 * "What goes in"; why: specs/runtime.md "Skew protection").
 *
 * Without NEXT_SERVER_ACTIONS_ENCRYPTION_KEY at build time, `next build` generates a random
 * AES key and writes it, base64, into .next/server/server-reference-manifest.json (member
 * "encryptionKey") and, for edge functions, into .next/server/middleware-manifest.json (an env
 * member NEXT_SERVER_ACTIONS_ENCRYPTION_KEY). At run time Next reads the variable first and
 * the manifest's value only without it, so the host gives the key (one per store,
 * store_action_key) and the archive need not carry the build's.
 *
 * The rewrite happens in the release tree, in memory: the project's files are never changed.
 * A member whose value is a key (canonical base64 of 16, 24 or 32 bytes) is removed with one
 * adjacent comma, in plain JSON and in JSON embedded as a JS string (`\"name\":\"value\"`,
 * server-reference-manifest.js); any other value (the .js variant's placeholder
 * "process.env.NEXT_SERVER_ACTIONS_ENCRYPTION_KEY") stays. Nothing else changes, so the same
 * input gives the same bytes. */
#ifndef SLIPWAY_PACK_NEXTKEY_H
#define SLIPWAY_PACK_NEXTKEY_H

#include "pack/collect.h"
#include "pack/strlist.h"
#include "release/base/error.h"

#include <stdbool.h>
#include <stddef.h>

/* The largest manifest rewritten; a larger one fails the pack (it is read into memory). */
#define NEXTKEY_MAX_BYTES (64u << 20)

/* Whether an archive path is one of the files Next writes the key into: a name above
 * directly under a `.next/server` directory. */
bool nextkey_carrier(const char *path);

/* Removes every key-valued member named "encryptionKey" or NEXT_SERVER_ACTIONS_ENCRYPTION_KEY
 * from text[0..n). Returns how many were removed (0: *out stays NULL); then *out is the new
 * text (heap, NUL-terminated, owned by the caller) of *out_n bytes, and each distinct value
 * removed was pushed to `keys` (may be NULL). -1 only when out of memory. */
int nextkey_strip_text(const char *text, size_t n, char **out, size_t *out_n, struct strlist *keys);

/* For every regular file of the tree that nextkey_carrier names: reads it, and when it
 * carries a key, gives the entry the rewritten content (pack_entry.data, size) in place of
 * its source. Pushes each path rewritten to `paths` and each key value to `keys` (the
 * caller's, both filled even on failure). Fails on a read error or a carrier larger than
 * NEXTKEY_MAX_BYTES. Call before pack_tree_hash. */
int nextkey_strip_tree(struct pack_tree *tree, struct strlist *paths, struct strlist *keys,
                       struct err *err);

#endif
