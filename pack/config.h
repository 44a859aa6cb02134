/* slipway.ini: the project's optional config file (format: specs/config.md).
 *
 * config_parse reads untrusted text with libinih. Every error names "<file>:<line>":
 * syntax errors, unknown sections and keys, duplicate keys, bad values. After parsing,
 * detect_defaults (pack/detect.h) fills what the file left out.
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

struct pack_service {
	char *name;          /* [a-z0-9_-]+ */
	char *command;       /* as written; split into argv */
	struct strlist argv; /* at least one word */
	char *cwd;           /* relative to the release root; NULL means "." */
	struct strlist env;  /* KEY=VALUE words */
	int port;            /* 0: none */
	int health_port;     /* services without a port: first SLIPWAY_HEALTH_PORT, 0: none */
	enum manifest_ready ready;
	char *ready_path; /* READY_HTTP only */
	char *ready_log;  /* READY_LOG only: text of the output line that means ready */
	bool ready_set;
	enum manifest_kill kill_mode; /* KILL_DEFAULT unless set */
	uint64_t ready_timeout_ms;
	uint64_t stop_timeout_ms;
	bool detected; /* filled by detect_defaults, not written in the file */
};

struct pack_config {
	char *file;  /* the file read, or NULL when the project has none */
	char *app;   /* NULL until set or detected */
	char *build; /* shell command; NULL: not set; "" : no build */
	struct strlist include;
	bool include_set;
	struct strlist exclude;
	struct strlist secrets_required;
	struct strlist secrets_optional;
	struct pack_service *services;
	size_t n_services;
	bool services_set; /* the file has at least one [service NAME] */
};

#define SERVICE_DEFAULT_STOP_TIMEOUT_MS  30000u
#define SERVICE_DEFAULT_READY_TIMEOUT_MS 60000u

void config_init(struct pack_config *cfg);
void config_release(struct pack_config *cfg);

/* Parses `len` bytes of INI text; `file` names it in error messages. cfg must be freshly
 * initialised. On failure cfg may hold partial results; release it. */
int config_parse(const char *text, size_t len, const char *file, struct pack_config *cfg,
                 struct err *err);

/* Reads PROJECT/slipway.ini when it exists (a missing file is not an error). */
int config_load(int project_fd, const char *display_dir, struct pack_config *cfg, struct err *err);

/* Appends a new service named `name` with defaults (no command). Returns it, or NULL when
 * out of memory or when there are already CONFIG_MAX_SERVICES. */
struct pack_service *config_add_service(struct pack_config *cfg, const char *name);

/* "30s", "30m", "1h", "500ms", "45" (seconds) -> milliseconds. */
int parse_duration_ms(const char *s, uint64_t *ms, struct err *err);

/* The effective config as INI text (what --print-config shows), heap string owned by the
 * caller; NULL when out of memory. */
char *config_to_ini(const struct pack_config *cfg);

#endif
