#include "pack/libgit2.h"
#include "release/base/dynlib.h"

#include <pthread.h>

static struct libgit2 api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[320]; /* what went wrong; empty once loaded */

static void load(void)
{
	static const char *const soname[] = {"libgit2.so." LIBGIT2_SOVERSION};
#define LIBGIT2_SYMBOL(name) {#name, &api.name, sizeof(api.name)},
	const struct dynlib_symbol syms[] = {LIBGIT2_FUNCTIONS(LIBGIT2_SYMBOL)};
#undef LIBGIT2_SYMBOL

	dynlib_load("libgit2 (libgit2.so." LIBGIT2_SOVERSION
	            ", Debian's package libgit2-" LIBGIT2_SOVERSION ")",
	            soname, 1, syms, sizeof(syms) / sizeof(syms[0]), why, sizeof(why));
}

const struct libgit2 *libgit2_load(struct err *err)
{
	pthread_once(&once, load);
	return dynlib_failed(why, err) < 0 ? NULL : &api;
}
