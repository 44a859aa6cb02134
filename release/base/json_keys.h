/* Duplicate-key detection for JSON documents. json-c keeps only the last of two equal keys,
 * so a strict reader must look at the text itself. */
#ifndef SLIPWAY_JSON_KEYS_H
#define SLIPWAY_JSON_KEYS_H

#include "release/base/error.h"
#include <stddef.h>

/* `json` must already be syntactically valid JSON (checked by json-c). Fails if any object
 * repeats a key, has a key containing a backslash escape (keys must be written plainly, so
 * that equal keys are equal bytes), or has more than `max_keys` keys. */
int json_check_duplicate_keys(const char *json, size_t len, size_t max_keys, struct err *err);

#endif
