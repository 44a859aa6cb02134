/* The host's trust (specs/trust.md "On the host"); see trust.h. */
#include "release/store/trust.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void store_trust_release(struct store_trust *t)
{
	free(t->chain);
	free(t->payload);
	memset(t, 0, sizeof(*t));
}

static int take_chain(struct store_trust *t, char *text, size_t len, struct keyring_chain *c,
                      struct err *err)
{
	const struct keyring_link *l = &c->links[c->n - 1];

	free(t->payload);
	t->payload = malloc(l->env.payload_len);
	if (!t->payload)
		return fail_oom(err);
	memcpy(t->payload, l->env.payload, l->env.payload_len);
	t->payload_len = l->env.payload_len;
	t->kr = l->kr;
	free(t->chain);
	t->chain = text;
	t->chain_len = len;
	return 0;
}

int store_trust_load(struct store *st, struct store_trust *t, struct err *err)
{
	struct keyring_chain c = {0};
	struct minisign_pubkey pk;
	char *text = NULL;
	size_t len = 0;

	memset(t, 0, sizeof(*t));
	if (faccessat(st->rootfd, STORE_KEYRING, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT) {
		if (store_pinned_key(st, &pk, err) < 0)
			return -1;
		keyring_implicit(&pk, &t->kr);
		return 0;
	}
	if (read_file_at(st->rootfd, STORE_KEYRING, KEYRING_FILE_MAX, 1, &text, &len, err) < 0) {
		fail_recast(err, ERR_SYSTEM);
		return fail_prefix(err, "keyring %s/" STORE_KEYRING, st->root);
	}
	/* Judged, signatures and all, before it was written: read, not judged again. */
	if (keyring_chain_read(text, len, STORE_KEYRING, &c, err) < 0) {
		free(text);
		fail_recast(err, ERR_SYSTEM);
		return fail_prefix(err, "damaged store %s", st->root);
	}
	if (take_chain(t, text, len, &c, err) < 0) {
		free(text);
		keyring_chain_release(&c);
		return -1;
	}
	keyring_chain_release(&c);
	return 0;
}

int store_trust_adopt(struct store *st, struct store_trust *t, const char *text, size_t len,
                      const char *what, size_t *adopted, struct err *err)
{
	struct keyring_chain in = {0};
	size_t first, count, total;
	char *next = NULL;
	int rc = -1;

	if (adopted)
		*adopted = 0;
	/* Only versions after the host's matter: keyring_chain_newer judges each step from the
	 * host's own version; older ones are not judged. */
	if (keyring_chain_read(text, len, what, &in, err) < 0)
		return -1;
	if (keyring_chain_newer(&t->kr, t->payload, t->payload_len, &in, &first, &count, err) < 0) {
		fail_prefix(err, "%s", what);
		goto out;
	}
	if (!count) {
		rc = 0;
		goto out;
	}
	total = t->chain_len;
	for (size_t i = first; i < in.n; i++)
		total += in.links[i].line_len;
	if (total > KEYRING_FILE_MAX) {
		fail(err, "%s: the host's keyring would grow beyond %u bytes", what,
		     KEYRING_FILE_MAX);
		goto out;
	}
	next = malloc(total + 1);
	if (!next) {
		fail_oom(err);
		goto out;
	}
	if (t->chain_len)
		memcpy(next, t->chain, t->chain_len);
	total = t->chain_len;
	for (size_t i = first; i < in.n; i++) {
		memcpy(next + total, in.links[i].line, in.links[i].line_len);
		total += in.links[i].line_len;
	}
	next[total] = '\0';
	if (st && write_file_atomic(st->rootfd, STORE_KEYRING, next, total, 0644, 0, err) < 0)
		goto out;
	if (take_chain(t, next, total, &in, err) < 0)
		goto out;
	next = NULL;
	if (adopted)
		*adopted = count;
	rc = 0;
out:
	free(next);
	keyring_chain_release(&in);
	return rc;
}

int store_trust_adopt_file(struct store *st, struct store_trust *t, const char *path, bool optional,
                           size_t *adopted, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (adopted)
		*adopted = 0;
	if (optional && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (read_file_at(AT_FDCWD, path, KEYRING_FILE_MAX, 0, &text, &len, err) < 0)
		return fail_recast(err, ERR_REFUSED);
	rc = store_trust_adopt(st, t, text, len, path, adopted, err);
	free(text);
	return rc;
}
