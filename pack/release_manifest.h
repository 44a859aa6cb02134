/* The manifest of a release being packed, built from the effective config, the collected
 * and hashed tree, and the version facts. Serialised by release/manifest/manifest.h's
 * manifest_to_json, which also validates it. */
#ifndef SLIPWAY_PACK_RELEASE_MANIFEST_H
#define SLIPWAY_PACK_RELEASE_MANIFEST_H

#include "release/base/error.h"
#include "pack/collect.h"
#include "pack/config.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stdint.h>

struct release_facts {
	const char *app;
	const char *version;
	uint64_t serial;
	const char *commit; /* 40 hex or "" */
	bool dirty;
	int64_t build_time; /* Unix seconds (SOURCE_DATE_EPOCH) */
	/* The manifest's writable_dirs and static_dirs (pack/nextjs.h); each declared when not
	 * empty, else left to format 1's defaults. NULL: none. */
	const struct strlist *writable_dirs;
	const struct strlist *static_dirs;
};

/* A new manifest owned by the caller (manifest_free). */
int release_manifest_build(const struct pack_config *cfg, const struct pack_tree *tree,
                           const struct release_facts *facts, struct manifest **out,
                           struct err *err);

#endif
