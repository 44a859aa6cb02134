#include "pack/collect.h"
#include "release/base/error.h"
#include "release/manifest/manifest_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 256

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

const char *collect_never_pack_reason(const char *path)
{
	const char *c = path, *prev = NULL;
	size_t prev_len = 0;

	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 4 && !memcmp(c, ".git", 4))
			return "git metadata";
		if (n >= 4 && !memcmp(c, ".env", 4))
			return "environment file";
		if (n == 5 && !memcmp(c, "cache", 5) && prev && prev_len == 5 &&
		    !memcmp(prev, ".next", 5))
			return "Next.js build cache";
		prev = c;
		prev_len = n;
		c += n;
		if (*c == '/')
			c++;
	}
	c = last_component(path);
	if (ends_with(c, ".pem") || ends_with(c, ".key"))
		return "key file";
	return NULL;
}

int collect_exclude_matches(const char *pattern, const char *path)
{
	char p[4096];
	size_t n = strlen(pattern);

	while (n > 1 && pattern[n - 1] == '/')
		n--;
	if (n >= sizeof(p))
		return 0;
	memcpy(p, pattern, n);
	p[n] = '\0';
	if (!strchr(p, '/'))
		return fnmatch(p, last_component(path), 0) == 0;
	return fnmatch(p, path, FNM_PATHNAME) == 0;
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (!*a)
		return strdup(b);
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

static struct pack_entry *add_entry(struct pack_tree *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct pack_entry *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	return &t->v[t->n++];
}

struct walker {
	const struct collect_opts *opts;
	struct pack_tree *tree;
	unsigned root;
	struct err *err;
};

static bool excluded(const struct walker *w, const char *rel, const char *dest)
{
	size_t i;

	if (!w->opts->exclude)
		return false;
	for (i = 0; i < w->opts->exclude->n; i++)
		if (collect_exclude_matches(w->opts->exclude->v[i], rel) ||
		    collect_exclude_matches(w->opts->exclude->v[i], dest))
			return true;
	return false;
}

static int skip(struct walker *w, const char *rel, const char *reason)
{
	char *msg;

	if (asprintf(&msg, "%s (%s)", rel, reason) < 0 ||
	    strlist_push_owned(&w->tree->skipped, msg) < 0)
		return fail_oom(w->err);
	return 0;
}

static int note(struct walker *w, const char *rel, const char *why)
{
	char *msg;

	if (asprintf(&msg, "%s: %s", rel, why) < 0 || strlist_push_owned(&w->tree->notes, msg) < 0)
		return fail_oom(w->err);
	return 0;
}

static bool is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static int walk(struct walker *w, const char *src, const char *rel, const char *dest, int depth);

/* One filesystem object at src (known to the user as rel) landing at dest. */
static int visit(struct walker *w, const char *src, const char *rel, const char *dest, int depth)
{
	const char *reason = collect_never_pack_reason(rel);
	struct pack_entry *e;
	struct stat st;

	if (!reason)
		reason = collect_never_pack_reason(dest);
	if (reason)
		return skip(w, rel, reason);
	if (excluded(w, rel, dest))
		return 0;
	if (w->opts->reserved && w->root != w->opts->reserved_root &&
	    is_under(dest, w->opts->reserved))
		return note(w, rel, w->opts->reserved_why);
	if (relpath_check(dest, w->err) < 0)
		return fail_prefix(w->err, "cannot pack %s", rel);
	if (lstat(src, &st) < 0)
		return fail_sys(w->err, "cannot read %s", rel);
	if (w->opts->have_key && st.st_dev == w->opts->key_dev && st.st_ino == w->opts->key_ino)
		return skip(w, rel, "the signing key");
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		return skip(w, rel, "not a regular file, directory or symlink");
	if (!strcmp(dest, MANIFEST_NAME))
		return fail(w->err, "%s: the name %s is reserved for the manifest", rel,
		            MANIFEST_NAME);
	e = add_entry(w->tree);
	if (!e || !(e->path = strdup(dest)) || !(e->src = strdup(src)))
		return fail_oom(w->err);
	e->root = w->root;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->mtime_sec = st.st_mtim.tv_sec;
	e->mtime_nsec = st.st_mtim.tv_nsec;
	if (S_ISREG(st.st_mode)) {
		e->type = MANIFEST_FILE;
		e->mode = (st.st_mode & S_IXUSR) ? 0755 : 0644;
		e->size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return fail_sys(w->err, "cannot read the symlink %s", rel);
		target[n] = '\0';
		if (symlink_target_check(dest, target, w->err) < 0)
			return fail_prefix(w->err, "cannot pack the symlink %s -> %s", rel, target);
		e->type = MANIFEST_SYMLINK;
		e->mode = 0777;
		e->target = strdup(target);
		return e->target ? 0 : fail_oom(w->err);
	}
	e->type = MANIFEST_DIR;
	e->mode = 0755;
	return walk(w, src, rel, dest, depth + 1);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct walker *w, const char *src, const char *rel, const char *dest, int depth)
{
	struct strlist names = {0};
	struct dirent *de;
	DIR *d;
	size_t i;
	int r = 0;

	if (depth > MAX_DEPTH)
		return fail(w->err, "%s: directories nested deeper than %d", rel, MAX_DEPTH);
	d = opendir(src);
	if (!d)
		return fail_sys(w->err, "cannot open the directory %s", rel);
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlist_push(&names, de->d_name) < 0) {
			closedir(d);
			strlist_clear(&names);
			return fail_oom(w->err);
		}
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_name);
	for (i = 0; i < names.n && r == 0; i++) {
		char *s = join(src, names.v[i]), *rl = join(rel, names.v[i]),
		     *ds = join(dest, names.v[i]);

		if (!s || !rl || !ds)
			r = fail_oom(w->err);
		else
			r = visit(w, s, rl, ds, depth);
		free(s);
		free(rl);
		free(ds);
	}
	strlist_clear(&names);
	return r;
}

