#include "runtime/preload.h"
#include "runtime/statefile.h"
#include "release/base/error.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The preload's source, NUL-terminated; the Makefile rebuilds this object when it changes. */
__asm__(".pushsection .rodata\n"
        ".global slipway_preload_js\n"
        ".type slipway_preload_js, @object\n"
        "slipway_preload_js:\n"
        ".incbin \"runtime/preload.js\"\n"
        ".byte 0\n"
        ".popsection\n");
extern const char slipway_preload_js[];

/* The skew router the preload requires from next to itself, embedded the same way. */
__asm__(".pushsection .rodata\n"
        ".global slipway_preload_skew_js\n"
        ".type slipway_preload_skew_js, @object\n"
        "slipway_preload_skew_js:\n"
        ".incbin \"runtime/preload_skew.js\"\n"
        ".byte 0\n"
        ".popsection\n");
extern const char slipway_preload_skew_js[];

/* The Python startup hook, embedded the same way. */
__asm__(".pushsection .rodata\n"
        ".global slipway_sitecustomize_py\n"
        ".type slipway_sitecustomize_py, @object\n"
        "slipway_sitecustomize_py:\n"
        ".incbin \"runtime/sitecustomize.py\"\n"
        ".byte 0\n"
        ".popsection\n");
extern const char slipway_sitecustomize_py[];

/* Where preload_install last wrote the preloads ("" before): preload_health_env points a
 * worker at them. */
static char node_path[4096], python_dir[4096];

/* The marker of a stock standalone server.js (checked on Next.js 15). */
#define NEXT_MARKER "next/dist/server/lib/start-server"

