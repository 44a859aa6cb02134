/* Reading fields of json-c objects: the getters every reader of the store's and the
 * supervisor's own JSON files (meta records, state.json, history, the runtime state file)
 * shares. A field that is absent or of another type reads as "not there". */
#ifndef SLIPWAY_JSON_GET_H
#define SLIPWAY_JSON_GET_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The string at key, borrowed from o; NULL when absent or not a string. */
const char *json_get_str(json_object *o, const char *key);

/* A heap copy of the string at key (the caller frees it); NULL when absent, not a string,
 * or out of memory. */
char *json_get_strdup(json_object *o, const char *key);

/* The string at key into buf (truncated to cap - 1 bytes); "" when absent. */
void json_get_copy(json_object *o, const char *key, char *buf, size_t cap);

/* The integer at key: 0, or -1 when absent, not an integer, or negative. */
int json_get_u64(json_object *o, const char *key, uint64_t *out);

/* The truth of the value at key (json-c's rules); false when absent. */
bool json_get_bool(json_object *o, const char *key);

#endif
