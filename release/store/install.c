/* store_install (specs/store.md "Install"). */
#include "release/store/install.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/history.h"
#include "release/manifest/manifest_check.h"
#include "release/sig/minisign.h"
#include "release/store/store_crash.h"
#include "release/store/store_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_BYTES 64 /* BLAKE2b-512, the hash minisign's "ED" signatures sign */

struct install_ctx {
	struct store *st;
	const char *archive;
	const struct install_opts *o;
	struct install_result *res;
	int fd;
	char *sig_text;
	size_t sig_len;
	struct minisign_pubkey pk;
	struct minisign_sig sig;
	char *tc, *tc_app, *tc_version;
	uint64_t tc_serial;
	struct store_state state;
	char hash_hex[2 * HASH_BYTES + 1]; /* "" until known */
	EVP_MD_CTX *stream_hash;
	struct extractor *x;
	const struct manifest *m; /* owned by x */
	char staging[64];         /* name inside ROOT/staging */
	int stagingfd;
};

static void to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* BLAKE2b-512 of the whole file with pread (position untouched): only needed before
 * extraction when the archive must be compared with one installed earlier. */
static int hash_file(struct install_ctx *c, struct err *err)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], digest[HASH_BYTES];
	off_t off = 0;
	ssize_t n;

	if (!h || !EVP_DigestInit_ex(h, EVP_blake2b512(), NULL)) {
		EVP_MD_CTX_free(h);
		return fail_kind(err, ERR_SYSTEM, "BLAKE2b-512 unavailable");
	}
	while ((n = pread(c->fd, buf, sizeof(buf), off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			EVP_MD_CTX_free(h);
			return fail_sys(err, "cannot read %s", c->archive);
		}
		EVP_DigestUpdate(h, buf, (size_t)n);
		off += n;
	}
	EVP_DigestFinal_ex(h, digest, NULL);
	EVP_MD_CTX_free(h);
	to_hex(digest, HASH_BYTES, c->hash_hex);
	return 0;
}

static void observe_raw(void *ctx, const void *buf, size_t len)
{
	EVP_DigestUpdate(((struct install_ctx *)ctx)->stream_hash, buf, len);
}

static int load_signature(struct install_ctx *c, struct err *err)
{
	char *sig_default = NULL;
	const char *sig_path = c->o->sig_path;
	int rc;

	if (store_pinned_key(c->st, &c->pk, err) < 0)
		return -1;
	if (!sig_path) {
		if (asprintf(&sig_default, "%s.minisig", c->archive) < 0)
			return fail_oom(err);
		sig_path = sig_default;
	}
	rc = read_file_at(AT_FDCWD, sig_path, MINISIGN_SIGFILE_MAX, 0, &c->sig_text, &c->sig_len,
	                  err);
	if (rc < 0) {
		/* No signature is a verdict (exit 1); an unreadable one is the system's. */
		if (errno == ENOENT)
			fail_recast(err, ERR_REFUSED);
		fail_prefix(err, "signature");
	}
	free(sig_default);
	return rc;
}

static int parse_serial(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 16 || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (v > MANIFEST_MAX_SERIAL)
		return -1;
	*out = v;
	return 0;
}

static int verify_and_read_comment(struct install_ctx *c, struct err *err)
{
	struct err e2;
	char *serial = NULL;

	/* Before libarchive sees a byte: the same descriptor is handed to it afterwards. */
	int r = minisign_verify_fd(&c->pk, c->sig_text, c->sig_len, c->fd, 0, &c->tc, err);

	if (r < 0)
		return fail_prefix(err, "%s", c->archive);
	if (minisign_sig_parse(c->sig_text, c->sig_len, &c->sig, err) < 0)
		return -1;
	if (minisign_comment_get(c->tc, "app", &c->tc_app, &e2) < 0 ||
	    minisign_comment_get(c->tc, "version", &c->tc_version, &e2) < 0 ||
	    minisign_comment_get(c->tc, "serial", &serial, &e2) < 0) {
		free(serial);
		return fail(err,
		            "the signed trusted comment lacks app:, version: or serial: (%s); "
		            "sign releases with slipway pack or slipway sign -t",
		            e2.msg);
	}
	if (parse_serial(serial, &c->tc_serial) < 0 || version_check(c->tc_version, &e2) < 0) {
		free(serial);
		return fail(err, "the signed trusted comment has an invalid version or serial");
	}
	free(serial);
	c->res->serial = c->tc_serial;
	c->res->version = strdup(c->tc_version);
	return c->res->version ? 0 : fail_oom(err);
}

