/* store_install (specs/store.md "Install"): the whole route, after the delta route from the
 * archive's frames when it can take it (install_ctx.h). */
#include "release/store/install_ctx.h"
#include "release/base/clock.h"
#include "release/base/fileio.h"
#include "release/sig/provenance.h"
#include "release/sig/reproduced.h"
#include "release/store/carry.h"
#include "release/store/history.h"
#include "release/store/seal.h"
#include "release/store/store_crash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deploying an archive that is still installed switches back to it: through the delivery
 * path that is a downgrade like any other (specs/store.md "Install", guard 4). Allowed when
 * nothing would move (it is `current`), for the newest serial, or with --allow-downgrade. */
static int guard(struct store *st, const struct store_state *state, const char *version,
                 uint64_t serial, struct err *err)
{
	char *cur = NULL;
	bool is_current;

	if (!state->has_high || serial >= state->high_serial)
		return 0;
	if (store_current_version(st, &cur, err) < 0)
		return -1;
	is_current = cur && !strcmp(cur, version);
	free(cur);
	if (is_current)
		return 0;
	return fail(err,
	            "downgrade refused: %s (serial %llu) is installed, but below the highest "
	            "installed serial %llu (version %s); activate it by name (slipway activate "
	            "%s) or pass --allow-downgrade",
	            version, (unsigned long long)serial, (unsigned long long)state->high_serial,
	            state->high_version, version);
}

static int reactivation_guard(struct install_ctx *c, struct err *err)
{
	if (!c->o->activate || c->o->allow_downgrade)
		return 0;
	return guard(c->st, &c->state, c->v.version, c->v.serial, err);
}

/* Whether the record of a release installed from frames names this manifest digest (hex). */
static bool record_names_manifest(const char *record, const char *manifest_sha256)
{
	size_t pl = strlen(INSTALL_RECORD_MANIFEST_PREFIX);

	return manifest_sha256 && manifest_sha256[0] &&
	       !strncmp(record, INSTALL_RECORD_MANIFEST_PREFIX, pl) &&
	       !strcmp(record + pl, manifest_sha256);
}

int store_install_reactivate(struct store *st, const char *version, const char *archive_hash,
                             const char *manifest_sha256, bool allow_downgrade, struct err *err)
{
	struct store_state state = {0};
	struct release_record r = {0};
	int rc = -1;

	if (store_state_read(st, &state, err) < 0)
		return -1;
	if (store_record_read(st, version, &r, err) < 0)
		goto out;
	if (strcmp(r.archive_hash, archive_hash) &&
	    !record_names_manifest(r.archive_hash, manifest_sha256)) {
		fail(err, "version %s is already installed from a different archive", version);
		goto out;
	}
	rc = allow_downgrade ? 0 : guard(st, &state, version, r.serial, err);
out:
	store_record_release(&r);
	store_state_release(&state);
	return rc;
}

/* 1 when an installed release's record names this archive: its BLAKE2b-512, or, for a release
 * installed from frames (INSTALL_RECORD_MANIFEST_PREFIX), the manifest the archive's
 * authenticated comment names: one signed manifest pins every file, so it is the same tree.
 * 0 when it names another; -1 with err. */
static int record_names_archive(const char *record, struct verified_archive *v, struct err *err)
{
	char hex[65];
	int r;

	if (!strncmp(record, INSTALL_RECORD_MANIFEST_PREFIX,
	             strlen(INSTALL_RECORD_MANIFEST_PREFIX))) {
		if ((r = verified_signed_manifest(v, hex, err)) != 0)
			return r < 0 ? -1 : 0;
		return record_names_manifest(record, hex);
	}
	if (!v->hash_hex[0] && verified_hash_file(v, err) < 0)
		return -1;
	return !strcmp(record, v->hash_hex);
}

