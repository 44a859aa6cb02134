/* The host's side of the release channel (release/store/channel_state.h). */
#include "release/store/channel_state.h"
#include "release/base/fileio.h"
#include "release/sig/envelope.h"
#include "release/store/store_meta.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The last accepted index: *text (heap) and *prev, or *text NULL when there is none. */
static int last_accepted(struct store *st, char **text, size_t *len, struct channel_index *prev,
                         struct err *err)
{
	struct envelope e = {0};
	size_t n;
	int rc = 0;

	*text = NULL;
	if (read_file_at(st->rootfd, STORE_CHANNEL, CHANNEL_INDEX_MAX, 1, text, len, err) < 0) {
		if (err->kind == ERR_SYSTEM && errno == ENOENT)
			return 0;
		return fail_prefix(err, "%s/%s", st->root, STORE_CHANNEL),
		       fail_recast(err, ERR_SYSTEM);
	}
	n = *len && (*text)[*len - 1] == '\n' ? *len - 1 : *len;
	if (envelope_parse(*text, n, "channel index", &e, err) < 0 ||
	    channel_parse(e.payload, e.payload_len, prev, err) < 0) {
		fail_prefix(err, "%s/%s (damaged store)", st->root, STORE_CHANNEL);
		fail_recast(err, ERR_SYSTEM);
		free(*text);
		*text = NULL;
		rc = -1;
	}
	envelope_release(&e);
	return rc;
}

/* The same index bytes, a trailing newline aside. */
static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	alen -= alen && a[alen - 1] == '\n';
	blen -= blen && b[blen - 1] == '\n';
	return alen == blen && memcmp(a, b, alen) == 0;
}

static int check_app(struct store *st, const struct channel_index *ci, struct err *err)
{
	struct store_state s = {0};
	int rc = 0;

	if (store_state_read(st, &s, err) < 0)
		return -1;
	if (s.app && s.app[0] && strcmp(s.app, ci->app))
		rc = fail(err, "the index is for app %s; this store holds %s", ci->app, s.app);
	store_state_release(&s);
	return rc;
}

int store_channel_judge(struct store *st, const struct keyring *kr, const char *text, size_t len,
                        time_t now, struct channel_index *ci, bool *same, struct err *err)
{
	struct channel_index prev;
	char *last = NULL;
	size_t last_len = 0;
	int rc = -1;

	*same = false;
	if (channel_verify(text, len, kr, now, ci, err) < 0 || check_app(st, ci, err) < 0 ||
	    last_accepted(st, &last, &last_len, &prev, err) < 0)
		return -1;
	if (!last)
		return 0;
	if (strcmp(prev.app, ci->app))
		fail(err, "the index is for app %s; this store follows %s", ci->app, prev.app);
	else if (ci->serial < prev.serial)
		fail(err,
		     "index serial %llu is older than the last accepted (%llu): a replayed index",
		     (unsigned long long)ci->serial, (unsigned long long)prev.serial);
	else if (ci->serial == prev.serial && !same_bytes(text, len, last, last_len))
		fail(err,
		     "index serial %llu was accepted before with other contents: a replayed or "
		     "forked index",
		     (unsigned long long)ci->serial);
	else {
		*same = ci->serial == prev.serial;
		rc = 0;
	}
	free(last);
	return rc;
}

int store_channel_accept(struct store *st, const char *text, size_t len, struct err *err)
{
	if (write_file_atomic(st->rootfd, STORE_CHANNEL, text, len, 0644, 0, err) < 0)
		return fail_prefix(err, "%s/%s", st->root, STORE_CHANNEL);
	return 0;
}

void store_download_name(const char *sha256, const char *suffix, char out[STORE_DOWNLOAD_NAME_MAX])
{
	snprintf(out, STORE_DOWNLOAD_NAME_MAX, "%.64s.tar.zst%s", sha256, suffix);
}

/* "<64 lower-case hex digits>.tar.zst", then anything. */
static bool download_name(const char *name)
{
	for (int i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return !strncmp(name + 64, ".tar.zst", 8);
}

size_t store_downloads_sweep(int tmpfd, const char *keep_sha256)
{
	int fd = dup(tmpfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	size_t removed = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((e = readdir(d)))
		if (download_name(e->d_name) && strncmp(e->d_name, keep_sha256, 64) &&
		    unlinkat(tmpfd, e->d_name, 0) == 0)
			removed++;
	closedir(d);
	return removed;
}

int store_tmp_open(struct store *st, struct err *err)
{
	return store_dir_open(st->rootfd, st->root, STORE_TMP, true, err);
}
