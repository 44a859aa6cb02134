/* store_install (specs/store.md "Install"). */
#include "release/store/install.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/archive_digest.h"
#include "release/store/carry.h"
#include "release/store/history.h"
#include "release/store/install_patches.h"
#include "release/sig/minisign.h"
#include "release/store/delta.h"
#include "release/store/framefiles.h"
#include "release/store/frameplan.h"
#include "release/store/signed_release.h"
#include "release/store/tarlayout.h"
#include "release/base/checked.h"
#include "release/base/seektable.h"
#include "release/store/seal.h"
#include "release/store/store_crash.h"
#include "release/store/store_meta.h"
#include "release/sig/provenance.h"
#include "release/sig/reproduced.h"
#include "release/store/trust.h"
#include "release/store/verified.h"
#include "release/base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct install_ctx {
	struct store *st;
	const char *archive;
	const struct install_opts *o;
	struct install_result *res;
	struct store_trust trust;
	struct verified_archive v;
	struct store_state state;
	/* What the record and history say: from the verified archive, or from the signature
	 * and manifest of a release installed from frames. */
	char *app, *version, *hash; /* borrowed */
	uint64_t serial;
	const struct manifest *m;
	char staging[64]; /* name inside ROOT/staging */
	int stagingfd;
	struct delta *delta;
};

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

