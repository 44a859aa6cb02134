/* The store's Next.js Server Actions key (store.h, specs/store.md). */
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/base64.h"
#include "release/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_PATH STORE_SHARED "/" STORE_ACTION_KEY

/* Reads and checks the key file; 1 when it does not exist. */
static int read_key(struct store *st, int dirfd, uid_t owner, char *out, struct err *err)
{
	char buf[STORE_ACTION_KEY_LEN + 2];
	uint8_t raw[STORE_ACTION_KEY_BYTES];
	struct stat sb;
	struct err oerr;
	ssize_t n;
	int fd = open_regular_at(dirfd, STORE_ACTION_KEY, 1, &sb, &oerr), r;

	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return fail_kind(err, ERR_SYSTEM, "cannot open %s/" KEY_PATH ": %s", st->root,
		                 errno == ELOOP    ? "it is a symlink"
		                 : errno == EINVAL ? "not a regular file"
		                                   : strerror(errno));
	if ((sb.st_mode & 077) || (sb.st_uid != owner && sb.st_uid != geteuid())) {
		r = fail_kind(err, ERR_SYSTEM,
		              "%s/" KEY_PATH
		              " must be a regular file of the store's owner with mode "
		              "0600 (it has mode %04o, uid %u)",
		              st->root, (unsigned)(sb.st_mode & 07777), (unsigned)sb.st_uid);
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		r = fail_sys(err, "cannot read %s/" KEY_PATH, st->root);
		goto out;
	}
	if (n == STORE_ACTION_KEY_LEN + 1 && buf[STORE_ACTION_KEY_LEN] == '\n')
		n--;
	if (n != STORE_ACTION_KEY_LEN ||
	    base64_decode_exact(buf, STORE_ACTION_KEY_LEN, raw, sizeof(raw)) < 0) {
		r = fail_kind(err, ERR_SYSTEM,
		              "%s/" KEY_PATH " is not a key (base64 of %d bytes on one line): "
		              "remove it and a new one is made, which the pages open before "
		              "that cannot use",
		              st->root, STORE_ACTION_KEY_BYTES);
		goto out;
	}
	memcpy(out, buf, STORE_ACTION_KEY_LEN);
	out[STORE_ACTION_KEY_LEN] = '\0';
	r = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(raw, sizeof(raw));
	close(fd);
	return r;
}

/* A complete file given its final name at once: an unnamed O_TMPFILE linked in (link(2) never
 * replaces), so there is no temporary name for a sweep to meet and no partial key is ever
 * seen; where the filesystem has no O_TMPFILE, a temporary name (`.*.tmp-*`, which the
 * sweep may remove: that first start then fails and the next one makes the key). 0 also
 * when another process linked its key first. */
static int create_key(struct store *st, int dirfd, uid_t owner, gid_t group, struct err *err)
{
	uint8_t raw[STORE_ACTION_KEY_BYTES];
	char text[STORE_ACTION_KEY_LEN + 2], proc[64], tmp[64] = "";
	int fd = -1, r = -1;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return fail_kind(err, ERR_SYSTEM, "no random bytes for the Server Actions key");
	base64_encode(raw, sizeof(raw), text);
	text[STORE_ACTION_KEY_LEN] = '\n';
	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* No O_TMPFILE on this filesystem: a temporary name, linked, then removed. */
		snprintf(tmp, sizeof(tmp), "." STORE_ACTION_KEY ".tmp-%ld", (long)getpid());
		unlinkat(dirfd, tmp, 0);
		fd = openat(dirfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			tmp[0] = '\0';
	}
	if (fd < 0) {
		fail_sys(err, "cannot create %s/" KEY_PATH, st->root);
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || (geteuid() != owner && fchown(fd, owner, group) < 0)) {
		fail_sys(err, "cannot set the owner and mode of %s/" KEY_PATH, st->root);
		goto out;
	}
	if (write_all(fd, text, STORE_ACTION_KEY_LEN + 1, err) < 0)
		goto out;
	if (fsync(fd) < 0) {
		fail_sys(err, "cannot write %s/" KEY_PATH, st->root);
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((tmp[0] ? linkat(dirfd, tmp, dirfd, STORE_ACTION_KEY, 0)
	            : linkat(AT_FDCWD, proc, dirfd, STORE_ACTION_KEY, AT_SYMLINK_FOLLOW)) < 0 &&
	    errno != EEXIST) {
		fail_sys(err, "cannot create %s/" KEY_PATH, st->root);
		goto out;
	}
	if (fsync(dirfd) < 0) {
		fail_sys(err, "cannot sync %s/" STORE_SHARED, st->root);
		goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlinkat(dirfd, tmp, 0);
	return r;
}

int store_action_key(struct store *st, char *out, struct err *err)
{
	struct stat root;
	int dirfd, r;

	if (fstat(st->rootfd, &root) < 0)
		return fail_sys(err, "cannot stat %s", st->root);
	dirfd = store_dir_open(st->rootfd, st->root, STORE_SHARED, true, err);
	if (dirfd < 0)
		return -1;
	r = read_key(st, dirfd, root.st_uid, out, err);
	if (r == 1) {
		r = create_key(st, dirfd, root.st_uid, root.st_gid, err);
		if (r == 0 && (r = read_key(st, dirfd, root.st_uid, out, err)) == 1)
			r = fail_kind(err, ERR_SYSTEM, "%s/" KEY_PATH " vanished as it was made",
			              st->root);
	}
	close(dirfd);
	return r;
}
