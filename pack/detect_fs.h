/* The project's files as detection reads them (pack/detect.h and its parts): a path below the
 * project (a directory fd) that is a directory or a regular file, and package.json files. */
#ifndef SLIPWAY_PACK_DETECT_FS_H
#define SLIPWAY_PACK_DETECT_FS_H

#include "release/base/error.h"

#include <json-c/json.h>
#include <stdbool.h>

/* Whether `path` below dfd is a directory / a regular file (symlinks followed). */
bool project_is_dir(int dfd, const char *path);
bool project_is_file(int dfd, const char *path);

/* Whether obj has `key`; obj[key] when it is a string, else NULL. */
bool pkg_has_key(json_object *obj, const char *key);
const char *pkg_string_at(json_object *obj, const char *key);

/* Whether a package.json object lists `name` in dependencies or devDependencies. */
bool package_depends_on(json_object *pkg, const char *name);

/* Parses the package.json at `path` (at most PACKAGE_JSON_MAX bytes); *out is a JSON object
 * owned by the caller. */
#define PACKAGE_JSON_MAX (4u << 20)
int package_json_read(int dfd, const char *path, json_object **out, struct err *err);

#endif
