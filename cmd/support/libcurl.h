/* libcurl, loaded the first time a command fetches (dlopen), never linked: its thirty-odd
 * libraries (TLS, Kerberos, LDAP, IDN, ...) cost every command about 8 ms of start-up and 300
 * page faults, and only pull and run --follow use it. The one home of that loading; fetch.c is
 * its only user. Headers are the system's <curl/curl.h> (libcurl4-openssl-dev); at run time
 * the ABI 4 library is looked up by soname: libcurl.so.4, else libcurl-gnutls.so.4 (Debian's
 * other flavour of the same ABI). */
#ifndef SLIPWAY_CMD_LIBCURL_H
#define SLIPWAY_CMD_LIBCURL_H

#include "release/base/error.h"

#define CURL_DISABLE_TYPECHECK /* calls go through the pointers below, not the macros */
#include <curl/curl.h>

/* The functions fetch.c calls, with libcurl's own signatures. */
struct libcurl {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_reset)(CURL *c);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode code);
	CURLHcode (*easy_header)(CURL *c, const char *name, size_t index, unsigned int origin,
	                         int request, struct curl_header **hout);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/* The loaded library, loaded and initialised (curl_global_init) once per process, whichever
 * thread asks first; it stays loaded. NULL with err (ERR_SYSTEM) when it is not installed or
 * lacks a function (a libcurl older than 7.83, which added curl_easy_header). */
const struct libcurl *libcurl_load(struct err *err);

#endif
