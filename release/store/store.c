/* Opening, creating and reading the store (specs/store.md "Layout"). */
#include "release/store/store.h"
#include "release/base/bigmem.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"
#include "release/sig/minisign.h"
#include "release/store/store_meta.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The store's directories, in the order init creates them (specs/store.md "Layout"); run/
 * is created by `slipway run` and tmp/ by `slipway pull` and `receive`, not by init. */
static const struct {
	const char *name;
	mode_t mode;
	bool by_init;
} layout[] = {
    {STORE_RELEASES, 0755, true}, {STORE_META, 0755, true},   {STORE_STAGING, 0700, true},
    {STORE_TRASH, 0700, true},    {STORE_SHARED, 0750, true}, {STORE_RUN, 0755, false},
    {STORE_TMP, 0700, false},
};

/* A root another user could take over: someone else's, or writable by group or others
 * (they could plant links where the store's directories belong). One owned by root is no
 * one else's to take over: an operator may read a root-owned store (status, list). */
static int check_root(int fd, const char *root, struct err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail_sys(err, "cannot stat %s", root);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return fail_kind(
		    err, ERR_SYSTEM,
		    "%s is owned by uid %u, not by the running user (uid %u); refusing "
		    "a store its owner could take over",
		    root, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 022)
		return fail_kind(
		    err, ERR_SYSTEM,
		    "%s is writable by others (mode %04o); refusing a store anyone could "
		    "plant links in (chmod go-w %s)",
		    root, (unsigned)(st.st_mode & 07777), root);
	return 0;
}

static int not_a_dir(const char *root, const char *name, mode_t mode, struct err *err)
{
	return fail_kind(err, ERR_SYSTEM,
	                 "%s/%s is %s, not a directory; refusing to work through it (damaged "
	                 "store)",
	                 root, name, S_ISLNK(mode) ? "a symlink" : "not a directory");
}

int store_dir_open(int rootfd, const char *root, const char *name, bool create, struct err *err)
{
	struct stat top, sb;
	mode_t mode = 0;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(layout) / sizeof(layout[0]) && strcmp(layout[i].name, name); i++)
		;
	if (i == sizeof(layout) / sizeof(layout[0]))
		return fail_kind(err, ERR_SYSTEM, "internal error: %s is no store directory", name);
	mode = layout[i].mode;
	if (create && mkdirat(rootfd, name, mode) < 0 && errno != EEXIST)
		return fail_sys(err, "cannot create %s/%s", root, name);
	fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Another user reading the store (status) may not list staging/ (0700): checked anyway. */
	if (fd < 0 && errno == EACCES)
		fd = openat(rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (fstatat(rootfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode))
			return not_a_dir(root, name, sb.st_mode, err);
		errno = e;
		fail_sys(err, "cannot open %s/%s", root, name);
		errno = e;
		return -1;
	}
	if (fstat(rootfd, &top) < 0 || fstat(fd, &sb) < 0) {
		fail_sys(err, "cannot stat %s/%s", root, name);
		goto refuse;
	}
	/* Whoever owns a store directory can replace what slipway writes there (run/ holds the
	 * Node preload every web server loads): it must be the store owner's. */
	if (sb.st_uid != top.st_uid) {
		fail_kind(err, ERR_SYSTEM,
		          "%s/%s is owned by uid %u, not by the store's owner (uid %u); refusing "
		          "to work through it (chown it or remove it)",
		          root, name, (unsigned)sb.st_uid, (unsigned)top.st_uid);
		goto refuse;
	}
	if (sb.st_mode & 022) {
		/* Ours: repaired, as init sets it. Not ours (a store read by another user):
		 * refused. */
		if (sb.st_uid == geteuid() && fchmod(fd, mode) == 0)
			return fd;
		fail_kind(err, ERR_SYSTEM,
		          "%s/%s is writable by others (mode %04o); refusing to work through it "
		          "(chmod go-w %s/%s)",
		          root, name, (unsigned)(sb.st_mode & 07777), root, name);
		goto refuse;
	}
	return fd;
refuse:
	close(fd);
	return -1;
}

int store_dir_open_path(const char *root, const char *name, bool create, struct err *err)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (rootfd < 0)
		return fail_sys(err, "cannot open store %s", root);
	fd = store_dir_open(rootfd, root, name, create, err);
	close(rootfd);
	return fd;
}

/* Every directory of the layout that exists passes store_dir_open's check. (Missing ones are
 * the commands' business: init creates them, run creates run/.) */