/* Returns 1 when the same archive is already installed (nothing to do), 0 to go on. */
static int downgrade_guard(struct install_ctx *c, struct err *err)
{
	if (store_state_read(c->st, &c->state, err) < 0)
		return -1;
	if (c->state.app[0] && strcmp(c->state.app, c->v.app))
		return fail(err, "the archive is for app %s, this store holds app %s", c->v.app,
		            c->state.app);
	if (store_is_installed(c->st, c->v.version)) {
		struct release_record r;
		int same;

		if (store_record_read(c->st, c->v.version, &r, err) < 0)
			return -1;
		same = record_names_archive(r.archive_hash, &c->v, err);
		store_record_release(&r);
		if (same < 0)
			return -1;
		if (!same)
			return fail(err, "version %s is already installed from a different archive",
			            c->v.version);
		c->res->already_installed = true;
		return reactivation_guard(c, err) < 0 ? -1 : 1;
	}
	if (!c->state.has_high || c->v.serial > c->state.high_serial)
		return 0;
	if (c->v.serial == c->state.high_serial) {
		int same = record_names_archive(c->state.high_hash, &c->v, err);

		if (same < 0)
			return -1;
		if (same)
			return 0; /* the same archive again, e.g. after an interrupted install */
	}
	if (!c->o->allow_downgrade)
		return fail(err,
		            "downgrade refused: serial %llu %s the highest installed serial %llu "
		            "(version %s); pass --allow-downgrade to install it anyway",
		            (unsigned long long)c->v.serial,
		            c->v.serial == c->state.high_serial
		                ? "is already used by a different archive at"
		                : "is below",
		            (unsigned long long)c->state.high_serial, c->state.high_version);
	c->res->downgrade = true;
	return 0;
}

/* Read-only files, writeback as each is closed, links to identical files of installed
 * releases (specs/store.md "Install", "Delta install", "Immutable releases"). */
static void place_files(struct install_ctx *c)
{
	struct extract_placement p = {
	    .read_only = true,
	    .writeback = true,
	    .progress = c->o->progress,
	    .progress_ctx = c->o->progress_ctx,
	    .link = delta_link,
	    .link_ctx = c->delta,
	};

	extractor_set_placement(c->v.x, &p);
}

/* The keyring the archive carries, adopted before the archive is judged: a valid newer
 * version stays adopted whatever the archive turns out to be (specs/trust.md). */
static int adopt_keyring(struct install_ctx *c, struct err *err)
{
	char *path = NULL;
	int rc;

	if (c->o->keyring_path)
		return store_trust_adopt_file(c->st, &c->trust, c->o->keyring_path, false,
		                              &c->res->keyring_adopted, err);
	if (asprintf(&path, "%s" KEYRING_SUFFIX, c->archive) < 0)
		return fail_oom(err);
	rc = store_trust_adopt_file(c->st, &c->trust, path, true, &c->res->keyring_adopted, err);
	free(path);
	return rc;
}

/* The file a keyring policy asks for: `given` (an install option), else the archive's path
 * with `suffix`, read whole (at most `max` bytes) into *text. *path is set (the caller frees
 * it) unless memory ran out. A file that cannot be read is a refusal (ERR_REFUSED). */
static int read_policy_file(const struct install_ctx *c, const char *given, const char *suffix,
                            size_t max, char **path, char **text, size_t *len, struct err *err)
{
	if (given)
		*path = strdup(given);
	else if (asprintf(path, "%s%s", c->archive, suffix) < 0)
		*path = NULL;
	if (!*path)
		return fail_oom(err);
	if (read_file_at(AT_FDCWD, *path, max, 0, text, len, err) < 0) {
		fail_recast(err, ERR_REFUSED);
		return -1;
	}
	return 0;
}

