/* Per-release records (ROOT/meta/<version>.json) and the store state (ROOT/state.json):
 * formats in specs/store.md. Both are written atomically (write_file_atomic) and read with
 * json-c; a record or state that does not parse is an error, never silently defaulted. */
#ifndef SLIPWAY_STORE_META_H
#define SLIPWAY_STORE_META_H

#include "release/base/error.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <stdint.h>

struct release_record {
	char *version;
	char *app;
	uint64_t serial;
	char *commit;       /* "" when not built from git */
	char *archive_hash; /* 128 hex digits: BLAKE2b-512 of the archive file as installed */
	char *installed_at; /* RFC 3339 UTC */
	bool downgrade;     /* installed with --allow-downgrade below the high-water mark */
	bool bad;
	char *bad_reason; /* "" unless bad */
};

struct store_state {
	char *app;            /* "" until the first install */
	bool has_high;        /* false until the first install */
	uint64_t high_serial; /* highest serial ever installed */
	char *high_hash;      /* archive BLAKE2b-512 (hex) of that install ("" when none) */
	char *high_version;   /* its version ("" when none) */
};

/* Heap strings in *out, owned by the caller; release with store_record_release. ENOENT gives
 * "<version> is not installed". */
int store_record_read(struct store *st, const char *version, struct release_record *out,
                      struct err *err);
int store_record_write(struct store *st, const struct release_record *r, struct err *err);
void store_record_release(struct release_record *r);

int store_state_read(struct store *st, struct store_state *out, struct err *err);
int store_state_write(struct store *st, const struct store_state *s, struct err *err);
void store_state_release(struct store_state *s);

#endif
