/* What it takes to launch one service of one release: the manifest's service made concrete
 * for a release directory and the store's env file (specs/runtime.md, "Environment").
 *
 * Environment, later entries winning: slipway's own environment minus NOTIFY_SOCKET,
 * WATCHDOG_*, LISTEN_*, HOSTNAME and slipway's key/password variables; the manifest
 * service's env; the store's shared/env; SLIPWAY_RELEASE, SLIPWAY_VERSION, SLIPWAY_SERVICE;
 * and for a service with a port, PORT=<port> and HOSTNAME (shared/env's or the manifest's
 * HOSTNAME, else SVC_DEFAULT_HOST). `${RELEASE}` in argv words and manifest env values becomes the
 * release directory. SLIPWAY_HEALTH_PORT is never inherited: the supervisor sets it per
 * instance (svc_spec_set_env) for a service with a health port. The supervisor adds
 * NEXT_SERVER_ACTIONS_ENCRYPTION_KEY to a Next.js service (svc_spec_add_action_key). */
#ifndef SLIPWAY_RUNTIME_SVCSPEC_H
#define SLIPWAY_RUNTIME_SVCSPEC_H

#include "release/base/error.h"
#include <stdint.h>

#include "release/manifest/manifest.h"
#include "runtime/envfile.h"

#define SVC_DEFAULT_READY_TIMEOUT_MS 30000
#define SVC_DEFAULT_STOP_TIMEOUT_MS  30000
#define SVC_DEFAULT_HOST             "0.0.0.0" /* HOSTNAME of a port service: every interface */

struct svc_spec {
	char *name;
	char **argv; /* NULL-terminated */
	char **envp; /* NULL-terminated "K=V"; holds secrets, wiped by svc_spec_release */
	char *cwd;   /* absolute */
	char *host;  /* HOSTNAME given to a service with a port */
	int port;
	int health_base; /* first port of its health port range, 0: none */
	enum manifest_ready ready;
	char *ready_path;
	char *ready_log;
	enum manifest_kill kill_mode; /* effective: KILL_PROCESS or KILL_GROUP */
	uint64_t ready_timeout_ms;    /* manifest value, or the default when 0 */
	uint64_t stop_timeout_ms;
};

/* Fills *out (owned by the caller, release with svc_spec_release). `base` is the environment
 * to start from (normally environ). Fails on out-of-memory or a cwd that leaves the release. */
int svc_spec_build(const struct manifest_service *ms, const char *release_dir, const char *version,
                   const struct envfile *env, char *const *base, struct svc_spec *out,
                   struct err *err);

void svc_spec_release(struct svc_spec *s);

/* Sets (or replaces) `key` in s->envp. Fails only when out of memory. */
int svc_spec_set_env(struct svc_spec *s, const char *key, const char *value, struct err *err);

/* For a Next.js service (manifest_service_runs_nextjs of `m`), sets NEXT_ACTION_KEY_ENV to
 * `key` (the store's, store_action_key) unless the store's env file `env` (may be NULL)
 * defines that name: the operator's own key wins. Nothing for another service or an empty
 * key. Fails only when out of memory. */
int svc_spec_add_action_key(struct svc_spec *s, const struct manifest *m,
                            const struct manifest_service *ms, const struct envfile *env,
                            const char *key, struct err *err);

/* `s` with every "${RELEASE}" replaced by release_dir; heap string owned by the caller. */
char *svc_expand_release(const char *s, const char *release_dir);

/* The value of `key` in a "K=V" array, or NULL. */
const char *svc_env_get(char *const *envp, const char *key);

#endif
