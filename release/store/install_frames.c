/* store_install_frames (install.h): a release from a partial set of frames. */
#include "release/store/install_ctx.h"
#include "release/store/framebuild.h"
#include "release/base/checked.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/sig/minisign.h"
#include "release/store/carry.h"
#include "release/store/install_patches.h"
#include "release/store/seal.h"
#include "release/store/store_crash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int frames_whole(struct frames_ctx *f, const char *why)
{
	snprintf(f->fs->whole_why, sizeof(f->fs->whole_why), "%s", why);
	return 1;
}

static int fetch_ranges(struct frames_ctx *f, const struct byte_range *v, size_t n, struct err *err)
{
	int r = n && f->o->fetch ? f->o->fetch(f->o->fetch_ctx, f->o->fd, v, n, err) : 0;

	f->fs->ranges += n;
	for (size_t i = 0; r == 0 && i < n; i++)
		f->fs->bytes_fetched += v[i].length;
	return r;
}

static int fetch_range(struct frames_ctx *f, uint64_t offset, uint64_t length, struct err *err)
{
	struct byte_range one = {offset, length};

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
		return frames_whole(f, "this version is installed already");
	if (!c->state.has_high || f->sr.serial > c->state.high_serial)
		return 0;
	if (f->sr.serial == c->state.high_serial)
		return frames_whole(f, "this serial is installed already");
	if (f->o->allow_downgrade)
		return frames_whole(f, "a downgrade, allowed: judged on the whole archive");
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
int frames_manifest(struct frames_ctx *f, struct err *err)
{
	uint64_t size = f->o->archive_size, tsize = f->o->seek_table_size;
	uint8_t *tail = NULL;
	struct frame_stream *fs = NULL;
	size_t n;
	int r = -1;

	if (tsize < seektable_size(1) || tsize >= size ||
	    (tsize - seektable_size(0)) % SEEKTABLE_ENTRY_BYTES)
		return frames_whole(f, "the archive has no seek table");
	n = (size_t)((tsize - seektable_size(0)) / SEEKTABLE_ENTRY_BYTES);
	if (n > SEEKTABLE_MAX_FRAMES)
		return fail(err, "the index's seek table names %zu frames (at most %u)", n,
		            SEEKTABLE_MAX_FRAMES);
	if ((r = fetch_range(f, size - tsize, tsize, err)) != 0)
		return r > 0 ? frames_whole(f, "the server ignores HTTP Range") : -1;
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
		r = r > 0 ? frames_whole(f, "the server ignores HTTP Range") : -1;
		goto out;
	}
	r = -1;
	f->fs->frames_fetched = 1;
	if (frame_stream_new(&fs, err) < 0 ||
	    frame_read_manifest(fs, f->o->fd, &f->fm, &f->json, &f->json_len, err) < 0 ||
	    signed_release_manifest(&f->sr, f->json, f->json_len, &f->m, err) < 0 ||
	    frames_limits(f->m, f->limits, size, err) < 0 ||
	    tar_layout_compute(f->m, f->json_len, &f->l, err) < 0)
		goto out;
	if (f->l.total != f->fm.doff[f->fm.n]) {
		r = frames_whole(f, "the archive's tar layout is not this reader's");
		goto out;
	}
	if (!(f->need = calloc(f->l.n, sizeof(bool)))) {
		fail_oom(err);
		goto out;
	}
	memcpy(f->hash, INSTALL_RECORD_MANIFEST_PREFIX, strlen(INSTALL_RECORD_MANIFEST_PREFIX));
	hex_encode(f->sr.manifest_sha256, MANIFEST_DIGEST_BYTES,
	           f->hash + strlen(INSTALL_RECORD_MANIFEST_PREFIX));
	r = 0;
out:
	free(tail);
	frame_stream_free(fs);
	return r;
}

/* Plans and fetches the frames of the files with need[] set. */
static int frames_fetch(struct frames_ctx *f, struct err *err)
{
	struct byte_range *v;
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
	return r > 0 ? frames_whole(f, "the server ignores HTTP Range") : r;
}

static int frames_fetch_and_write(struct frames_ctx *f, struct err *err)
{
	int r;

	if ((r = frames_fetch(f, err)) != 0)
		return r;
	r = frame_tree_write_all(f->o->fd, &f->fm, &f->plan, &f->l, f->m, f->need, f->c->stagingfd,
	                         &f->written, err);
	f->fs->written_bytes = f->written.written_bytes;
	return r;
}

/* The tree is complete: carry, seal, record, rename, history (as store_install). */
int frames_commit(struct frames_ctx *f, struct err *err)
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
	c->hash = f->hash; /* c->before_record may name the whole archive's digest instead */
	if (install_commit(c, err) < 0)
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
	if (install_make_staging(c, err) < 0 ||
	    frame_tree_link_all(f->m, c->delta, f->need, c->stagingfd, &c->res->linked,
	                        &c->res->linked_bytes, err) < 0 ||
	    install_patches_apply(f->o, f->m, f->hash + strlen(INSTALL_RECORD_MANIFEST_PREFIX),
	                          c->delta, f->need, c->stagingfd, &f->fs->patched, err) < 0)
		return -1;
	if ((r = frames_fetch_and_write(f, err)) != 0)
		return r;
	return frames_commit(f, err);
}

/* The look ahead (install.h, prefetch): what frames_build would fetch, judged from the
 * manifests and the patch set, fetched with nothing staged. */
static int frames_prefetch(struct frames_ctx *f, struct err *err)
{
	int r;

	if ((r = frames_manifest(f, err)) != 0)
		return r;
	for (size_t i = 0; i < f->m->n_files; i++)
		f->need[i + 1] = f->m->files[i].type == MANIFEST_FILE &&
		                 !delta_probe(f->c->delta, &f->m->files[i]);
	if (install_patches_apply(f->o, f->m, f->hash + strlen(INSTALL_RECORD_MANIFEST_PREFIX),
	                          f->c->delta, f->need, -1, &f->fs->patched, err) < 0)
		return -1;
	return frames_fetch(f, err);
}

void frames_release(struct frames_ctx *f)
{
	signed_release_release(&f->sr);
	manifest_free(f->m);
	free(f->sig_text);
	bigmem_free(f->json);
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
	if (st->lockfd < 0 && !o->prefetch)
		return fail_kind(err, ERR_SYSTEM, "internal error: install without the store lock");
	if (store_trust_load(st, &c->trust, err) < 0)
		goto out;
	if (o->keyring_path &&
	    store_trust_adopt_file(o->prefetch ? NULL : st, &c->trust, o->keyring_path, false,
	                           &res->keyring_adopted, err) < 0)
		goto out;
	res->keyring_version = c->trust.kr.version;
	if (keyring_policy_active(&c->trust.kr) || c->trust.kr.reproductions.required) {
		rc = frames_whole(&f, "the keyring's policy judges the whole archive's digest");
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
		rc = frames_whole(&f, "no installed release to reuse files from");
		goto out;
	}
	if (o->prefetch) {
		rc = frames_prefetch(&f, err);
	} else {
		/* Modes exactly the manifest's, whatever the caller's umask (as install_local). */
		mode_t old_umask = umask(022);

		rc = frames_build(&f, err);
		umask(old_umask);
	}
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
