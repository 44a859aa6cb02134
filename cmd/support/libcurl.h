/* libcurl, loaded the first time a command fetches (release/base/dynlib.h), never linked: its
 * thirty-odd libraries (TLS, Kerberos, LDAP, IDN, ...) cost every command about 6 ms of
 * start-up and 300 page faults, and only pull and run --follow use it. The one home of that
 * loading; fetch.c is its only user. Headers are the system's <curl/curl.h>
 * (libcurl4-openssl-dev); at run time the ABI 4 library is looked up by soname: libcurl.so.4,
 * else libcurl-gnutls.so.4 (Debian's other flavour of the same ABI). */
#ifndef SLIPWAY_CMD_LIBCURL_H
#define SLIPWAY_CMD_LIBCURL_H

#include "release/base/error.h"

#define CURL_DISABLE_TYPECHECK /* calls go through the pointers below, not the macros */
#include <curl/curl.h>

/* The functions slipway calls, X(name) each (curl_easy_header: libcurl 7.83 or later). */
#define LIBCURL_FUNCTIONS(X)                                                                       \
	X(curl_global_init)                                                                        \
	X(curl_easy_init)                                                                          \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_reset)                                                                         \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_strerror)                                                                      \
	X(curl_easy_header)                                                                        \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

/* One pointer per function, with the header's own type, under the function's own name. */
struct libcurl {
#define LIBCURL_FIELD(name) __typeof__(name) *name;
	LIBCURL_FUNCTIONS(LIBCURL_FIELD)
#undef LIBCURL_FIELD
};

/* The loaded library, loaded and initialised (curl_global_init) once per process, whichever
 * thread asks first; it stays loaded. NULL with err (ERR_SYSTEM) when it is not installed or
 * lacks a function. */
const struct libcurl *libcurl_load(struct err *err);

#endif
