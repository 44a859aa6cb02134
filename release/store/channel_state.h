/* The host's side of the release channel (specs/channel.md "`slipway pull URL` (the host)"):
 * judging a fetched index against the store's trust and the last index it accepted, and
 * where downloads wait until they are installed.
 *
 *   ROOT/channel.json   the last accepted index, byte for byte as fetched (one envelope
 *                       line); written atomically after a successful install
 *   ROOT/tmp/           (0700) downloads: <sha256>.tar.zst and its .minisig and .keyring,
 *                       named by the index's latest.sha256; a partial archive stays there
 *                       between pulls so that the next one resumes it
 *
 * Errors follow release/base/error.h: every verdict on the index is ERR_REFUSED; a
 * channel.json of the store's own that cannot be read or parsed is a damaged store
 * (ERR_SYSTEM). */
#ifndef SLIPWAY_CHANNEL_STATE_H
#define SLIPWAY_CHANNEL_STATE_H

#include "release/base/error.h"
#include "release/sig/channel.h"
#include "release/sig/keyring.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <time.h>

#define STORE_DOWNLOAD_NAME_MAX 96 /* <sha256>.tar.zst.minisig and a NUL fit */

/* Judges the index `text` (len bytes, as fetched) for store st: channel_verify by `kr` at
 * `now` (type, signature of a release key, strict payload, expiry); the app must be the
 * store's (state.json) and the last accepted index's, when they have one; its serial must be
 * greater than the last accepted index's, or equal with the same bytes (*same set: the
 * index was accepted before; a replay of an older index or a fork with other bytes at the
 * same serial is refused). ci receives the index. */
int store_channel_judge(struct store *st, const struct keyring *kr, const char *text, size_t len,
                        time_t now, struct channel_index *ci, bool *same, struct err *err);

/* Records `text` as ROOT/channel.json (atomic write). Requires the lock. */
int store_channel_accept(struct store *st, const char *text, size_t len, struct err *err);

/* The name, relative to ROOT/tmp, of the download of the archive whose sha256 is `sha256`
 * (64 hex digits, checked by channel_parse), with `suffix` ("", ".minisig", ".keyring"):
 * "<sha256>.tar.zst<suffix>", into out[STORE_DOWNLOAD_NAME_MAX]. */
void store_download_name(const char *sha256, const char *suffix, char out[STORE_DOWNLOAD_NAME_MAX]);

/* Removes from ROOT/tmp (tmpfd) the downloads of every archive but `keep_sha256`: the parts
 * an interrupted pull of an older index left (store_download_name's names only). Requires the
 * downloads' lock (store_downloads_lock). Best effort: what cannot be removed stays. Returns how
 * many were removed. */
size_t store_downloads_sweep(int tmpfd, const char *keep_sha256);

/* Opens ROOT/tmp (store_dir_open), creating it. Returns the descriptor or -1. */
int store_tmp_open(struct store *st, struct err *err);

#endif
