/* A shared library loaded at run time (dlopen) with the functions a module calls: for the
 * libraries only some commands need (libcurl for pull, libgit2 for pack), so that the others
 * start without them and what they bring. The one home of that binding; each user keeps a
 * table of typed function pointers (cmd/support/libcurl.h, pack/libgit2.h) filled once, with
 * pthread_once, and never unloaded. */
#ifndef SLIPWAY_DYNLIB_H
#define SLIPWAY_DYNLIB_H

#include "release/base/error.h"

#include <stddef.h>

/* One function to bind: its symbol, and the pointer field that receives it. */
struct dynlib_symbol {
	const char *name;
	void *field; /* a function pointer's address */
	size_t size; /* sizeof that pointer */
};

/* Opens the first of `sonames` (n_sonames of them) that the loader finds (RTLD_NOW,
 * RTLD_LOCAL) and fills every field of syms (n of them). 0, or -1 with a one-line reason in
 * why (`what` names the library in it, with the package that holds it). */
int dynlib_load(const char *what, const char *const *sonames, size_t n_sonames,
                const struct dynlib_symbol *syms, size_t n, char *why, size_t why_cap);

/* After the load: -1 with err (ERR_SYSTEM, why) when why says it failed, else 0. */
int dynlib_failed(const char *why, struct err *err);

#endif
