#include "cmd/support/libcurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static struct libcurl api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[320]; /* what went wrong; empty once loaded */

/* dlsym's void * converted to a function pointer (POSIX guarantees it round-trips). */
static bool bind_symbol(void *h, const char *symbol, void *field, size_t size)
{
	void *f = dlsym(h, symbol);

	if (!f) {
		snprintf(why, sizeof(why), "libcurl lacks %s (7.83 or newer is needed)", symbol);
		return false;
	}
	memcpy(field, &f, size);
	return true;
}

#define BIND(h, field, symbol) bind_symbol(h, symbol, &api.field, sizeof(api.field))

static void load(void)
{
	static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
	CURLcode (*global_init)(long flags) = NULL;
	void *h = NULL;

	for (size_t i = 0; i < sizeof(sonames) / sizeof(sonames[0]) && !h; i++)
		h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof(why),
		         "cannot load libcurl (libcurl.so.4, Debian's package libcurl4): %s",
		         dlerror());
		return;
	}
	if (!BIND(h, easy_init, "curl_easy_init") || !BIND(h, easy_setopt, "curl_easy_setopt") ||
	    !BIND(h, easy_perform, "curl_easy_perform") ||
	    !BIND(h, easy_getinfo, "curl_easy_getinfo") ||
	    !BIND(h, easy_reset, "curl_easy_reset") ||
	    !BIND(h, easy_cleanup, "curl_easy_cleanup") ||
	    !BIND(h, easy_strerror, "curl_easy_strerror") ||
	    !BIND(h, easy_header, "curl_easy_header") ||
	    !BIND(h, slist_append, "curl_slist_append") ||
	    !BIND(h, slist_free_all, "curl_slist_free_all") ||
	    !bind_symbol(h, "curl_global_init", &global_init, sizeof(global_init)))
		return;
	/* Once, before any handle: curl_easy_init would do it too, but not thread-safely. */
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(why, sizeof(why), "libcurl does not initialise (curl_global_init failed)");
}

const struct libcurl *libcurl_load(struct err *err)
{
	pthread_once(&once, load);
	if (why[0]) {
		fail_kind(err, ERR_SYSTEM, "%s", why);
		return NULL;
	}
	return &api;
}