static int commit(struct install_ctx *c, struct err *err)
{
	struct release_record r = {0};
	struct history_event ev = {.action = "install"};
	const struct manifest *m = c->m;
	char now[CLOCK_ISO_SIZE], final[512];
	int rc;

	if (fchmod(c->stagingfd, 0755) < 0)
		return fail_sys(err, "cannot chmod staging");
	if (syncfs(c->stagingfd) < 0)
		return fail_sys(err, "cannot sync %s", c->st->root);
	crashpoint("install-after-sync");
	clock_iso_utc(time(NULL), now);
	r.version = c->version;
	r.app = c->app;
	r.serial = c->serial;
	r.commit = m->commit;
	r.archive_hash = c->hash;
	r.installed_at = now;
	r.downgrade = c->res->downgrade;
	r.bad_reason = "";
	if (store_record_write(c->st, &r, err) < 0)
		return -1;
	crashpoint("install-after-record");
	if (!c->state.has_high || c->serial > c->state.high_serial) {
		struct store_state s = {.app = c->app,
		                        .has_high = true,
		                        .high_serial = c->serial,
		                        .high_hash = c->hash,
		                        .high_version = c->version};

		if (store_state_write(c->st, &s, err) < 0)
			return -1;
	}
	crashpoint("install-after-state");
	snprintf(final, sizeof(final), STORE_RELEASES "/%s", c->version);
	rc = renameat2(c->st->rootfd, c->staging, c->st->rootfd, final, RENAME_NOREPLACE);
	if (rc < 0)
		return fail_sys(err, "cannot rename staging to %s/%s", c->st->root, final);
	if (fsync_dir_at(c->st->rootfd, STORE_RELEASES, err) < 0)
		return -1;
	crashpoint("install-after-rename");
	/* Read-only like the rest of the tree now that it has moved (moving a directory needs
	 * write permission on it). Lost in a crash, the sweep does it again. */
	if (fchmod(c->stagingfd, 0555) < 0)
		return fail_sys(err, "cannot make %s/%s read-only", c->st->root, final);
	ev.version = c->version;
	ev.serial = c->serial;
	ev.archive_hash = c->hash;
	ev.downgrade = c->res->downgrade;
	if (history_append(c->st, &ev, err) < 0)
		return fail_prefix(err, "%s is installed but the history was not written",
		                   c->version);
	crashpoint("install-after-history");
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

/* The keyring's provenance policy, when it has one, before libarchive reads a byte. */
static int check_provenance(struct install_ctx *c, struct err *err)
{
	char sha[65], *path = NULL, *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (!keyring_policy_active(&c->trust.kr))
		return 0;
	if (c->o->provenance_path)
		path = strdup(c->o->provenance_path);
	else if (asprintf(&path, "%s" PROVENANCE_SUFFIX, c->archive) < 0)
		path = NULL;
	if (!path)
		return fail_oom(err);
	if (read_file_at(AT_FDCWD, path, PROVENANCE_FILE_MAX, 0, &text, &len, err) < 0) {
		fail_recast(err, ERR_REFUSED);
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
	if (c->o->reproduced_path)
		path = strdup(c->o->reproduced_path);
	else if (asprintf(&path, "%s" REPRODUCED_SUFFIX, c->archive) < 0)
		path = NULL;
	if (!path)
		return fail_oom(err);
	if (read_file_at(AT_FDCWD, path, REPRODUCED_FILE_MAX, 0, &text, &len, err) < 0) {
		fail_recast(err, ERR_REFUSED);
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

static int local_frames(struct install_ctx *c, struct err *err);

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
	if ((r = local_frames(&c, err)) <= 0) {
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
	if (make_staging(&c, err) < 0)
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
	if (commit(&c, err) < 0)
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

/* ---- from a partial set of frames (install.h) ---- */

struct frames_ctx {
	struct install_ctx *c;
	const struct install_frames_opts *o;
	const struct extract_limits *limits;
	struct install_frames_stats *fs;
	struct signed_release sr;
	char *sig_text, *json;
	size_t sig_len, json_len;
	struct manifest *m;
	struct seek_frame *table;
	struct frame_map fm;
	struct tar_layout l;
	struct frame_plan plan;
	bool *need;
	char hash[sizeof(INSTALL_RECORD_MANIFEST_PREFIX) + 2 * MANIFEST_DIGEST_BYTES];
	const char *record_hash; /* what the record names: hash, or the whole archive's digest */
	struct frame_write_stats written;
};

static int whole(struct frames_ctx *f, const char *why)
{
	snprintf(f->fs->whole_why, sizeof(f->fs->whole_why), "%s", why);
	return 1;
}

static int fetch_ranges(struct frames_ctx *f, const struct install_range *v, size_t n,
                        struct err *err)
{
	int r = n && f->o->fetch ? f->o->fetch(f->o->fetch_ctx, f->o->fd, v, n, err) : 0;

	f->fs->ranges += n;
	for (size_t i = 0; r == 0 && i < n; i++)
		f->fs->bytes_fetched += v[i].length;
	return r;
}

static int fetch_range(struct frames_ctx *f, uint64_t offset, uint64_t length, struct err *err)
{
	struct install_range one = {offset, length};

	return fetch_ranges(f, &one, 1, err);
}

/* The downgrade guard of a release known by its signature: 1 when the whole archive is to be
 * judged by store_install (its version or serial is installed: the same archive again or
 * another, which only the whole archive's digest tells). */
static int frames_guard(struct frames_ctx *f, struct err *err)
{
	struct install_ctx *c = f->c;

	if (store_state_read(c->st, &c->state, err) < 0)
		return -1;
	if (c->state.app[0] && strcmp(c->state.app, f->sr.app))
		return fail(err, "the archive is for app %s, this store holds app %s", f->sr.app,
		            c->state.app);
	if (store_is_installed(c->st, f->sr.version))
		return whole(f, "this version is installed already");
	if (!c->state.has_high || f->sr.serial > c->state.high_serial)
		return 0;
	if (f->sr.serial == c->state.high_serial)
		return whole(f, "this serial is installed already");
	if (f->o->allow_downgrade)
		return whole(f, "a downgrade, allowed: judged on the whole archive");
	return fail(err,
	            "downgrade refused: serial %llu is below the highest installed serial %llu "
	            "(version %s)",
	            (unsigned long long)f->sr.serial, (unsigned long long)c->state.high_serial,
	            c->state.high_version);
}

/* The extractor's limits (extract.h), before the layout is computed: entries, the sum of
 * the files' sizes, and what they come to per byte of the archive. */
static int frames_limits(const struct manifest *m, const struct extract_limits *lim,
                         uint64_t archive_size, struct err *err)
{
	uint64_t total = 0;

	if (m->n_files + 1 > lim->max_entries)
		return fail(err, "the manifest lists %zu entries, more than the limit %llu",
		            m->n_files + 1, (unsigned long long)lim->max_entries);
	for (size_t i = 0; i < m->n_files; i++)
		total = sat_add(total, m->files[i].size);
	if (total > lim->max_bytes)
		return fail(err, "the manifest lists %llu bytes of files, more than the limit %llu",
		            (unsigned long long)total, (unsigned long long)lim->max_bytes);
	if (total / (lim->max_ratio ? lim->max_ratio : 1) > archive_size)
		return fail(err,
		            "the manifest lists %llu bytes of files in an archive of %llu bytes, "
		            "more than %llu times its size",
		            (unsigned long long)total, (unsigned long long)archive_size,
		            (unsigned long long)lim->max_ratio);
	return 0;
}

/* The seek table from the archive's tail, then frame 0 and the manifest it holds, which
 * must be the one the signed comment names (f->hash: the record's digest of it; f->need
 * allocated for its layout). 1: not an archive this reader can split. */
static int frames_manifest(struct frames_ctx *f, struct err *err)
{
	uint64_t size = f->o->archive_size, tsize = f->o->seek_table_size;
	uint8_t *tail = NULL, *frame0 = NULL;
	size_t n, len;
	int r = -1;

	if (tsize < seektable_size(1) || tsize >= size ||
	    (tsize - seektable_size(0)) % SEEKTABLE_ENTRY_BYTES)
		return whole(f, "the archive has no seek table");
	n = (size_t)((tsize - seektable_size(0)) / SEEKTABLE_ENTRY_BYTES);
	if (n > SEEKTABLE_MAX_FRAMES)
		return fail(err, "the index's seek table names %zu frames (at most %u)", n,
		            SEEKTABLE_MAX_FRAMES);
	if ((r = fetch_range(f, size - tsize, tsize, err)) != 0)
		return r > 0 ? whole(f, "the server ignores HTTP Range") : -1;
	r = -1;
	tail = malloc(tsize);
	f->table = calloc(n, sizeof(*f->table));
	if (!tail || !f->table) {
		fail_oom(err);
		goto out;
	}
	if (pread(f->o->fd, tail, tsize, (off_t)(size - tsize)) != (ssize_t)tsize) {
		fail_sys(err, "cannot read the seek table");
		goto out;
	}
	if (seektable_parse(tail, tsize, n, f->table, err) < 0 ||
	    frame_map_build(f->table, n, size, tsize, &f->fm, err) < 0)
		goto out;
	f->fs->frames = n;
	if ((r = fetch_range(f, 0, f->fm.coff[1], err)) != 0) {
		r = r > 0 ? whole(f, "the server ignores HTTP Range") : -1;
		goto out;
	}
	r = -1;
	f->fs->frames_fetched = 1;
	if (frame_decode(f->o->fd, &f->fm, 0, &frame0, &len, err) < 0 ||
	    frame_manifest(frame0, len, &f->json, &f->json_len, err) < 0 ||
	    signed_release_manifest(&f->sr, f->json, f->json_len, &f->m, err) < 0 ||
	    frames_limits(f->m, f->limits, size, err) < 0 ||
	    tar_layout_compute(f->m, f->json_len, &f->l, err) < 0)
		goto out;
	if (f->l.total != f->fm.doff[f->fm.n]) {
		r = whole(f, "the archive's tar layout is not this reader's");
		goto out;
	}
	if (!(f->need = calloc(f->l.n, sizeof(bool)))) {
		fail_oom(err);
		goto out;
	}
	snprintf(f->hash, sizeof(f->hash), INSTALL_RECORD_MANIFEST_PREFIX "%s", "");
	for (size_t i = 0; i < MANIFEST_DIGEST_BYTES; i++)
		sprintf(f->hash + strlen(INSTALL_RECORD_MANIFEST_PREFIX) + 2 * i, "%02x",
		        f->sr.manifest_sha256[i]);
	r = 0;
out:
	free(tail);
	free(frame0);
	return r;
}

static int frames_fetch_and_write(struct frames_ctx *f, struct err *err)
{
	struct install_range *v;
	int r;

	if (frame_plan_make(&f->l, &f->fm, f->need, &f->plan, err) < 0)
		return -1;
	if (!(v = calloc(f->plan.n_runs + 1, sizeof(*v))))
		return fail_oom(err);
	for (size_t i = 0; i < f->plan.n_runs; i++) {
		v[i].offset = f->plan.run[i].offset;
		v[i].length = f->plan.run[i].length;
		f->fs->frames_fetched += f->plan.run[i].count - (f->plan.run[i].first == 0);
	}
	r = fetch_ranges(f, v, f->plan.n_runs, err);
	free(v);
	if (r != 0)
		return r > 0 ? whole(f, "the server ignores HTTP Range") : -1;
	r = frame_files_write(f->o->fd, &f->fm, &f->plan, &f->l, f->m, f->need, NULL,
	                      f->c->stagingfd, &f->written, err);
	f->fs->written_bytes = f->written.written_bytes;
	return r;
}

/* The tree is complete: carry, seal, record, rename, history (as store_install). */
static int frames_commit(struct frames_ctx *f, struct err *err)
{
	struct install_ctx *c = f->c;

	if (store_carry_in(c->st, c->stagingfd, f->m, NULL, err) < 0 ||
	    seal_tree(c->stagingfd, f->m, err) < 0)
		return -1;
	c->res->entries = f->m->n_files + 1;
	for (size_t i = 0; i < f->m->n_files; i++)
		c->res->bytes += f->m->files[i].size;
	c->app = f->sr.app;
	c->version = f->sr.version;
	c->serial = f->sr.serial;
	c->m = f->m;
	c->hash = f->record_hash ? (char *)f->record_hash : f->hash;
	if (commit(c, err) < 0)
		return -1;
	store_carry_out(c->st, f->sr.version, f->m, NULL, &(struct err){0});
	return 0;
}

/* From frame 0 to the record: the manifest, the tree placed (links, patch set), the frames of
 * the files still missing fetched and written, then carry, seal, record, rename, history.
 * 1: deliver the whole archive instead (nothing staged). The caller removes a staging
 * directory left by a failure. */
static int frames_build(struct frames_ctx *f, struct err *err)
{
	struct install_ctx *c = f->c;
	int r;

	if ((r = frames_manifest(f, err)) != 0)
		return r;
	crashpoint("install-before-unpack");
	if (make_staging(c, err) < 0 ||
	    frame_tree_place(c->stagingfd, f->m, c->delta, f->need, &c->res->linked,
	                     &c->res->linked_bytes, NULL, err) < 0 ||
	    install_patches_apply(f->o, f->m, f->hash + strlen(INSTALL_RECORD_MANIFEST_PREFIX),
	                          c->delta, f->need, c->stagingfd, &f->fs->patched, err) < 0)
		return -1;
	if ((r = frames_fetch_and_write(f, err)) != 0)
		return r;
	return frames_commit(f, err);
}

static void frames_release(struct frames_ctx *f)
{
	signed_release_release(&f->sr);
	manifest_free(f->m);
	free(f->sig_text);
	free(f->json);
	free(f->table);
	free(f->need);
	frame_map_release(&f->fm);
	tar_layout_release(&f->l);
	frame_plan_release(&f->plan);
}

int store_install_frames(struct store *st, const struct install_frames_opts *o,
                         struct install_result *res, struct install_frames_stats *fs,
                         struct err *err)
{
	struct install_ctx ctx = {.st = st, .res = res, .stagingfd = -1}, *c = &ctx;
	struct extract_limits lim;
	struct frames_ctx f = {.c = c, .o = o, .fs = fs, .limits = &lim};
	int rc = -1, r;

	memset(res, 0, sizeof(*res));
	memset(fs, 0, sizeof(*fs));
	extract_limits_default(&lim);
	if (st->lockfd < 0)
		return fail_kind(err, ERR_SYSTEM, "internal error: install without the store lock");
	if (store_trust_load(st, &c->trust, err) < 0)
		goto out;
	if (o->keyring_path && store_trust_adopt_file(st, &c->trust, o->keyring_path, false,
	                                              &res->keyring_adopted, err) < 0)
		goto out;
	res->keyring_version = c->trust.kr.version;
	if (keyring_policy_active(&c->trust.kr) || c->trust.kr.reproductions.required) {
		rc = whole(&f, "the keyring's policy judges the whole archive's digest");
		goto out;
	}
	if (minisign_sig_read(o->sig_path, &f.sig_text, &f.sig_len, err) < 0 ||
	    signed_release_open(&c->trust.kr, f.sig_text, f.sig_len, NULL, &f.sr, err) < 0) {
		fail_prefix(err, "%s", o->sig_path);
		goto out;
	}
	res->serial = f.sr.serial;
	if (!(res->version = strdup(f.sr.version))) {
		fail_oom(err);
		goto out;
	}
	if ((r = frames_guard(&f, err)) != 0) {
		rc = r;
		goto out;
	}
	if (delta_open(st, f.sr.version, &c->delta, err) < 0)
		goto out;
	if (delta_sources(c->delta) == 0) {
		rc = whole(&f, "no installed release to reuse files from");
		goto out;
	}
	rc = frames_build(&f, err);
out:
	if (rc != 0 && c->stagingfd >= 0) {
		struct err e2;

		remove_tree_at(st->rootfd, c->staging, &e2);
	}
	if (c->stagingfd >= 0)
		close(c->stagingfd);
	store_state_release(&c->state);
	store_trust_release(&c->trust);
	delta_free(c->delta);
	frames_release(&f);
	return rc;
}

/* ---- a local archive, from its frames ---- */

/* The whole route judges anything but a release newer than every installed one. */
static int local_guard(struct install_ctx *c, const struct signed_release *sr, struct err *err)
{
	if (store_state_read(c->st, &c->state, err) < 0)
		return -1;
	if ((!c->state.app[0] || !strcmp(c->state.app, sr->app)) &&
	    !store_is_installed(c->st, sr->version) &&
	    (!c->state.has_high || sr->serial > c->state.high_serial))
		return 0;
	return 1;
}

/* The file signature over the whole archive's digest, refused as verified_open refuses it. */
static int local_signature(struct install_ctx *c, const struct frames_ctx *f,
                           const uint8_t digest[ARCHIVE_DIGEST_BYTES], struct err *err)
{
	struct minisign_sig sig;
	struct minisign_pubkey key;
	char *tc = NULL;
	int r;

	if (minisign_sig_parse(f->sig_text, f->sig_len, &sig, err) < 0)
		return fail_prefix(err, "%s", c->archive);
	r = keyring_release_key(&c->trust.kr, sig.keyid, &key, err);
	minisign_sig_release(&sig);
	if (r == 0)
		r = minisign_verify_digest(&key, f->sig_text, f->sig_len, digest, &tc, err);
	free(tc);
	return r < 0 ? fail_prefix(err, "%s", c->archive) : 0;
}

struct local_placer {
	struct frames_ctx *f;
	struct place_progress pp;
	int rc;
	struct err err;
};

static void *local_place(void *arg)
{
	struct local_placer *p = arg;
	struct install_ctx *c = p->f->c;

	p->rc = frame_tree_place(c->stagingfd, p->f->m, c->delta, p->f->need, &c->res->linked,
	                         &c->res->linked_bytes, &p->pp, &p->err);
	return NULL;
}

/* Links on one thread (reuse.h hashes every linked file) while this one decodes the frames
 * of the files left to write; the error is the side that failed first. */
static int local_tree(struct frames_ctx *f, struct err *err)
{
	struct local_placer p = {.f = f};
	struct err werr;
	bool *all;
	pthread_t t;
	int rw, e;

	/* Every frame is here: the plan covers them all, the writer skips what is linked. */
	if (!(all = malloc(f->l.n)))
		return fail_oom(err);
	memset(all, 1, f->l.n);
	rw = frame_plan_make(&f->l, &f->fm, all, &f->plan, err);
	free(all);
	if (rw < 0)
		return -1;
	place_progress_init(&p.pp);
	if ((e = pthread_create(&t, NULL, local_place, &p)) != 0) {
		place_progress_destroy(&p.pp);
		errno = e;
		return fail_sys(err, "cannot start a thread");
	}
	rw = frame_files_write(f->o->fd, &f->fm, &f->plan, &f->l, f->m, f->need, &p.pp,
	                       f->c->stagingfd, &f->written, &werr);
	pthread_join(t, NULL);
	place_progress_destroy(&p.pp);
	if (p.rc < 0 && (rw == 0 || !strncmp(werr.msg, "stopped:", 8))) {
		*err = p.err;
		return -1;
	}
	if (rw < 0) {
		*err = werr;
		return -1;
	}
	return 0;
}

/* store_install's delta route (specs/store.md "Delta install"). With an installed release to
 * link from, an archive with a seek table and a signature whose trusted comment names the
 * manifest, only the frames holding files the host lacks are decoded, and only up to the
 * last byte needed, while another thread links the others: the comment's signature first,
 * then the manifest from frame 0 (its SHA-256 the comment's), every file written checked
 * against the manifest, and the whole archive's BLAKE2b-512, hashed meanwhile on a thread of
 * its own, checked against the file signature before the release gets a name: a tampered
 * archive is refused as on the whole route, and the record names the same digest. 1: the
 * whole route installs it (and says what is wrong, when something is): a keyring policy, no
 * release to link from, a version or serial not above every installed one, an old
 * signature, no seek table, a layout this reader did not write. */
static int local_frames(struct install_ctx *c, struct err *err)
{
	struct install_frames_opts o = {.fd = -1};
	struct install_frames_stats fs;
	struct frames_ctx f = {.c = c, .o = &o, .fs = &fs, .limits = &c->o->limits};
	struct archive_digest *dg = NULL;
	uint8_t digest[ARCHIVE_DIGEST_BYTES];
	char hex[2 * ARCHIVE_DIGEST_BYTES + 1], *sig_path = NULL;
	struct err ignored;
	struct stat sb;
	mode_t old_umask;
	int r = 1;

	memset(&fs, 0, sizeof(fs));
	if (keyring_policy_active(&c->trust.kr) || c->trust.kr.reproductions.required)
		return 1;
	if (!(sig_path = minisign_sig_path(c->archive, c->o->sig_path)))
		return fail_oom(err);
	if (minisign_sig_read(sig_path, &f.sig_text, &f.sig_len, &ignored) < 0 ||
	    signed_release_open(&c->trust.kr, f.sig_text, f.sig_len, NULL, &f.sr, &ignored) < 0 ||
	    (r = local_guard(c, &f.sr, err)) != 0)
		goto out;
	r = 1;
	if ((o.fd = open_regular_at(AT_FDCWD, c->archive, 0, NULL, &ignored)) < 0 ||
	    fstat(o.fd, &sb) < 0)
		goto out;
	o.archive_size = (uint64_t)sb.st_size;
	if (!(o.seek_table_size = seektable_file_tail(o.fd, o.archive_size)))
		goto out;
	if (delta_open(c->st, f.sr.version, &c->delta, err) < 0) {
		r = -1;
		goto out;
	}
	if (delta_sources(c->delta) == 0)
		goto out;
	if (archive_digest_start(o.fd, c->archive, &dg, err) < 0) {
		r = -1;
		goto out;
	}
	crashpoint("install-after-verify");
	if ((r = frames_manifest(&f, err)) != 0)
		goto out;
	r = -1;
	crashpoint("install-before-unpack");
	old_umask = umask(022);
	if (make_staging(c, err) == 0 && local_tree(&f, err) == 0)
		r = 0;
	umask(old_umask);
	if (r < 0)
		goto out;
	r = archive_digest_finish(dg, digest, err);
	dg = NULL;
	if (r < 0 || (r = local_signature(c, &f, digest, err)) < 0)
		goto out;
	archive_digest_hex(digest, ARCHIVE_DIGEST_BYTES, hex);
	f.record_hash = hex;
	c->res->serial = f.sr.serial;
	c->res->frames = f.fm.n;
	c->res->frames_decoded = f.written.frames_decoded;
	if (!(c->res->version = strdup(f.sr.version))) {
		r = fail_oom(err);
		goto out;
	}
	r = frames_commit(&f, err);
out:
	if (r > 0) { /* the whole route starts afresh */
		delta_free(c->delta);
		c->delta = NULL;
		store_state_release(&c->state);
		memset(&c->state, 0, sizeof(c->state));
	}
	archive_digest_cancel(dg);
	if (o.fd >= 0)
		close(o.fd);
	free(sig_path);
	frames_release(&f);
	return r;
}
