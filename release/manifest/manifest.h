/* The release manifest: the JSON document that is the first entry of every release archive
 * (at MANIFEST_NAME) and that names every file of the release with its size, mode and SHA-256.
 * Format: specs/manifest.md. pack/ builds one and serialises it; release/ parses and checks it;
 * runtime/ reads the services from it.
 *
 * Ownership: a struct manifest and everything it points to is heap memory owned by the struct;
 * manifest_free releases it all. Strings are NUL-terminated UTF-8. */
#ifndef SLIPWAY_MANIFEST_H
#define SLIPWAY_MANIFEST_H

#include "release/base/error.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_NAME      "slipway-manifest.json"
#define MANIFEST_FORMAT    1
#define MANIFEST_MAX_BYTES (64u << 20) /* a manifest larger than this is refused */

/* Limits enforced by manifest_parse and manifest_validate (specs/manifest.md). */
#define MANIFEST_MAX_FILES        1000000
#define MANIFEST_MAX_PATH         4096 /* bytes in a path or a symlink target */
#define MANIFEST_MAX_COMPONENT    255  /* bytes in one path component */
#define MANIFEST_MAX_SERVICES     32
#define MANIFEST_MAX_ARGV         256
#define MANIFEST_MAX_ENV          256
#define MANIFEST_MAX_SECRETS      256
#define MANIFEST_MAX_STRING       4096 /* argv words, env values, other free text */
#define MANIFEST_MAX_NAME         128  /* app, version, secret and env names */
#define MANIFEST_MAX_SERVICE_NAME 32
#define MANIFEST_MAX_TIMEOUT_MS   604800000ull       /* 7 days */
#define MANIFEST_MAX_FILE_SIZE    ((1ull << 53) - 1) /* exact in every JSON reader */
#define MANIFEST_MAX_SERIAL       ((1ull << 53) - 1)
#define MANIFEST_MAX_READY_LOG    256 /* bytes of a "log" readiness text */
#define MANIFEST_MAX_DIRS         64  /* entries of "writable_dirs" and of "static_dirs" */

enum manifest_file_type { MANIFEST_FILE, MANIFEST_DIR, MANIFEST_SYMLINK };

struct manifest_file {
	char *path; /* relative, normalised: no leading '/', no '.' or '..' components, no "//" */
	enum manifest_file_type type;
	uint64_t size;      /* regular files only */
	unsigned mode;      /* 0644 or 0755 for files, 0755 for directories, 0777 for symlinks */
	uint8_t sha256[32]; /* regular files only */
	char *target;       /* symlinks only: the link text, which must stay inside the release */
};

struct manifest_env {
	char *key;
	char *value;
};

enum manifest_ready { READY_NONE, READY_TCP, READY_HTTP, READY_LOG };

/* How a stop is signalled (specs/runtime.md "Stop"): KILL_PROCESS sends the one SIGTERM to
 * the main process only (systemd's KillMode=mixed), KILL_GROUP to its whole process group.
 * Either way the group gets SIGKILL at the stop timeout. */
enum manifest_kill { KILL_DEFAULT, KILL_PROCESS, KILL_GROUP };

struct manifest_service {
	char *name;  /* [a-z0-9_-]{1,32}, unique */
	char **argv; /* argc words, NULL-terminated; argv[0] looked up in PATH */
	size_t argc;
	char *cwd; /* relative to the release root; "" or "." is the root */
	struct manifest_env *env;
	size_t n_env;
	int port;        /* 0 when the service has no port */
	int health_port; /* port == 0 only: first port of its per-generation range, 0: none */
	enum manifest_ready ready;
	char *ready_path;             /* READY_HTTP only, starts with '/' */
	char *ready_log;              /* READY_LOG only: a substring of an output line */
	enum manifest_kill kill_mode; /* KILL_DEFAULT: manifest_kill_mode() decides */
	uint64_t ready_timeout_ms;
	uint64_t stop_timeout_ms;
};

struct manifest {
	int format; /* MANIFEST_FORMAT */
	char *app;
	char *version; /* [A-Za-z0-9._+-]+, usable as a directory name */
	uint64_t serial;
	char *commit; /* 40 hex digits, or "" when not built from git */
	bool dirty;
	char *build_time; /* RFC 3339 UTC, e.g. "2026-11-25T06:00:00Z" */
	char *slipway_version;
	char **secrets_required;
	size_t n_secrets_required;
	char **secrets_optional;
	size_t n_secrets_optional;
	struct manifest_service *services;
	size_t n_services;
	struct manifest_file *files; /* sorted by path (bytewise), unique */
	size_t n_files;
	/* The release's layout (specs/manifest.md "Writable and static directories"): the
	 * directories the store creates empty and writable, and those whose files it carries
	 * across releases. Declared by the packer (the *_declared flag set: serialised), or for
	 * a manifest without the key, filled by manifest_parse with format 1's defaults
	 * (manifest_dirs_infer). Either way the store reads only these lists. */
	char **writable_dirs;
	size_t n_writable_dirs;
	bool writable_declared;
	char **static_dirs;
	size_t n_static_dirs;
	bool static_declared;
};

