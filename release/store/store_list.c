#include "release/store/store_list.h"
#include "release/base/error.h"
#include "release/store/history.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct keyed {
	uint64_t seq;
	struct release_record r;
};

static int by_seq(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->r.version, y->r.version);
}

int store_list_releases(struct store *st, struct release_record **out, size_t *n, struct err *err)
{
	struct history h = {0};
	struct keyed *k = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int fd, rc = -1;

	*out = NULL;
	*n = 0;
	if (history_load(st, &h, err) < 0)
		return -1;
	fd = openat(st->rootfd, STORE_RELEASES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		fail_sys(err, "cannot read %s/" STORE_RELEASES, st->root);
		goto out;
	}
	while ((de = readdir(d))) {
		struct err e2;

		if (de->d_name[0] == '.' || !store_is_installed(st, de->d_name))
			continue;
		if (count == cap) {
			struct keyed *grown = realloc(k, (cap = cap ? cap * 2 : 16) * sizeof(*k));

			if (!grown) {
				fail_oom(err);
				goto out;
			}
			k = grown;
		}
		/* A release pruned meanwhile by another process is simply not listed. */
		if (store_record_read(st, de->d_name, &k[count].r, &e2) < 0)
			continue;
		k[count].seq = history_install_seq(&h, de->d_name);
		count++;
	}
	if (count) /* qsort(NULL, 0, ...) is undefined */
		qsort(k, count, sizeof(*k), by_seq);
	*out = calloc(count + 1, sizeof(**out));
	if (!*out) {
		fail_oom(err);
		goto out;
	}
	for (size_t i = 0; i < count; i++)
		(*out)[i] = k[i].r;
	*n = count;
	count = 0;
	rc = 0;
out:
	for (size_t i = 0; i < count; i++)
		store_record_release(&k[i].r);
	free(k);
	if (d)
		closedir(d);
	history_release(&h);
	return rc;
}

void store_list_free(struct release_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_record_release(&r[i]);
	free(r);
}

int store_overview_load(struct store *st, struct store_overview *o, struct err *err)
{
	memset(o, 0, sizeof(*o));
	if (store_list_releases(st, &o->releases, &o->n, err) < 0 ||
	    store_current_version(st, &o->current, err) < 0 ||
	    store_rollback_target(st, &o->rollback_target, err) < 0)
		return -1;
	return 0;
}

void store_overview_release(struct store_overview *o)
{
	store_list_free(o->releases, o->n);
	free(o->current);
	free(o->rollback_target);
	memset(o, 0, sizeof(*o));
}

const struct release_record *store_overview_current(const struct store_overview *o)
{
	for (size_t i = 0; o->current && i < o->n; i++)
		if (!strcmp(o->releases[i].version, o->current))
			return &o->releases[i];
	return NULL;
}
