/* What the three routes of an install share (private to release/store/install*.c):
 *   install.c         the whole archive, verified and unpacked (store_install);
 *   install_commit.c  the steps every route ends with (staging, commit);
 *   install_frames.c  a partial set of frames from a delivery (store_install_frames);
 *   install_local.c   a local archive's delta install from its frames (store_install's
 *                     route when it can: specs/store.md "Delta install").
 * install.h is the contract; this header only splits its implementation. */
#ifndef SLIPWAY_STORE_INSTALL_CTX_H
#define SLIPWAY_STORE_INSTALL_CTX_H

#include "release/base/error.h"
#include "release/base/seektable.h"
#include "release/manifest/manifest.h"
#include "release/store/delta.h"
#include "release/store/framefiles.h"
#include "release/store/frameplan.h"
#include "release/store/install.h"
#include "release/store/signed_release.h"
#include "release/store/store_meta.h"
#include "release/store/tarlayout.h"
#include "release/store/trust.h"
#include "release/store/verified.h"

#include <stdbool.h>
#include <stdint.h>

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
	/* Run by install_commit once the tree is durable, before anything names it (NULL: none):
	 * the last check of a route that hashes the archive meanwhile; it may set hash. */
	int (*before_record)(struct install_ctx *c, void *arg, struct err *err);
	void *before_record_arg;
};

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
	struct frame_write_stats written;
};

/* An empty staging directory (c->staging, c->stagingfd). */
int install_make_staging(struct install_ctx *c, struct err *err);
/* The tree in staging is complete: sync, c->before_record, record, state, rename, history
 * (specs/store.md "Install", steps 9 to 12). */
int install_commit(struct install_ctx *c, struct err *err);

/* The seek table from the archive's tail, then frame 0 and the manifest it holds, which
 * must be the one the signed comment names (f->hash set; f->need allocated for its
 * layout). 1: not an archive this reader can split (f->fs->whole_why says why). */
int frames_manifest(struct frames_ctx *f, struct err *err);
/* The tree is complete: carry, seal, record, rename, history (as store_install). */
int frames_commit(struct frames_ctx *f, struct err *err);
void frames_release(struct frames_ctx *f);

/* store_install's delta route from the archive's frames (install_local.c); 1: the whole
 * route installs it. */
int install_local_frames(struct install_ctx *c, struct err *err);

#endif