/* A zeroed manifest with format = MANIFEST_FORMAT; NULL when out of memory. */
struct manifest *manifest_new(void);
void manifest_free(struct manifest *m);

/* m->files set to room for n entries and one more, zeroed (bigmem.h: a release's list is
 * often megabytes); m->n_files is left to the caller. -1 when out of memory. The only way
 * m->files is allocated: manifest_free releases it. */
int manifest_alloc_files(struct manifest *m, size_t n);

/* Parses and validates untrusted JSON (exactly `len` bytes). Every field is checked:
 * types, required keys, unknown keys refused, safe names and paths, sorted unique files.
 * On success *out is a new manifest owned by the caller. */
int manifest_parse(const char *json, size_t len, struct manifest **out, struct err *err);

/* manifest_parse with every "files" element read through json-c, even one in the canonical
 * form (which manifest_parse reads directly, ten times faster): the same result, for the
 * tests and the fuzzer that compare the two. */
int manifest_parse_json_c(const char *json, size_t len, struct manifest **out, struct err *err);

/* Checks an in-memory manifest against every rule manifest_parse applies after reading the
 * JSON (names, paths, symlink targets, modes, order, ranges). 0 when valid. */
int manifest_validate(const struct manifest *m, struct err *err);

/* Serialises deterministically (fixed key order, files in order, no timestamps of its own)
 * into a NUL-terminated heap string owned by the caller. Fails if the manifest would not
 * pass manifest_parse. */
int manifest_to_json(const struct manifest *m, char **out, size_t *len, struct err *err);

/* The same bytes written to fd in pieces of about 64 KiB, never held whole (a release of many
 * files has a manifest of megabytes). On failure (the manifest invalid or larger than
 * MANIFEST_MAX_BYTES, a write failing) part of it may have been written. */
int manifest_write_json(const struct manifest *m, int fd, struct err *err);

/* The entry for `path`, or NULL. Binary search: files must be sorted. */
const struct manifest_file *manifest_find_file(const struct manifest *m, const char *path);

/* The service named `name`, or NULL. */
const struct manifest_service *manifest_find_service(const struct manifest *m, const char *name);

/* The effective kill mode of a service: its own, else KILL_GROUP for a service with a port
 * and KILL_PROCESS for one without (workers whose job processes expect the parent alone to
 * get SIGTERM). Never KILL_DEFAULT. */
enum manifest_kill manifest_kill_mode(const struct manifest_service *s);

/* The port readiness probes and SLIPWAY_HEALTH_PORT are about: `port`, else `health_port`
 * (0 when the service has neither). */
int manifest_probe_port(const struct manifest_service *s);

/* Fills the lists a manifest does not declare (writable_dirs, static_dirs) with the defaults
 * of manifests written before the keys existed: `<D>/cache` for every directory D named
 * `.next` holding a regular file `BUILD_ID` (unless the manifest lists that path as
 * something other than a directory), and every directory whose path ends in `.next/static`.
 * Declared lists are left alone. -1 only when out of memory. */
int manifest_dirs_infer(struct manifest *m, struct err *err);

/* The variable Next.js reads its Server Actions key from (specs/runtime.md "Skew
 * protection"): pack strips the build's key from the archive (pack/nextkey.h), the runtime
 * gives the store's (store_action_key). */
#define NEXT_ACTION_KEY_ENV "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY"

/* Whether service `s` runs a Next.js server: the manifest lists a regular file
 * `<cwd>/.next/BUILD_ID` (`.next/BUILD_ID` for a service in the release root), the rule
 * manifest_dirs_infer knows a Next.js build by. */
bool manifest_service_runs_nextjs(const struct manifest *m, const struct manifest_service *s);

/* Whether `path` is one of the manifest's writable (resp. static) directories. */
bool manifest_is_writable_dir(const struct manifest *m, const char *path);
bool manifest_is_static_dir(const struct manifest *m, const char *path);

/* build_time as Unix seconds (a validated manifest's; 0 when it cannot be read). */
int64_t manifest_build_epoch(const struct manifest *m);

#endif
