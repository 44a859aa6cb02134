/* libgit2, loaded the first time pack reads a repository (dlopen), never linked: with the
 * fourteen libraries it brings (mbed TLS, SSH, Kerberos, PCRE) it cost every command, the
 * host's install among them, about 4 ms of start-up, and only pack (version, provenance,
 * rebuild's checkout) uses it. The one home of that loading. At run time the library is the
 * one the build used, by its soname: libgit2.so.LIBGIT2_SOVERSION (Debian 12: libgit2.so.1.5,
 * package libgit2-1.5). */
#ifndef SLIPWAY_PACK_LIBGIT2_H
#define SLIPWAY_PACK_LIBGIT2_H

#include "release/base/error.h"

#include <git2.h>

/* The functions pack calls, X(name) each. */
#define LIBGIT2_FUNCTIONS(X)                                                                       \
	X(git_buf_dispose)                                                                         \
	X(git_buf_set)                                                                             \
	X(git_checkout_options_init)                                                               \
	X(git_checkout_tree)                                                                       \
	X(git_clone)                                                                               \
	X(git_clone_options_init)                                                                  \
	X(git_commit_time)                                                                         \
	X(git_config_free)                                                                         \
	X(git_config_get_string)                                                                   \
	X(git_describe_commit)                                                                     \
	X(git_describe_format)                                                                     \
	X(git_describe_format_options_init)                                                        \
	X(git_describe_options_init)                                                               \
	X(git_describe_result_free)                                                                \
	X(git_error_clear)                                                                         \
	X(git_error_last)                                                                          \
	X(git_libgit2_init)                                                                        \
	X(git_libgit2_shutdown)                                                                    \
	X(git_object_free)                                                                         \
	X(git_object_id)                                                                           \
	X(git_object_lookup)                                                                       \
	X(git_object_peel)                                                                         \
	X(git_object_short_id)                                                                     \
	X(git_object_type)                                                                         \
	X(git_oid_equal)                                                                           \
	X(git_oid_fromstr)                                                                         \
	X(git_oid_tostr)                                                                           \
	X(git_reference_free)                                                                      \
	X(git_reference_name)                                                                      \
	X(git_repository_config_snapshot)                                                          \
	X(git_repository_free)                                                                     \
	X(git_repository_head)                                                                     \
	X(git_repository_head_detached)                                                            \
	X(git_repository_is_bare)                                                                  \
	X(git_repository_is_shallow)                                                               \
	X(git_repository_open_ext)                                                                 \
	X(git_repository_set_head_detached)                                                        \
	X(git_revparse_single)                                                                     \
	X(git_status_byindex)                                                                      \
	X(git_status_list_entrycount)                                                              \
	X(git_status_list_free)                                                                    \
	X(git_status_list_new)                                                                     \
	X(git_status_options_init)                                                                 \
	X(git_tag_foreach)

/* One pointer per function, with the header's own type, under the function's own name. */
struct libgit2 {
#define LIBGIT2_FIELD(name) __typeof__(name) *name;
	LIBGIT2_FUNCTIONS(LIBGIT2_FIELD)
#undef LIBGIT2_FIELD
};

/* The loaded library, loaded once per process, whichever thread asks first; it stays loaded.
 * NULL with err (ERR_SYSTEM) when it is not installed or lacks a function. Callers still
 * pair git_libgit2_init and git_libgit2_shutdown around their use. */
const struct libgit2 *libgit2_load(struct err *err);

#endif
