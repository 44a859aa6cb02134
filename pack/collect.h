/* The release tree: which project files go into the archive, under which names.
 *
 * collect_tree walks each root (a source path and the archive path it lands at), applies
 * the never-pack rules and the config's exclude patterns, and returns the entries sorted
 * bytewise by archive path, each directory before its contents, with every ancestor
 * directory present. Rules: specs/archive.md, "What goes in".
 *
 * Never packed, whatever the config says (each skip is reported in tree->skipped):
 *   any path component ".git"; a name starting with ".env"; names ending in ".pem" or
 *   ".key"; a "cache" directory directly under ".next"; the signing key file itself (same
 *   device and inode) and any file whose content is a minisign secret key (pack/hash.c). */
#ifndef SLIPWAY_PACK_COLLECT_H
#define SLIPWAY_PACK_COLLECT_H

#include "release/base/error.h"
#include "pack/strlist.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pack_entry {
	char *path; /* archive path (relative, normalised) */
	char *src;  /* absolute source path; NULL for implied ancestor directories */
	enum manifest_file_type type;
	unsigned mode; /* 0644 / 0755 files, 0755 dirs, 0777 symlinks */
	uint64_t size; /* files */
	char *target;  /* symlinks */
	uint8_t sha256[32];
	/* identity at collect time, re-checked when the data is read */
	dev_t dev;
	ino_t ino;
	int64_t mtime_sec;
	long mtime_nsec;
	bool secret; /* set by the hash pass: looks like a secret key; dropped */
	/* The entry's content when it is not the source's (a rewritten file, pack/nextkey.h):
	 * `size` bytes, heap, owned by the tree. NULL: read from src. */
	char *data;
	unsigned root; /* index of the root it came from: the earlier root wins duplicates */
};

struct pack_tree {
	struct pack_entry *v;
	size_t n, cap;
	struct strlist skipped; /* "PATH (reason)" for every never-pack skip */
	struct strlist notes;   /* other things worth saying (duplicates dropped, ...) */
};

struct collect_root {
	const char *src;  /* absolute */
	const char *rel;  /* the source as the user knows it, e.g. ".next/static" */
	const char *dest; /* archive path it lands at */
};

struct collect_opts {
	const struct collect_root *roots;
	size_t n_roots;
	const struct strlist *exclude; /* config patterns, may be NULL */
	bool have_key;                 /* the signing key's identity, to never pack it */
	dev_t key_dev;
	ino_t key_ino;
	/* Entries at or under `reserved` come only from root `reserved_root` (the vendored
	 * Python dependencies); others landing there are left out with a note. */
	const char *reserved;
	unsigned reserved_root;
	const char *reserved_why;
};

/* Fills tree (zeroed by the caller). Fails on a missing root, an unreadable directory, a
 * symlink pointing outside the release, two entries of different types at one path, or
 * a project file named like the manifest. */
int collect_tree(const struct collect_opts *opts, struct pack_tree *tree, struct err *err);

/* Removes the entries marked secret (recording them in skipped). */
int pack_tree_drop_secrets(struct pack_tree *tree, struct err *err);

void pack_tree_release(struct pack_tree *tree);

/* The never-pack reason for a relative path, or NULL when it may be packed. */
const char *collect_never_pack_reason(const char *path);

/* 1 when a config exclude pattern matches path: fnmatch on the whole path, or on the
 * last component for patterns without '/'. */
int collect_exclude_matches(const char *pattern, const char *path);

#endif