/* Returns 1 when the same archive is already installed (nothing to do), 0 to go on. */
static int downgrade_guard(struct install_ctx *c, struct err *err)
{
	if (state_read(c->st, &c->state, err) < 0)
		return -1;
	if (c->state.app[0] && strcmp(c->state.app, c->tc_app))
		return fail(err, "the archive is for app %s, this store holds app %s", c->tc_app,
		            c->state.app);
	if (store_is_installed(c->st, c->tc_version)) {
		struct release_record r;
		int same;

		if (record_read(c->st, c->tc_version, &r, err) < 0 || hash_file(c, err) < 0) {
			record_release(&r);
			return -1;
		}
		same = !strcmp(r.archive_hash, c->hash_hex);
		record_release(&r);
		if (!same)
			return fail(err, "version %s is already installed from a different archive",
			            c->tc_version);
		c->res->already_installed = true;
		return 1;
	}
	if (!c->state.has_high || c->tc_serial > c->state.high_serial)
		return 0;
	if (c->tc_serial == c->state.high_serial) {
		if (!c->hash_hex[0] && hash_file(c, err) < 0)
			return -1;
		if (!strcmp(c->hash_hex, c->state.high_hash))
			return 0; /* the same archive again, e.g. after an interrupted install */
	}
	if (!c->o->allow_downgrade)
		return fail(err,
		            "downgrade refused: serial %llu %s the highest installed serial %llu "
		            "(version %s); pass --allow-downgrade to install it anyway",
		            (unsigned long long)c->tc_serial,
		            c->tc_serial == c->state.high_serial
		                ? "is already used by a different archive at"
		                : "is below",
		            (unsigned long long)c->state.high_serial, c->state.high_version);
	c->res->downgrade = true;
	return 0;
}

static int make_staging(struct install_ctx *c, struct err *err)
{
	for (int i = 0; i < 100; i++) {
		snprintf(c->staging, sizeof(c->staging), STORE_STAGING "/%ld.%d", (long)getpid(),
		         i);
		if (mkdirat(c->st->rootfd, c->staging, 0700) == 0)
			break;
		if (errno != EEXIST)
			return fail_sys(err, "cannot create %s/%s", c->st->root, c->staging);
	}
	c->stagingfd =
	    openat(c->st->rootfd, c->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->stagingfd < 0)
		return fail_sys(err, "cannot open %s/%s", c->st->root, c->staging);
	return 0;
}

static int check_manifest_agrees(struct install_ctx *c, const struct manifest *m, struct err *err)
{
	if (strcmp(m->app, c->tc_app))
		return fail(err, "the manifest says app %s, the signature says %s", m->app,
		            c->tc_app);
	if (strcmp(m->version, c->tc_version))
		return fail(err, "the manifest says version %s, the signature says %s", m->version,
		            c->tc_version);
	if (m->serial != c->tc_serial)
		return fail(err, "the manifest says serial %llu, the signature says %llu",
		            (unsigned long long)m->serial, (unsigned long long)c->tc_serial);
	return 0;
}

/* The signature, once more, over the bytes libarchive actually read: the file may have been
 * rewritten in place after the first check. */
static int verify_stream(struct install_ctx *c, struct err *err)
{
	unsigned char digest[HASH_BYTES];
	struct err e2;

	EVP_DigestFinal_ex(c->stream_hash, digest, NULL);
	to_hex(digest, HASH_BYTES, c->hash_hex);
	if (minisign_sig_check_digest(&c->pk, &c->sig, digest, &e2) < 0)
		return fail(err, "%s changed while it was being installed (%s)", c->archive,
		            e2.msg);
	return 0;
}

