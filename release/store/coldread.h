/* Reading ahead the installed files a delta install will link, when they are not in memory
 * (specs/store.md "Delta install", "Cold sources"). Every file linked is read first (compared or
 * hashed: reuse.h), one after the other by each worker; days after the last install, those
 * reads wait on the disk one at a time. When a sample of the files to link shows them mostly
 * out of the page cache (mincore of their first page), a thread opens
 * them ahead of the workers, in the manifest's order, and asks the kernel to read them
 * (readahead), at most `lead` bytes of files beyond what the workers have placed. What it reads
 * is only brought into memory: the workers' checks decide, as without it. */
#ifndef SLIPWAY_COLDREAD_H
#define SLIPWAY_COLDREAD_H

#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLDREAD_LEAD (64u << 20) /* bytes of files read ahead of the workers */

/* Whether the workers will read f from an installed release (delta_probe). */
typedef bool (*coldread_wanted_fn)(void *ctx, const struct manifest_file *f);

struct coldread;

/* Samples the files of m that `wanted` names, each opened in the first of the n_dirs release
 * directories that holds it (open_regular_beneath); when at least a quarter of those sampled
 * are not in the page cache, starts the thread and returns it. NULL when they are (or nothing
 * was sampled, the kernel cannot tell, or no thread could start): nothing to do. m, dirs and
 * ctx must outlive it. */
struct coldread *coldread_start(const int *dirs, size_t n_dirs, const struct manifest *m,
                                coldread_wanted_fn wanted, void *ctx, uint64_t lead);

/* The workers have placed every file before m->files[i]: the thread may read up to `lead`
 * bytes of files beyond. Called from any thread; NULL is fine. */
void coldread_reached(struct coldread *c, size_t i);

/* Where the thread stands: the index of the file it waits to read (it is `lead` ahead of the
 * workers), m->n_files once it has read them all, or SIZE_MAX while it is reading. */
size_t coldread_waiting_at(struct coldread *c);

/* Stops the thread (it reads nothing more), waits for it and frees it. NULL is fine. */
void coldread_stop(struct coldread *c);

#endif
