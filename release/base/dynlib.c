#include "release/base/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int dynlib_load(const char *what, const char *const *sonames, size_t n_sonames,
                const struct dynlib_symbol *syms, size_t n, char *why, size_t why_cap)
{
	void *h = NULL;

	for (size_t i = 0; i < n_sonames && !h; i++)
		h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, why_cap, "cannot load %s: %s", what, dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);

		if (!f) {
			snprintf(why, why_cap, "%s lacks %s", what, syms[i].name);
			return -1;
		}
		/* dlsym's void * as a function pointer: POSIX guarantees it round-trips. */
		memcpy(syms[i].field, &f, syms[i].size);
	}
	return 0;
}

int dynlib_failed(const char *why, struct err *err)
{
	return why[0] ? fail_kind(err, ERR_SYSTEM, "%s", why) : 0;
}
