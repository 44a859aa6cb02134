/* detect_workspace_apps (pack/detect.h): the apps of a workspace root. */
#include "pack/detect.h"
#include "pack/detect_fs.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A member directory of the workspace that is an app slipway runs. */
static bool workspace_app(int dfd, const char *dir)
{
	char path[PATH_MAX];
	struct err err;
	json_object *pkg = NULL;
	bool yes;

	snprintf(path, sizeof(path), "%s/" AGENT_DIR "/package.json", dir);
	if (project_is_file(dfd, path))
		return true;
	snprintf(path, sizeof(path), "%s/package.json", dir);
	if (!project_is_file(dfd, path) || package_json_read(dfd, path, &pkg, &err) < 0)
		return false;
	yes = package_depends_on(pkg, "next");
	json_object_put(pkg);
	return yes;
}

/* The members a pattern names ("apps/web", or "apps/" then a star), relative to the project (dfd).
 */
static int add_members(int dfd, const char *pattern, struct strlist *apps, struct err *err)
{
	char dir[PATH_MAX], *star;
	struct dirent *de;
	DIR *d;
	int fd;

	if (!*pattern || pattern[0] == '!' || pattern[0] == '/' || strstr(pattern, ".."))
		return 0;
	snprintf(dir, sizeof(dir), "%s", pattern);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	star = strchr(dir, '*');
	if (!star) {
		if (workspace_app(dfd, dir) && !strlist_has(apps, dir) &&
		    strlist_push(apps, dir) < 0)
			return fail_oom(err);
		return 0;
	}
	/* One level below a directory ("apps/" then one or two stars): the common shapes. */
	if (star == dir || star[-1] != '/')
		return 0;
	star[-1] = '\0';
	fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		char member[PATH_MAX];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "node_modules"))
			continue;
		snprintf(member, sizeof(member), "%s/%s", dir, de->d_name);
		if (project_is_dir(dfd, member) && workspace_app(dfd, member) &&
		    !strlist_has(apps, member) && strlist_push(apps, member) < 0) {
			closedir(d);
			return fail_oom(err);
		}
	}
	closedir(d);
	return 0;
}

/* pnpm-workspace.yaml's "packages:" list: its lines "  - PATTERN" under it. */
static int pnpm_members(int dfd, struct strlist *apps, struct err *err)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	bool in_packages = false;
	int rc = 0;

	if (read_file_at(dfd, "pnpm-workspace.yaml", 1u << 20, 0, &text, &len, err) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = line + strspn(line, " \t"), *end;

		if (line[0] != ' ' && line[0] != '\t' && line[0] != '-') {
			in_packages = !strncmp(line, "packages:", 9);
			continue;
		}
		if (!in_packages || *v != '-')
			continue;
		v += 1 + strspn(v + 1, " \t");
		if (*v == '\'' || *v == '"') {
			end = strchr(v + 1, *v);
			v++;
		} else {
			end = v + strcspn(v, " \t#");
		}
		if (!end)
			continue;
		*end = '\0';
		rc = add_members(dfd, v, apps, err);
	}
	free(text);
	return rc;
}

int detect_workspace_apps(int dfd, struct strlist *apps, struct err *err)
{
	json_object *pkg = NULL, *ws = NULL, *list = NULL;
	int rc = 0;

	if (project_is_file(dfd, "pnpm-workspace.yaml") && pnpm_members(dfd, apps, err) < 0)
		return -1;
	if (project_is_file(dfd, "package.json") &&
	    package_json_read(dfd, "package.json", &pkg, err) == 0) {
		/* npm and yarn: "workspaces": [...], or yarn's {"packages": [...]}. */
		if (json_object_object_get_ex(pkg, "workspaces", &ws))
			list =
			    json_object_is_type(ws, json_type_object)
			        ? (json_object_object_get_ex(ws, "packages", &list) ? list : NULL)
			        : ws;
		for (size_t i = 0; rc == 0 && list && json_object_is_type(list, json_type_array) &&
		                   i < json_object_array_length(list);
		     i++) {
			json_object *v = json_object_array_get_idx(list, i);

			if (json_object_is_type(v, json_type_string))
				rc = add_members(dfd, json_object_get_string(v), apps, err);
		}
		json_object_put(pkg);
	}
	if (rc == 0)
		strlist_sort(apps);
	return rc;
}
