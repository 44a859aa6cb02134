/* slipway.ini: the project's optional config file (format: specs/config.md).
 *
 * config_parse reads untrusted text with libinih. Every error names "<file>:<line>":
 * syntax errors, unknown sections and keys, duplicate keys, bad values. After parsing,
 * detect_defaults (pack/detect.h) fills what the file left out and calls config_finish.
 * Names follow the manifest's rules (release/manifest/manifest_check.h).
 *
 * Ownership: a struct pack_config owns all its strings; config_release frees them. */
#ifndef SLIPWAY_PACK_CONFIG_H
#define SLIPWAY_PACK_CONFIG_H

#include "release/base/error.h"
#include "pack/strlist.h"
#include "release/manifest/manifest.h"

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_NAME         "slipway.ini"
#define CONFIG_MAX_BYTES    (1u << 20)
#define CONFIG_MAX_SERVICES 32

/* The keys of a [service NAME] section, as bits of pack_service.set. */
enum service_key {
	SVC_COMMAND = 1 << 0,
	SVC_CWD = 1 << 1,
	SVC_ENV = 1 << 2,
	SVC_PORT = 1 << 3,
	SVC_READY = 1 << 4,
	SVC_READY_TIMEOUT = 1 << 5,
	SVC_STOP_TIMEOUT = 1 << 6,
	SVC_ENABLED = 1 << 7,
	SVC_HEALTH_PORT = 1 << 8,
	SVC_KILL_MODE = 1 << 9,
};

struct pack_service {
	char *name;          /* [a-z0-9_-]{1,32} (service_name_check) */
	char *command;       /* as written; split into argv */
	struct strlist argv; /* at least one word */
	char *cwd;           /* relative to the release root; NULL means "." */
	struct strlist env;  /* KEY=VALUE words, one per KEY */
	int port;            /* 0: none */
	int health_port;     /* services without a port: first SLIPWAY_HEALTH_PORT, 0: none */
	enum manifest_ready ready;
	char *ready_path;             /* READY_HTTP only */
	char *ready_log;              /* READY_LOG only: text of the output line that means ready */
	enum manifest_kill kill_mode; /* KILL_DEFAULT unless set */
	uint64_t ready_timeout_ms;
	uint64_t stop_timeout_ms;
	bool enabled;   /* `enabled = no` drops a detected service */
	unsigned set;   /* enum service_key: the keys slipway.ini sets */
	char *detected; /* why detection found it (pack/detect.c), or NULL: only in the file */
};

/* Where the app name came from, for --print-config and pack's messages. */
enum app_origin {
	APP_FROM_FILE,          /* [app] name */
	APP_FROM_PACKAGE_JSON,  /* "name" in package.json, scope dropped */
	APP_FROM_PACKAGE_FIXED, /* package.json's "name" (app_raw), made valid */
	APP_FROM_DIRECTORY,     /* package.json has no "name": the directory name (app_raw) */
};

struct pack_config {
	char *file; /* the file read, or NULL when the project has none */
	char *app;  /* NULL until set or detected */
	enum app_origin app_origin;
	char *app_raw; /* APP_FROM_PACKAGE_FIXED, APP_FROM_DIRECTORY: what it was made from */
	char *build;   /* shell command; NULL: not set; "" : no build */
	struct strlist include;
	bool include_set;
	struct strlist exclude;
	bool exclude_set; /* slipway.ini sets exclude (even empty): nothing is added to it */
	struct strlist secrets_required;
	struct strlist secrets_optional;
	struct pack_service *services;
	size_t n_services;
	struct strlist notes; /* what detection wants said: pack prints them, --print-config too */
	struct strlist blockers; /* what detection found that no build can fix: pack refuses
	                          * before building, --print-config shows them */
	struct strlist disabled; /* detected services that `enabled = no` dropped */
};

#define SERVICE_DEFAULT_STOP_TIMEOUT_MS  30000u   /* a service with a port */
#define SERVICE_WORKER_STOP_TIMEOUT_MS   1800000u /* without: a worker drains on SIGTERM */
#define SERVICE_DEFAULT_READY_TIMEOUT_MS 60000u

void config_init(struct pack_config *cfg);
void config_release(struct pack_config *cfg);

/* Parses `len` bytes of INI text; `file` names it in error messages. cfg must be freshly
 * initialised. On failure cfg may hold partial results; release it. */
int config_parse(const char *text, size_t len, const char *file, struct pack_config *cfg,
                 struct err *err);

/* Reads PROJECT/slipway.ini when it exists (a missing file is not an error). */
int config_load(int project_fd, const char *display_dir, struct pack_config *cfg, struct err *err);

/* Appends a new service named `name`, enabled, with nothing set (no command, timeouts 0
 * until config_finish). Returns it, or NULL when out of memory or when there are already
 * CONFIG_MAX_SERVICES. */
struct pack_service *config_add_service(struct pack_config *cfg, const char *name);

/* Frees services[i] and closes the gap. */
void config_remove_service(struct pack_config *cfg, size_t i);

/* Merges a detected service into cfg (specs/config.md, "Defaults"): when cfg has a service of
 * the same name (a [service NAME] section), every key the section leaves out comes from
 * `det`, and env is merged variable by variable (the section wins); otherwise a copy of
 * `det` is appended. Marks the result detected. */
int config_merge_service(struct pack_config *cfg, const struct pack_service *det, struct err *err);

/* After detection: drops disabled services, refuses a service without a command or with
 * ready = tcp but no port, and a disabled one that nothing detected; fills what neither the
 * file nor detection set: ready `http /` with a port, else none; stop_timeout 30s with a
 * port, else SERVICE_WORKER_STOP_TIMEOUT_MS; ready_timeout 60s. Errors name the file. */
int config_finish(struct pack_config *cfg, struct err *err);

/* "30s", "30m", "1h", "500ms", "45" (seconds) -> milliseconds. */
int config_parse_duration_ms(const char *s, uint64_t *ms, struct err *err);

/* The effective config as INI text (what --print-config shows), heap string owned by the
 * caller; NULL when out of memory. */
char *config_to_ini(const struct pack_config *cfg);

#endif
