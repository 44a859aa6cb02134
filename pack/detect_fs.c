#include "pack/detect_fs.h"
#include "release/base/fileio.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool project_is_dir(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

bool project_is_file(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, 0) == 0 && S_ISREG(st.st_mode);
}

bool pkg_has_key(json_object *obj, const char *key)
{
	json_object *v;

	return obj && json_object_is_type(obj, json_type_object) &&
	       json_object_object_get_ex(obj, key, &v);
}

/* obj[key] when it is a string, else NULL. */
const char *pkg_string_at(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool package_depends_on(json_object *pkg, const char *name)
{
	json_object *deps = NULL, *dev = NULL;

	json_object_object_get_ex(pkg, "dependencies", &deps);
	json_object_object_get_ex(pkg, "devDependencies", &dev);
	return pkg_has_key(deps, name) || pkg_has_key(dev, name);
}

/* Parses a package.json at `path`; *out is a JSON object owned by the caller. */
int package_json_read(int dfd, const char *path, json_object **out, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	struct json_tokener *tok;
	json_object *root;

	*out = NULL;
	if (read_file_at(dfd, path, PACKAGE_JSON_MAX, 0, &text, &len, err) < 0)
		return fail_prefix(err, "cannot read %s", path);
	tok = json_tokener_new();
	if (!tok) {
		free(text);
		return fail_oom(err);
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		json_tokener_free(tok);
		free(text);
		return fail(err, "%s: not a JSON object", path);
	}
	json_tokener_free(tok);
	free(text);
	*out = root;
	return 0;
}