static int check_layout(int rootfd, const char *root, struct err *err)
{
	struct stat sb;

	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		int fd;

		if (fstatat(rootfd, layout[i].name, &sb, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			continue;
		if ((fd = store_dir_open(rootfd, root, layout[i].name, false, err)) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int dir_is_empty(int fd)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;
	int empty = 1;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return 0;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

int store_init(const char *root, const char *pub_text, size_t pub_len, struct err *err)
{
	return store_init_trust(root, pub_text, pub_len, NULL, 0, err);
}

int store_init_trust(const char *root, const char *pub_text, size_t pub_len,
                     const char *keyring_text, size_t keyring_len, struct err *err)
{
	struct minisign_pubkey want, have;
	struct store st = {.lockfd = -1};
	struct keyring_chain chain = {0};
	struct stat sb;
	char *old = NULL, *old_ring = NULL;
	size_t old_len = 0, old_ring_len = 0;
	int rc = -1, fd = -1;

	if (pub_text && minisign_pubkey_parse(pub_text, pub_len, &want, err) < 0)
		return fail_prefix(err, "public key");
	if (!pub_text && keyring_chain_parse(keyring_text, keyring_len, "keyring", &chain, err) < 0)
		return -1;
	keyring_chain_release(&chain);
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return fail_sys(err, "cannot create %s", root);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_sys(err, "cannot open %s", root);
	st.rootfd = fd;
	if (check_root(fd, root, err) < 0 || check_layout(fd, root, err) < 0)
		goto out;
	if (read_file_at(fd, STORE_KEYRING, KEYRING_FILE_MAX, 1, &old_ring, &old_ring_len, err) ==
	    0) {
		if (pub_text || old_ring_len != keyring_len ||
		    memcmp(old_ring, keyring_text, keyring_len)) {
			fail_kind(
			    err, ERR_SYSTEM,
			    "%s already trusts another keyring; refusing to replace it (a newer "
			    "version is adopted with slipway keyring adopt)",
			    root);
			goto out;
		}
	} else if (read_file_at(fd, STORE_PUBKEY, MINISIGN_KEYFILE_MAX, 1, &old, &old_len, err) ==
	           0) {
		if (!pub_text) {
			fail_kind(
			    err, ERR_SYSTEM,
			    "%s is pinned to one key; refusing to replace it (adopt a keyring "
			    "its key signed with slipway keyring adopt)",
			    root);
			goto out;
		}
		if (minisign_pubkey_parse(old, old_len, &have, err) < 0) {
			fail_recast(err, ERR_SYSTEM); /* a damaged store */
			fail_prefix(err, "%s/" STORE_PUBKEY, root);
			goto out;
		}
		if (memcmp(&have, &want, sizeof(want))) {
			char id[17];

			minisign_keyid_hex(have.keyid, id);
			fail_kind(
			    err, ERR_SYSTEM,
			    "%s is already pinned to another key (%s); refusing to replace it",
			    root, id);
			goto out;
		}
	} else if (faccessat(fd, STORE_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		fail_kind(err, ERR_SYSTEM, "%s: store without a pinned key (damaged store)", root);
		goto out;
	} else if (!dir_is_empty(fd)) {
		fail_kind(err, ERR_SYSTEM, "%s is not empty and is not a slipway store", root);
		goto out;
	}
	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		int dfd;

		if (!layout[i].by_init)
			continue;
		if ((dfd = store_dir_open(fd, root, layout[i].name, true, err)) < 0)
			goto out;
		/* Modes set on the directory itself (an O_NOFOLLOW descriptor), never on a link. */
		if (fchmod(dfd, layout[i].mode) < 0) {
			fail_sys(err, "cannot chmod %s/%s", root, layout[i].name);
			close(dfd);
			goto out;
		}
		close(dfd);
	}
	if (fstatat(fd, STORE_ENV, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			fail_kind(err, ERR_SYSTEM,
			          "%s/" STORE_ENV " is %s, not a regular file; refusing it", root,
			          S_ISLNK(sb.st_mode) ? "a symlink" : "not a regular file");
			goto out;
		}
	} else if (write_file_atomic(fd, STORE_ENV, "", 0, 0600, 1, err) < 0) {
		goto out;
	}
	if (pub_text && !old &&
	    write_file_atomic(fd, STORE_PUBKEY, pub_text, pub_len, 0644, 0, err) < 0)
		goto out;
	if (!pub_text && !old_ring &&
	    write_file_atomic(fd, STORE_KEYRING, keyring_text, keyring_len, 0644, 0, err) < 0)
		goto out;
	if (faccessat(fd, STORE_STATE, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		struct store_state s = {.app = "", .high_hash = "", .high_version = ""};

		if (store_state_write(&st, &s, err) < 0)
			goto out;
	}
	if (faccessat(fd, STORE_HISTORY, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    write_file_atomic(fd, STORE_HISTORY, "", 0, 0644, 0, err) < 0)
		goto out;
	/* The marker comes last: a store without it is an unfinished init, which init resumes. */
	if (write_file_atomic(fd, STORE_MARKER, STORE_FORMAT_LINE, strlen(STORE_FORMAT_LINE), 0644,
	                      0, err) < 0)
		goto out;
	rc = 0;
out:
	free(old);
	free(old_ring);
	close(fd);
	return rc;
}

int store_open(const char *root, struct store *st, struct err *err)
{
	char *marker = NULL;
	size_t len = 0;

	st->root = NULL;
	st->lockfd = -1;
	st->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd < 0)
		return fail_sys(err, "cannot open store %s", root);
	if (read_file_at(st->rootfd, STORE_MARKER, 4096, 1, &marker, &len, err) < 0) {
		close(st->rootfd);
		st->rootfd = -1;
		return fail_kind(err, ERR_SYSTEM, "%s is not a slipway store (run slipway init)",
		                 root);
	}
	if (strcmp(marker, STORE_FORMAT_LINE)) {
		free(marker);
		close(st->rootfd);
		st->rootfd = -1;
		return fail_kind(err, ERR_SYSTEM,
		                 "%s: unsupported store format (this slipway reads format 1)",
		                 root);
	}
	free(marker);
	if (check_root(st->rootfd, root, err) < 0 || check_layout(st->rootfd, root, err) < 0) {
		close(st->rootfd);
		st->rootfd = -1;
		return -1;
	}
	/* Absolute, so that paths handed to services stay valid whatever their cwd. */
	st->root = realpath(root, NULL);
	if (!st->root) {
		close(st->rootfd);
		st->rootfd = -1;
		return fail_sys(err, "cannot resolve %s", root);
	}
	return 0;
}

int store_pinned_key(struct store *st, struct minisign_pubkey *pk, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = read_file_at(st->rootfd, STORE_PUBKEY, MINISIGN_KEYFILE_MAX, 1, &text, &len, err);
	if (rc == 0)
		rc = minisign_pubkey_parse(text, len, pk, err);
	free(text);
	if (rc < 0) {
		fail_recast(err, ERR_SYSTEM);
		return fail_prefix(err, "pinned key %s/" STORE_PUBKEY, st->root);
	}
	return 0;
}

void store_close(struct store *st)
{
	store_unlock(st);
	if (st->rootfd >= 0)
		close(st->rootfd);
	st->rootfd = -1;
	free(st->root);
	st->root = NULL;
}

int store_current_version(struct store *st, char **version, struct err *err)
{
	char buf[512];
	ssize_t n;
	struct stat sb;

	*version = NULL;
	if (fstatat(st->rootfd, STORE_CURRENT, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail_sys(err, "cannot stat %s/current", st->root);
	}
	if (!S_ISLNK(sb.st_mode))
		return fail_kind(err, ERR_SYSTEM,
		                 "%s/current is not a symlink (a real %s); refusing to touch it",
		                 st->root, S_ISDIR(sb.st_mode) ? "directory" : "file");
	n = readlinkat(st->rootfd, STORE_CURRENT, buf, sizeof(buf) - 1);
	if (n < 0)
		return fail_sys(err, "cannot read %s/current", st->root);
	buf[n] = '\0';
	if (strncmp(buf, STORE_RELEASES "/", sizeof(STORE_RELEASES)) ||
	    version_check(buf + sizeof(STORE_RELEASES), err) < 0)
		return fail_kind(err, ERR_SYSTEM,
		                 "%s/current points at %s, not at releases/<version>", st->root,
		                 buf);
	*version = strdup(buf + sizeof(STORE_RELEASES));
	return *version ? 0 : fail_oom(err);
}

char *store_release_dir(const struct store *st, const char *version)
{
	char *p;

	return asprintf(&p, "%s/" STORE_RELEASES "/%s", st->root, version) < 0 ? NULL : p;
}

char *store_env_path(const struct store *st)
{
	char *p;

	return asprintf(&p, "%s/" STORE_ENV, st->root) < 0 ? NULL : p;
}

bool store_is_installed(struct store *st, const char *version)
{
	struct err err;
	char path[512];
	struct stat sb;

	if (version_check(version, &err) < 0)
		return false;
	snprintf(path, sizeof(path), STORE_RELEASES "/%s", version);
	if (fstatat(st->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
		return false;
	snprintf(path, sizeof(path), STORE_META "/%s.json", version);
	return faccessat(st->rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_read_manifest(struct store *st, const char *version, struct manifest **out,
                        struct err *err)
{
	char path[512], *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (version_check(version, err) < 0)
		return -1;
	/* Never through a link in place of releases/<version>: that is no installed release. */
	if (!store_is_installed(st, version))
		return fail_kind(err, ERR_SYSTEM,
		                 "%s/" STORE_RELEASES "/%s is not an installed release", st->root,
		                 version);
	snprintf(path, sizeof(path), STORE_RELEASES "/%s/" MANIFEST_NAME, version);
	if (read_file_big_at(st->rootfd, path, MANIFEST_MAX_BYTES, 1, &text, &len, err) < 0)
		return fail_recast(err, ERR_SYSTEM);
	rc = manifest_parse(text, len, out, err);
	bigmem_free(text);
	if (rc < 0)
		fail_recast(err, ERR_SYSTEM); /* it was checked at install: the store is damaged */
	return rc;
}

int store_current_release(struct store *st, char **version, char **dir, struct manifest **m,
                          struct err *err)
{
	char *v = NULL;

	if (version)
		*version = NULL;
	if (dir)
		*dir = NULL;
	if (m)
		*m = NULL;
	if (store_current_version(st, &v, err) < 0)
		return -1;
	if (!v)
		return fail_kind(
		    err, ERR_SYSTEM,
		    "no release is active in %s (run slipway activate or deploy first)", st->root);
	if (m && store_read_manifest(st, v, m, err) < 0) {
		free(v);
		return -1;
	}
	if (dir && !(*dir = store_release_dir(st, v))) {
		free(v);
		if (m) {
			manifest_free(*m);
			*m = NULL;
		}
		return fail_oom(err);
	}
	if (version)
		*version = v;
	else
		free(v);
	return 0;
}

/* Removes every entry of directory `name` (staging/, trash/). */
static int empty_dir(struct store *st, const char *name, struct err *err)
{
	int fd = openat(st->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : fail_sys(err, "cannot open %s", name);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail_sys(err, "cannot read %s", name);
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    remove_tree_at(dirfd(d), de->d_name, err) < 0)
			rc = -1;
	closedir(d);
	return rc;
}

/* Temporary names in ROOT or meta/: ".current.*" links and write_file_atomic's ".*.tmp-*". */
static int remove_temporaries(struct store *st, const char *name, struct err *err)
{
	int fd = name ? openat(st->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
	              : dup(st->rootfd);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return errno == ENOENT ? 0 : fail_sys(err, "cannot open %s", name);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail_sys(err, "cannot read directory");
	}
	while ((de = readdir(d)))
		if (de->d_name[0] == '.' &&
		    (!strncmp(de->d_name, ".current.", 9) || strstr(de->d_name, ".tmp-")))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return 0;
}

/* meta/<v>.json without releases/<v>: an install that died before its rename, or a prune
 * that died after moving the release to trash. */
static int remove_orphan_records(struct store *st, struct err *err)
{
	int fd = openat(st->rootfd, STORE_META, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return fail_sys(err, "cannot open " STORE_META);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail_sys(err, "cannot read " STORE_META);
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char version[256], path[512];
		struct stat sb;

		if (de->d_name[0] == '.' || n < 6 || n - 5 >= sizeof(version) ||
		    strcmp(de->d_name + n - 5, ".json"))
			continue;
		memcpy(version, de->d_name, n - 5);
		version[n - 5] = '\0';
		snprintf(path, sizeof(path), STORE_RELEASES "/%s", version);
		if (fstatat(st->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return 0;
}

/* releases/<v> still writable: an install that died between its rename and making the
 * top directory read-only (specs/store.md "Immutable releases"). */
static void seal_release_tops(struct store *st)
{
	int fd =
	    openat(st->rootfd, STORE_RELEASES, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat sb;
		int rfd;

		if (de->d_name[0] == '.')
			continue;
		rfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (rfd < 0)
			continue;
		if (fstat(rfd, &sb) == 0 && (sb.st_mode & 0222))
			fchmod(rfd, sb.st_mode & 0555);
		close(rfd);
	}
	closedir(d);
}

int store_sweep(struct store *st, struct err *err)
{
	int rc = 0;

	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM, "internal error: sweep without the store lock");
	if (empty_dir(st, STORE_STAGING, err) < 0 || empty_dir(st, STORE_TRASH, err) < 0)
		rc = -1;
	remove_temporaries(st, NULL, err);
	remove_temporaries(st, STORE_META, err);
	remove_temporaries(st, STORE_SHARED, err);
	if (remove_orphan_records(st, err) < 0)
		rc = -1;
	seal_release_tops(st);
	return rc;
}
