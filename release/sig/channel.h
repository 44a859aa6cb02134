/* The release channel's index (specs/channel.md "The channel"): the payload of one signed
 * envelope (envelope.h) of type CHANNEL_TYPE naming the latest release of an app, its digests
 * and the index's own serial and expiry.
 *
 * The payload is canonical JSON (specs/trust.md "Canonical JSON"); channel_parse accepts
 * exactly the bytes channel_payload writes. Strings are limited to a safe alphabet so that
 * the canonical form needs no escape. The index is trusted when one release key of the
 * host's keyring signed it (the same trust as an archive's signature).
 * Errors follow release/base/error.h; every verdict on the input is ERR_REFUSED. */
#ifndef SLIPWAY_CHANNEL_H
#define SLIPWAY_CHANNEL_H

#include "release/base/error.h"
#include "release/sig/envelope.h"
#include "release/sig/keyring.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CHANNEL_TYPE      "application/vnd.slipway.channel+json"
#define CHANNEL_INDEX     "index.json"
#define CHANNEL_INDEX_MAX 65536 /* bytes of index.json, checked before allocation */
#define CHANNEL_NAME_MAX  128   /* app, version and archive name */
#define CHANNEL_FILE_MAX  255   /* a patch set's file name (longer: it names two versions) */
#define CHANNEL_OLDER_MAX 7     /* latest.older_patches: with latest.patches, 8 releases */

/* A patch set published beside the archive (specs/channel.md "Patch sets"): the files of the
 * latest release a host holding release `from` lacks. */
struct channel_patches {
	char from[CHANNEL_NAME_MAX + 1]; /* the version it is made against */
	char file[CHANNEL_FILE_MAX + 1]; /* one path component, relative to the index */
	uint64_t size;
	char sha256[65]; /* of the whole file, lowercase hex */
};

struct channel_latest {
	char version[CHANNEL_NAME_MAX + 1];
	uint64_t serial;
	char archive[CHANNEL_NAME_MAX + 1]; /* one path component, relative to the index */
	uint64_t size;
	char sha256[65];          /* of the whole archive, lowercase hex */
	char manifest_sha256[65]; /* of the manifest entry's data */
	uint64_t seek_table_size;
	bool has_patches; /* the optional latest.patches object: against the newest base */
	struct channel_patches patches;
	/* The optional latest.older_patches array (1..CHANNEL_OLDER_MAX entries when present):
	 * patch sets against releases published before, newest first. Every `from` differs from
	 * the others, from patches.from and from version; every file from the others'. */
	size_t n_older;
	struct channel_patches older[CHANNEL_OLDER_MAX];
};

struct channel_index {
	char app[CHANNEL_NAME_MAX + 1];
	uint64_t serial;
	time_t expires; /* Unix seconds, written as RFC 3339 UTC */
	struct channel_latest latest;
};

/* The patch sets of l in the index's order, newest base first: latest.patches (when l has
 * it), then latest.older_patches. channel_patch_set(l, i) for i < channel_patch_sets(l). */
size_t channel_patch_sets(const struct channel_latest *l);
const struct channel_patches *channel_patch_set(const struct channel_latest *l, size_t i);

/* The patch set of l made against release `from`; NULL when l names none. */
const struct channel_patches *channel_patches_from(const struct channel_latest *l,
                                                   const char *from);

/* Checks the fields (alphabet, bounds, hex digests) and writes the canonical payload (heap,
 * owned by the caller, no trailing newline). */
int channel_payload(const struct channel_index *ci, char **out, size_t *len, struct err *err);

/* Parses a payload strictly: exactly the fields, each of its type and bounds, and the bytes
 * equal to channel_payload's. */
int channel_parse(const uint8_t *payload, size_t len, struct channel_index *ci, struct err *err);

/* The index as a host judges it: `text` (len bytes, one envelope line, "\n" optional) parsed,
 * of type CHANNEL_TYPE, signed by at least one release key of `kr`, its payload parsed, and
 * not expired at `now`. */
int channel_verify(const char *text, size_t len, const struct keyring *kr, time_t now,
                   struct channel_index *ci, struct err *err);

#endif
