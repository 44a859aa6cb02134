#include "pack/libgit2.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SONAME "libgit2.so." LIBGIT2_SOVERSION

static struct libgit2 api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[320]; /* what went wrong; empty once loaded */

/* dlsym's void * converted to a function pointer (POSIX guarantees it round-trips). */
static bool bind_symbol(void *h, const char *symbol, void *field, size_t size)
{
	void *f = dlsym(h, symbol);

	if (!f) {
		snprintf(why, sizeof(why), SONAME " lacks %s", symbol);
		return false;
	}
	memcpy(field, &f, size);
	return true;
}

static void load(void)
{
	void *h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, sizeof(why), "cannot load libgit2 (" SONAME "): %s", dlerror());
		return;
	}
#define LIBGIT2_BIND(name)                                                                         \
	if (!bind_symbol(h, #name, &api.name, sizeof(api.name)))                                   \
		return;
	LIBGIT2_FUNCTIONS(LIBGIT2_BIND)
#undef LIBGIT2_BIND
}

const struct libgit2 *libgit2_load(struct err *err)
{
	pthread_once(&once, load);
	if (why[0]) {
		fail_kind(err, ERR_SYSTEM, "%s", why);
		return NULL;
	}
	return &api;
}
