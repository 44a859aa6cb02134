#include "cmd/support/libcurl.h"
#include "release/base/dynlib.h"

#include <pthread.h>
#include <stdio.h>

static struct libcurl api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[320]; /* what went wrong; empty once loaded */

static void load(void)
{
	static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
#define LIBCURL_SYMBOL(name) {#name, &api.name, sizeof(api.name)},
	const struct dynlib_symbol syms[] = {LIBCURL_FUNCTIONS(LIBCURL_SYMBOL)};
#undef LIBCURL_SYMBOL

	if (dynlib_load("libcurl (libcurl.so.4, Debian's package libcurl4)", sonames, 2, syms,
	                sizeof(syms) / sizeof(syms[0]), why, sizeof(why)) < 0)
		return;
	/* Once, before any handle: curl_easy_init would do it too, but not thread-safely. */
	if (api.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(why, sizeof(why), "libcurl does not initialise (curl_global_init failed)");
}

const struct libcurl *libcurl_load(struct err *err)
{
	pthread_once(&once, load);
	return dynlib_failed(why, err) < 0 ? NULL : &api;
}