/* The keyring's provenance policy, when it has one, before libarchive reads a byte. */
static int check_provenance(struct install_ctx *c, struct err *err)
{
	char sha[65], *path = NULL, *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (!keyring_policy_active(&c->trust.kr))
		return 0;
	if (read_policy_file(c, c->o->provenance_path, PROVENANCE_SUFFIX, PROVENANCE_FILE_MAX,
	                     &path, &text, &len, err) < 0) {
		if (!path)
			return -1;
		fail_prefix(err, "keyring version %llu requires provenance",
		            (unsigned long long)c->trust.kr.version);
		goto out;
	}
	if (verified_sha256(&c->v, sha, err) < 0)
		goto out;
	if (provenance_check(text, len, &c->trust.kr, sha, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

/* The keyring's reproduction policy, when it has one, before libarchive reads a byte. */
static int check_reproductions(struct install_ctx *c, struct err *err)
{
	const struct keyring *kr = &c->trust.kr;
	char sha[65], *path = NULL, *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (!kr->reproductions.required)
		return 0;
	if (read_policy_file(c, c->o->reproduced_path, REPRODUCED_SUFFIX, REPRODUCED_FILE_MAX,
	                     &path, &text, &len, err) < 0) {
		if (!path)
			return -1;
		fail_prefix(err, "keyring version %llu requires %llu reproduction%s",
		            (unsigned long long)kr->version,
		            (unsigned long long)kr->reproductions.required,
		            kr->reproductions.required == 1 ? "" : "s");
		goto out;
	}
	if (verified_sha256(&c->v, sha, err) < 0 ||
	    reproduced_check(text, len, path, kr, sha, err) < 0)
		goto out;
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

int store_install(struct store *st, const char *archive, const struct install_opts *o,
                  struct install_result *res, struct err *err)
{
	struct install_ctx c = {.st = st, .archive = archive, .o = o, .res = res, .stagingfd = -1};
	int rc = -1, r;

	memset(res, 0, sizeof(*res));
	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM, "internal error: install without the store lock");
	if (store_trust_load(st, &c.trust, err) < 0 || adopt_keyring(&c, err) < 0)
		goto out;
	res->keyring_version = c.trust.kr.version;
	if ((r = install_local_frames(&c, err)) <= 0) {
		rc = r;
		goto out;
	}
	if (verified_open(&c.v, archive, o->sig_path, &c.trust.kr, err) < 0 ||
	    check_provenance(&c, err) < 0 || check_reproductions(&c, err) < 0)
		goto out;
	res->serial = c.v.serial;
	res->version = strdup(c.v.version);
	if (!res->version) {
		fail_oom(err);
		goto out;
	}
	crashpoint("install-after-verify");
	r = downgrade_guard(&c, err);
	if (r != 0) {
		rc = r > 0 ? 0 : -1;
		goto out;
	}
	if (delta_open(st, c.v.version, &c.delta, err) < 0)
		goto out;
	if (install_make_staging(&c, err) < 0)
		goto out;
	if (verified_read_manifest(&c.v, &o->limits, err) < 0)
		goto out;
	c.app = c.v.app;
	c.version = c.v.version;
	c.serial = c.v.serial;
	c.m = c.v.m;
	place_files(&c);
	crashpoint("install-before-unpack");
	/* Static assets carried in while the tree is still writable, then sealed. */
	if (verified_unpack(&c.v, c.stagingfd, err) < 0 ||
	    store_carry_in(st, c.stagingfd, c.v.m, NULL, err) < 0 ||
	    seal_tree(c.stagingfd, c.v.m, err) < 0)
		goto out;
	extractor_stats(c.v.x, &res->entries, &res->bytes);
	delta_stats(c.delta, &res->linked, &res->linked_bytes);
	c.hash = c.v.hash_hex; /* known once the unpack has read every byte */
	if (install_commit(&c, err) < 0)
		goto out;
	/* Installed: lending its assets to the other releases is best effort (store_carry_out). */
	store_carry_out(st, c.v.version, c.v.m, NULL, &(struct err){0});
	rc = 0;
out:
	if (rc < 0 && c.stagingfd >= 0) {
		struct err e2;

		remove_tree_at(st->rootfd, c.staging, &e2);
	}
	if (c.stagingfd >= 0)
		close(c.stagingfd);
	store_state_release(&c.state);
	verified_close(&c.v);
	store_trust_release(&c.trust);
	delta_free(c.delta);
	return rc;
}