int preload_install(const char *root, char *path, size_t cap, struct err *err)
{
	char dir[4096], pydir[4096];
	int dfd, rc;

	snprintf(dir, sizeof(dir), "%s/%s", root, STATEFILE_DIR);
	if ((size_t)snprintf(path, cap, "%s/%s", dir, PRELOAD_NAME) >= cap ||
	    (size_t)snprintf(pydir, sizeof(pydir), "%s/%s", dir, PRELOAD_PY_DIR) >= sizeof(pydir))
		return fail_kind(err, ERR_SYSTEM, "store path too long for the Node preload");
	dfd = store_dir_open_path(root, STATEFILE_DIR, true, err);
	if (dfd < 0)
		return -1;
	rc = write_file_atomic(dfd, PRELOAD_SKEW_NAME, slipway_preload_skew_js,
	                       strlen(slipway_preload_skew_js), 0644, 0, err);
	if (rc == 0)
		rc = write_file_atomic(dfd, PRELOAD_NAME, slipway_preload_js,
		                       strlen(slipway_preload_js), 0644, 0, err);
	close(dfd);
	if (rc < 0)
		return rc;
	snprintf(node_path, sizeof(node_path), "%s", path);
	if (mkdir(pydir, 0755) < 0 && errno != EEXIST)
		return fail_sys(err, "cannot create %s", pydir);
	dfd = open(pydir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return fail_sys(err, "cannot open %s", pydir);
	rc = write_file_atomic(dfd, PRELOAD_PY_NAME, slipway_sitecustomize_py,
	                       strlen(slipway_sitecustomize_py), 0644, 0, err);
	close(dfd);
	if (rc == 0)
		snprintf(python_dir, sizeof(python_dir), "%s", pydir);
	return rc;
}

/* Whether `list` already starts with `item`, followed by `sep` or its end. */
static int leads_with(const char *list, const char *item, char sep)
{
	size_t n = strlen(item);

	return list && !strncmp(list, item, n) && (list[n] == sep || list[n] == '\0');
}

int preload_health_env(struct svc_spec *s, struct err *err)
{
	static const char opt_key[] = "NODE_OPTIONS=";
	const char *off = svc_env_get(s->envp, PRELOAD_HEALTH_ENV), *cur;
	char num[16], *opt = NULL, *mine = NULL, *py = NULL;
	int rc = -1;

	if (!s->health_base || (off && !strcmp(off, "off")))
		return 0;
	snprintf(num, sizeof(num), "%d", s->health_base);
	if (svc_spec_set_env(s, PRELOAD_HEALTH_ENV, num, err) < 0)
		return -1;
	if (node_path[0]) {
		cur = svc_env_get(s->envp, "NODE_OPTIONS");
		if (!(mine = preload_node_options(node_path, NULL)) ||
		    !(opt = preload_node_options(node_path, cur)))
			goto oom;
		if (!leads_with(cur, mine + sizeof(opt_key) - 1, ' ') &&
		    svc_spec_set_env(s, "NODE_OPTIONS", opt + sizeof(opt_key) - 1, err) < 0)
			goto out;
	}
	if (python_dir[0]) {
		cur = svc_env_get(s->envp, "PYTHONPATH");
		if (!leads_with(cur, python_dir, ':')) {
			size_t n = strlen(python_dir) + (cur ? strlen(cur) : 0) + 2;

			if (!(py = malloc(n)))
				goto oom;
			snprintf(py, n, "%s%s%s", python_dir, cur && *cur ? ":" : "",
			         cur && *cur ? cur : "");
			if (svc_spec_set_env(s, "PYTHONPATH", py, err) < 0)
				goto out;
		}
	}
	rc = 0;
	goto out;
oom:
	fail_oom(err);
out:
	free(opt);
	free(mine);
	free(py);
	return rc;
}

int preload_is_node(const struct svc_spec *spec)
{
	const char *a0 = spec->argv ? spec->argv[0] : NULL, *base;

	if (!a0)
		return 0;
	base = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
	return !strcmp(base, "node") || !strcmp(base, "nodejs");
}

/* The first argument from argv[from] on that is not an option, or NULL. */
static const char *first_operand(char *const *argv, size_t from, size_t *at)
{
	for (size_t i = from; argv[i]; i++)
		if (argv[i][0] != '-') {
			if (at)
				*at = i;
			return argv[i];
		}
	return NULL;
}

static const char *base_name(const char *path)
{
	return strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
}

/* `next start`: Next's own CLI runs the server in its one process, so the preload loaded into
 * it sees the server's listen. The CLI is `next` (node_modules/.bin/next, a link to
 * next/dist/bin/next) run directly or as node's script. A wrapper (npm start, npx) is another
 * process and is not recognised: the preload would not reach the server. */
static int is_next_start(const struct svc_spec *spec)
{
	const char *cmd, *script;
	size_t at = 0;

	if (!strcmp(base_name(spec->argv[0]), "next"))
		cmd = first_operand(spec->argv, 1, NULL);
	else if (preload_is_node(spec) && (script = first_operand(spec->argv, 1, &at)) &&
	         !strcmp(base_name(script), "next"))
		cmd = first_operand(spec->argv, at + 1, NULL);
	else
		return 0;
	return cmd && !strcmp(cmd, "start");
}

int preload_is_next_standalone(const struct svc_spec *spec)
{
	char path[4096], *text = NULL;
	struct err err;
	const char *script;
	size_t len;
	int found;

	if (!spec->argv || !spec->argv[0])
		return 0;
	if (is_next_start(spec))
		return 1;
	if (!preload_is_node(spec))
		return 0;
	script = first_operand(spec->argv, 1, NULL);
	if (!script)
		return 0;
	if (script[0] == '/')
		snprintf(path, sizeof(path), "%s", script);
	else
		snprintf(path, sizeof(path), "%s/%s", spec->cwd, script);
	if (read_file_at(AT_FDCWD, path, 1u << 20, 0, &text, &len, &err) < 0)
		return 0;
	found = strstr(text, NEXT_MARKER) != NULL;
	free(text);
	return found;
}

char *preload_node_options(const char *path, const char *existing)
{
	static const char key[] = "NODE_OPTIONS=--require \"";
	size_t n = sizeof(key) + 2 * strlen(path) + 2 + (existing ? strlen(existing) + 1 : 0);
	char *out = malloc(n), *w;
	const char *p;

	if (!out)
		return NULL;
	w = out + sizeof(key) - 1;
	memcpy(out, key, sizeof(key) - 1);
	for (p = path; *p; p++) {
		if (*p == '"' || *p == '\\')
			*w++ = '\\';
		*w++ = *p;
	}
	*w++ = '"';
	if (existing && *existing) {
		*w++ = ' ';
		strcpy(w, existing);
	} else {
		*w = '\0';
	}
	return out;
}