static int commit(struct install_ctx *c, struct err *err)
{
	struct release_record r = {0};
	struct history_event ev = {.action = "install"};
	const struct manifest *m = c->m;
	char now[21], final[512];
	int rc;

	if (fchmod(c->stagingfd, 0755) < 0)
		return fail_sys(err, "cannot chmod staging");
	if (syncfs(c->stagingfd) < 0)
		return fail_sys(err, "cannot sync %s", c->st->root);
	crashpoint("install-after-sync");
	store_now(now);
	r.version = c->tc_version;
	r.app = c->tc_app;
	r.serial = c->tc_serial;
	r.commit = m->commit;
	r.archive_hash = c->hash_hex;
	r.installed_at = now;
	r.downgrade = c->res->downgrade;
	r.bad_reason = "";
	if (record_write(c->st, &r, err) < 0)
		return -1;
	crashpoint("install-after-record");
	if (!c->state.has_high || c->tc_serial > c->state.high_serial) {
		struct store_state s = {.app = c->tc_app,
		                        .has_high = true,
		                        .high_serial = c->tc_serial,
		                        .high_hash = c->hash_hex,
		                        .high_version = c->tc_version};

		if (state_write(c->st, &s, err) < 0)
			return -1;
	}
	crashpoint("install-after-state");
	snprintf(final, sizeof(final), STORE_RELEASES "/%s", c->tc_version);
	rc = renameat2(c->st->rootfd, c->staging, c->st->rootfd, final, RENAME_NOREPLACE);
	if (rc < 0)
		return fail_sys(err, "cannot rename staging to %s/%s", c->st->root, final);
	if (fsync_dir_at(c->st->rootfd, STORE_RELEASES, err) < 0)
		return -1;
	crashpoint("install-after-rename");
	ev.version = c->tc_version;
	ev.serial = c->tc_serial;
	ev.archive_hash = c->hash_hex;
	ev.downgrade = c->res->downgrade;
	if (history_append(c->st, &ev, err) < 0)
		return fail_prefix(err, "%s is installed but the history was not written",
		                   c->tc_version);
	crashpoint("install-after-history");
	return 0;
}

int store_install(struct store *st, const char *archive, const struct install_opts *o,
                  struct install_result *res, struct err *err)
{
	struct install_ctx c = {
	    .st = st, .archive = archive, .o = o, .res = res, .fd = -1, .stagingfd = -1};
	struct stat sb;
	int rc = -1, r;

	memset(res, 0, sizeof(*res));
	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM, "internal error: install without the store lock");
	c.fd = open(archive, O_RDONLY | O_CLOEXEC);
	if (c.fd < 0)
		return fail_sys(err, "cannot open %s", archive);
	if (fstat(c.fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fail_kind(err, ERR_SYSTEM, "%s: not a regular file", archive);
		goto out;
	}
	if (load_signature(&c, err) < 0 || verify_and_read_comment(&c, err) < 0)
		goto out;
	crashpoint("install-after-verify");
	r = downgrade_guard(&c, err);
	if (r != 0) {
		rc = r > 0 ? 0 : -1;
		goto out;
	}
	if (make_staging(&c, err) < 0)
		goto out;
	c.stream_hash = EVP_MD_CTX_new();
	if (!c.stream_hash || !EVP_DigestInit_ex(c.stream_hash, EVP_blake2b512(), NULL)) {
		fail_kind(err, ERR_SYSTEM, "BLAKE2b-512 unavailable");
		goto out;
	}
	if (extractor_new(c.fd, &o->limits, observe_raw, &c, &c.x, err) < 0 ||
	    extractor_read_manifest(c.x, &c.m, err) < 0) {
		fail_prefix(err, "%s", archive);
		goto out;
	}
	if (check_manifest_agrees(&c, c.m, err) < 0)
		goto out;
	crashpoint("install-before-unpack");
	if (extractor_unpack(c.x, c.stagingfd, err) < 0) {
		fail_prefix(err, "%s", archive);
		goto out;
	}
	extractor_stats(c.x, &res->entries, &res->bytes);
	if (verify_stream(&c, err) < 0 || commit(&c, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && c.stagingfd >= 0) {
		struct err e2;

		remove_tree_at(st->rootfd, c.staging, &e2);
	}
	if (c.stagingfd >= 0)
		close(c.stagingfd);
	extractor_free(c.x);
	EVP_MD_CTX_free(c.stream_hash);
	state_release(&c.state);
	minisign_sig_release(&c.sig);
	free(c.sig_text);
	free(c.tc);
	free(c.tc_app);
	free(c.tc_version);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
