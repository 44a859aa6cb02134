/* store_install's delta route from a local archive's frames (specs/store.md "Delta
 * install", "From the frames"); see install_ctx.h. */
#include "release/store/install_ctx.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/sig/minisign.h"
#include "release/store/archive_digest.h"
#include "release/store/framebuild.h"
#include "release/store/store_crash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	char *tc;
	int r = signed_release_verify(&c->trust.kr, f->sig_text, f->sig_len, digest, &tc, err);

	free(tc);
	return r < 0 ? fail_prefix(err, "%s", c->archive) : 0;
}

/* The whole archive's digest, hashed on a thread of its own from the start (beside the
 * manifest's reading and the skeleton), paused while the workers build the files, then beside
 * carry, seal and the sync. hex: what the record names, once it satisfied the file
 * signature. */
struct local_digest {
	struct frames_ctx *f;
	struct archive_digest *dg; /* NULL once finished */
	char hex[2 * ARCHIVE_DIGEST_BYTES + 1];
};

/* After the tree (built: built 0): the whole archive's digest against the file signature.
 * A tampered archive is refused for its signature first, as on the whole route, even when
 * the tree already failed on a file it altered. */
static int local_verdict(struct install_ctx *c, struct local_digest *ld, int built, struct err *err)
{
	uint8_t digest[ARCHIVE_DIGEST_BYTES];
	struct err e2;
	int r = archive_digest_finish(ld->dg, digest, &e2);

	ld->dg = NULL;
	if (r < 0) {
		if (built == 0)
			*err = e2;
		return -1;
	}
	if (local_signature(c, ld->f, digest, &e2) < 0) {
		*err = e2;
		return -1;
	}
	hex_encode(digest, ARCHIVE_DIGEST_BYTES, ld->hex);
	c->hash = ld->hex;
	return built;
}

/* install_commit's before_record: the verdict, once the tree is durable (the hashing ran
 * beside carry, seal and the sync). */
static int local_before_record(struct install_ctx *c, void *arg, struct err *err)
{
	return local_verdict(c, arg, 0, err);
}

/* The skeleton is made: the workers take every core from here. */
static void local_placed(void *ld)
{
	archive_digest_pause(((struct local_digest *)ld)->dg);
}

/* Linking (comparing or hashing) and decoding share every core (framebuild.h); the digest
 * runs until the skeleton is made (one core makes it while the others wait). */
static int local_tree(struct frames_ctx *f, struct local_digest *ld, struct err *err)
{
	struct frame_build_watch watch = {.placed = local_placed,
	                                  .placed_ctx = ld,
	                                  .progress = f->c->o->progress,
	                                  .progress_ctx = f->c->o->progress_ctx};
	struct frame_build_stats st;
	int r;

	r = frame_tree_build(f->o->fd, &f->fm, &f->l, f->m, f->c->delta, f->need, f->c->stagingfd,
	                     &watch, &st, err);
	f->c->res->linked = st.linked;
	f->c->res->linked_bytes = st.linked_bytes;
	f->written = st.written;
	return r;
}

/* store_install's delta route (specs/store.md "Delta install"). With an installed release to
 * link from, an archive with a seek table and a signature whose trusted comment names the
 * manifest, only the frames holding files the host lacks are decoded, and only up to the
 * last byte needed, while the same workers link the others (framebuild.h): the comment's signature
 * first, then the manifest from frame 0 (its SHA-256 the comment's), every file written checked
 * against the manifest, and the whole archive's BLAKE2b-512, hashed on a thread of its own
 * (paused once the skeleton is made, while the workers build the files), checked against the file
 * signature after the sync, before the record and before the release gets a name: a tampered
 * archive is refused as on the whole route, and the record names the same digest. 1: the
 * whole route installs it (and says what is wrong, when something is): a keyring policy, no
 * release to link from, a version or serial not above every installed one, an old
 * signature, no seek table, a layout this reader did not write. */
int install_local_frames(struct install_ctx *c, struct err *err)
{
	struct install_frames_opts o = {.fd = -1};
	struct install_frames_stats fs;
	struct frames_ctx f = {.c = c, .o = &o, .fs = &fs, .limits = &c->o->limits};
	struct local_digest ld = {.f = &f};
	char *sig_path = NULL;
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
	delta_probe_prefetch(c->delta); /* beside the manifest's reading below */
	if (archive_digest_start(o.fd, c->archive, &ld.dg, err) < 0) {
		r = -1;
		goto out;
	}
	crashpoint("install-after-verify");
	/* Frames this reader cannot use: the whole route judges the archive, and says why. */
	if (frames_manifest(&f, &ignored) != 0)
		goto out;
	r = -1;
	crashpoint("install-before-unpack");
	old_umask = umask(022);
	/* The digest is paused once the skeleton is made (local_placed), */
	if (install_make_staging(c, err) == 0 && local_tree(&f, &ld, err) == 0)
		r = 0;
	umask(old_umask);
	archive_digest_resume(ld.dg); /* and resumed beside carry, seal and the sync */
	if (r < 0) {
		local_verdict(c, &ld, r, err);
		goto out;
	}
	c->res->serial = f.sr.serial;
	c->res->frames = f.fm.n;
	c->res->frames_decoded = f.written.frames_decoded;
	if (!(c->res->version = strdup(f.sr.version))) {
		r = fail_oom(err);
		goto out;
	}
	c->before_record = local_before_record;
	c->before_record_arg = &ld;
	r = frames_commit(&f, err);
	c->before_record = NULL;
out:
	if (r > 0) { /* the whole route starts afresh */
		delta_free(c->delta);
		c->delta = NULL;
		store_state_release(&c->state);
		memset(&c->state, 0, sizeof(c->state));
	}
	archive_digest_cancel(ld.dg);
	if (o.fd >= 0)
		close(o.fd);
	free(sig_path);
	frames_release(&f);
	return r;
}
