/* The `slipway pack` pipeline: config -> version -> signing key -> build -> vendor ->
 * collect -> hash -> manifest -> archive -> signature. Contract: specs/cli.md ("pack"),
 * specs/config.md, specs/archive.md.
 *
 * Nothing is left in OUTDIR unless the whole pipeline succeeds: the archive and its
 * signature are written under temporary names and renamed at the very end. Messages for
 * the user (what runs, what was skipped) go through the `say` hook; cmd/ prints them. */
#ifndef SLIPWAY_PACK_PACK_H
#define SLIPWAY_PACK_PACK_H

#include "release/base/error.h"
#include "pack/tarball.h"
#include "pack/config.h"
#include "pack/detect.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct pack_request {
	const char *project_dir; /* NULL: "." */
	const char *outdir;      /* NULL: "." */
	const char *key_opt;     /* -s PATH, or NULL for the environment */
	const char *version;     /* --version, or NULL for git describe */
	bool have_serial;
	uint64_t serial;
	bool no_build, allow_dirty, unsigned_;
	bool allow_no_services; /* else a release that starts nothing is refused */
	enum pack_compress compress;
	uint32_t frame_size; /* zstd frames' grouping target (pack/frames.h); 0: FRAME_TARGET */
	void (*say)(void *ctx, const char *line);
	/* Before each pass over the files ("hashing", "writing"), with the totals to expect. */
	void (*phase)(void *ctx, const char *name, uint64_t files, uint64_t bytes);
	progress_fn progress;
	void *ctx;
};

struct pack_result {
	char archive[PATH_MAX];
	char signature[PATH_MAX]; /* "" when unsigned */
	char app[MANIFEST_MAX_NAME + 1];
	char version[256];
	uint64_t serial;
	char commit[41];
	bool dirty;
	int64_t source_date_epoch;
	uint64_t files, bytes, archive_bytes;
	size_t skipped;
};

/* The effective config (file + detected defaults), as --print-config shows it. */
int pack_effective_config(const char *project_dir, struct pack_config *cfg,
                          struct project_shape *shape, struct err *err);

/* On failure err's kind says whose fault it was: ERR_USAGE for a bad slipway.ini, no key
 * source or no version source; ERR_REFUSED when the project said no (the build failed, a
 * dirty tree, bad content); ERR_SYSTEM for I/O and the like. */
int pack_run(const struct pack_request *rq, struct pack_result *res, struct err *err);

#endif