/* Directories above dest ("a", "a/b" for "a/b/c"), implied so extraction needs no guesses. */
static int add_ancestors(struct walker *w, const char *dest)
{
	const char *slash;

	for (slash = strchr(dest, '/'); slash; slash = strchr(slash + 1, '/')) {
		struct pack_entry *e = add_entry(w->tree);

		if (!e || !(e->path = strndup(dest, (size_t)(slash - dest))))
			return fail_oom(w->err);
		e->type = MANIFEST_DIR;
		e->mode = 0755;
		e->root = w->root;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct pack_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	/* Real directories before implied ones, then the earlier root first. */
	if (!x->src != !y->src)
		return x->src ? -1 : 1;
	return x->root < y->root ? -1 : x->root > y->root;
}

static void entry_release(struct pack_entry *e)
{
	free(e->path);
	free(e->src);
	free(e->target);
	free(e->data);
}

static int dedupe(struct pack_tree *t, struct err *err)
{
	size_t i, out = 0;

	for (i = 0; i < t->n; i++) {
		struct pack_entry *e = &t->v[i];

		if (out > 0 && !strcmp(t->v[out - 1].path, e->path)) {
			struct pack_entry *kept = &t->v[out - 1];

			if (kept->type != e->type)
				return fail(err, "%s is both a %s and a %s in the release", e->path,
				            kept->type == MANIFEST_DIR ? "directory" : "file",
				            e->type == MANIFEST_DIR ? "directory" : "file");
			if (e->type != MANIFEST_DIR) {
				char *msg;

				if (asprintf(&msg, "%s: provided twice; packing %s, not %s",
				             e->path, kept->src, e->src) < 0 ||
				    strlist_push_owned(&t->notes, msg) < 0)
					return fail_oom(err);
			}
			entry_release(e);
			continue;
		}
		t->v[out++] = *e;
	}
	t->n = out;
	return 0;
}

int collect_tree(const struct collect_opts *opts, struct pack_tree *tree, struct err *err)
{
	struct walker w = {opts, tree, 0, err};
	size_t i;

	for (i = 0; i < opts->n_roots; i++) {
		const struct collect_root *root = &opts->roots[i];
		struct stat st;

		w.root = (unsigned)i;
		if (lstat(root->src, &st) < 0)
			return fail_sys(err, "cannot include %s", root->rel);
		if (add_ancestors(&w, root->dest) < 0 ||
		    visit(&w, root->src, root->rel, root->dest, 0) < 0)
			return -1;
	}
	if (tree->n)
		qsort(tree->v, tree->n, sizeof(tree->v[0]), cmp_entry);
	return dedupe(tree, err);
}

int pack_tree_drop_secrets(struct pack_tree *tree, struct err *err)
{
	size_t i, out = 0;

	for (i = 0; i < tree->n; i++) {
		if (tree->v[i].secret) {
			char *msg;

			if (asprintf(&msg, "%s (looks like a secret key)", tree->v[i].path) < 0 ||
			    strlist_push_owned(&tree->skipped, msg) < 0)
				return fail_oom(err);
			entry_release(&tree->v[i]);
			continue;
		}
		tree->v[out++] = tree->v[i];
	}
	tree->n = out;
	return 0;
}

void pack_tree_release(struct pack_tree *tree)
{
	size_t i;

	for (i = 0; i < tree->n; i++)
		entry_release(&tree->v[i]);
	free(tree->v);
	strlist_clear(&tree->skipped);
	strlist_clear(&tree->notes);
	memset(tree, 0, sizeof(*tree));
}
