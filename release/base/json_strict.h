/* Reading a JSON document strictly: the one reader for formats another implementation must
 * read the same way (OCI documents, the keyring and other signed documents of
 * specs/trust.md). json-c parses; this adds what json-c lets through: a repeated key (json-c
 * keeps the last, another reader the first), a key written with an escape, a control byte
 * inside a string, data after the document, a NUL byte, invalid UTF-8, more than
 * JSON_DEPTH levels or JSON_MAX_KEYS keys in one object. */
#ifndef SLIPWAY_JSON_STRICT_H
#define SLIPWAY_JSON_STRICT_H

#include "release/base/error.h"

#include <json-c/json.h>
#include <stddef.h>

#define JSON_DEPTH    64
#define JSON_MAX_KEYS 65536

/* Parses `len` bytes of `text` as one JSON object; `what` names the document in errors
 * ("what: duplicate key \"x\"", "what: invalid JSON at byte 17: ..."). Every failure is
 * ERR_REFUSED except out of memory. *obj is owned by the caller (json_object_put). */
int json_strict_parse(const char *text, size_t len, const char *what, json_object **obj,
                      struct err *err);

/* The rule of a format with a closed set of fields, for its reader to word the error: the
 * first key of object o that is not one of names[0..n), or NULL when there is none; then
 * *required_seen counts how many of names[0..required) o has (each key once: the parser
 * refused duplicates). */
const char *json_unknown_field(json_object *o, const char *const *names, size_t n, size_t required,
                               size_t *required_seen);

#endif
