/* Files in OUTDIR appear complete or not at all: each is written under a temporary name
 * (".<name>.tmp-XXXXXX", mode 0644 whatever the umask) in OUTDIR and renamed into place
 * once complete and fsynced. While a temporary file exists, SIGINT, SIGTERM and SIGHUP
 * remove it before the process dies of the signal (a handler installed by the first
 * output_open; signals that were ignored stay ignored). */
#ifndef SLIPWAY_PACK_OUTPUT_H
#define SLIPWAY_PACK_OUTPUT_H

#include "release/base/error.h"
#include <limits.h>

struct output {
	int fd;              /* the temporary file, open for writing; -1 when closed */
	char tmp[PATH_MAX];  /* its path */
	char path[PATH_MAX]; /* the final path */
};

/* Creates the temporary file for OUTDIR/name. */
int output_open(struct output *o, const char *outdir, const char *name, struct err *err);

/* fsync, close, rename to the final name, fsync OUTDIR. */
int output_commit(struct output *o, struct err *err);

/* Closes and removes the temporary file (safe to call after a failed or no open). */
void output_abort(struct output *o);

#endif
