/* slipway pull URL: install and activate the latest release of a static channel
 * (specs/channel.md "`slipway pull URL` (the host)"). */
#include "cmd/cmd.h"
#include "cmd/support/fetch.h"
#include "cmd/support/progress.h"
#include "cmd/support/resume_ranges.h"
#include "cmd/support/run_wait.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/channel.h"
#include "release/sig/keyring.h"
#include "release/sig/provenance.h"
#include "release/sig/reproduced.h"
#include "release/sig/minisign.h"
#include "release/store/channel_state.h"
#include "release/store/install.h"
#include "release/store/trust.h"
#include "release/store/verified.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD     "pull"
#define URL_MAX 4096

static const char usage_text[] =
    "usage: slipway pull URL [--root DIR] [--wait] [--json]\n"
    "\n"
    "Installs and activates the latest release of the channel at URL (http or https: the\n"
    "directory `slipway publish` wrote, or its index.json). The index must be signed by a\n"
    "release key the store trusts, unexpired, for the store's app, and newer than the last\n"
    "index accepted (ROOT/channel.json); the same index again means up to date (exit 0,\n"
    "nothing downloaded). The signature and what was published beside the archive (keyring,\n"
    "provenance, reproductions) are downloaded into ROOT/tmp/.\n"
    "\n"
    "With a release installed, only part of the archive is fetched, with HTTP Range\n"
    "requests: its seek table, frame 0 (the manifest, whose SHA-256 the signature's trusted\n"
    "comment names) and the frames holding the files no installed release has; the others are\n"
    "linked from the installed release, and every file written is checked against the signed\n"
    "manifest's SHA-256. When the index names a patch set made against a release the store\n"
    "holds, it is downloaded first (it must have the index's size and sha256) and the files\n"
    "it carries, patched or whole, are not fetched from the frames. A partial pull cut short\n"
    "(a stall, a broken connection) keeps the frames it received in ROOT/tmp/, and the next\n"
    "pull of the same archive fetches only the others. Otherwise (no release installed, a\n"
    "server that ignores Range, a keyring policy asking for provenance or reproductions, an\n"
    "archive without a seek table) the whole archive is downloaded (a partial archive left\n"
    "in ROOT/tmp/ is resumed), must have the index's size and sha256, and is installed\n"
    "exactly as `slipway deploy` installs a file (signature, keyring, downgrade guard,\n"
    "per-file hashes). Everything is downloaded before the store lock is taken, for the\n"
    "install and the switch alone; ROOT/tmp/pull.lock keeps a second pull waiting.\n"
    "\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "      --wait       wait for `slipway run` to bring the release up, as deploy --wait\n"
    "      --json       print one JSON object on stdout: bytes received, frames fetched of the\n"
    "                   archive's (the progress lines go to stderr)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Environment: $SLIPWAY_STALL_TIMEOUT, seconds (default 30) a connection may take to open\n"
    "or a transfer may move less than 4096 bytes a second before it is abandoned. Proxies\n"
    "come from http_proxy, https_proxy and no_proxy; TLS is checked against the system CAs.\n"
    "\n"
    "Exit status: 0 installed and activated, or up to date; 1 refused (index signature,\n"
    "expiry, app, replayed serial; an archive longer than the index says or whose digest\n"
    "differs; a fetched frame that does not hold the manifest's hashes; the archive refused by\n"
    "install); 2 usage; 3 system or network error (cannot connect, HTTP error status, stall,\n"
    "disk full, store locked, another pull or push running).\n";

struct pull {
	const char *url;
	bool json, wait;
	long stall_s;
	char index_url[URL_MAX], base[URL_MAX], shown[URL_MAX];
	struct store st;
	struct store_trust t;
	char *index;
	size_t index_len;
	struct channel_index ci;
	bool same, up_to_date;
	int tmpfd, fd;
	int dllock; /* ROOT/tmp/pull.lock (store_downloads_lock) */
	char name[STORE_DOWNLOAD_NAME_MAX], sig[STORE_DOWNLOAD_NAME_MAX],
	    kr[STORE_DOWNLOAD_NAME_MAX], prov[STORE_DOWNLOAD_NAME_MAX],
	    repro[STORE_DOWNLOAD_NAME_MAX];
	bool keyring, provenance, reproduced;
	uint64_t resumed_from;
	struct fetch_result fr;
	struct install_result res;
	/* A partial pull (specs/channel.md "Partial pull"). */
	char frames[STORE_DOWNLOAD_NAME_MAX], archive_url[URL_MAX + CHANNEL_NAME_MAX];
	struct fetch_session *sess;
	struct progress ps;
	bool partial;
	struct install_frames_stats fst;
	uint64_t frames_received; /* body bytes of the Range answers */
	uint64_t requests;        /* Range requests */
	uint64_t small_received;  /* index, signature, keyring, provenance, reproductions */
	char patches[STORE_DOWNLOAD_NAME_MAX];
	uint64_t patches_received; /* body bytes of the patch set (specs/channel.md) */
	const struct channel_patches *patch_set; /* the one fetched, of ci.latest's */
	char frames_done[STORE_DOWNLOAD_NAME_MAX];
	char tmp_shown[4200];    /* ROOT/tmp, as messages name it */
	struct resume_ranges rr; /* what an earlier, interrupted partial pull placed */
	uint64_t frames_resumed; /* archive bytes found there instead of fetched */
	bool looked_ahead;       /* the look ahead fetched; the install under the lock runs */
	bool patches_fetched;    /* patch_set is in the patches file, checked */
};

#define WHOLE (-1) /* try_frames: deliver the whole archive instead */

int cmd_pull_url_check(const char *cmd, const char *url)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return cmd_usage_error(cmd, "URL must start with http:// or https://");
	if (strlen(url) >= URL_MAX - sizeof(CHANNEL_INDEX) - 1 || strpbrk(url, "?#"))
		return cmd_usage_error(cmd, "URL must be at most %d bytes, without ? or #",
		                       URL_MAX - 32);
	return EXIT_OK;
}

/* The index's URL and the base the archive's name is relative to. */
static int urls(struct pull *p)
{
	size_t n = strlen(p->url);
	const char *slash;
	int rc;

	if ((rc = cmd_pull_url_check(CMD, p->url)) != EXIT_OK)
		return rc;
	if (n > 5 && !strcmp(p->url + n - 5, ".json"))
		snprintf(p->index_url, sizeof(p->index_url), "%s", p->url);
	else
		snprintf(p->index_url, sizeof(p->index_url), "%s%s" CHANNEL_INDEX, p->url,
		         p->url[n - 1] == '/' ? "" : "/");
	slash = strrchr(p->index_url, '/');
	snprintf(p->base, sizeof(p->base), "%.*s", (int)(slash + 1 - p->index_url), p->index_url);
	fetch_url_shown(p->index_url, p->shown, sizeof(p->shown));
	return EXIT_OK;
}

static int fetch_index(struct pull *p)
{
	struct err err;
	int rc;

	rc = fetch_small(p->index_url, CHANNEL_INDEX_MAX, p->stall_s, &p->index, &p->index_len,
	                 &err);
	if (rc == 1)
		return cmd_fail(CMD, EXIT_FAIL, "%s: no index there (HTTP status 404)", p->shown);
	if (rc < 0)
		return cmd_error(CMD, &err);
	p->small_received += p->index_len;
	if (store_channel_judge(&p->st, &p->t.kr, p->index, p->index_len, time(NULL), &p->ci,
	                        &p->same, &err) < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s: %s", p->shown, err.msg);
	return EXIT_OK;
}

/* A small file of the release (signature, keyring) into ROOT/tmp/name; *found false on 404
 * when `optional`. */
static int fetch_beside(struct pull *p, const char *suffix, size_t max, const char *name,
                        bool optional, bool *found)
{
	char url[URL_MAX + 2 * CHANNEL_NAME_MAX];
	struct err err;
	char *text = NULL;
	size_t len;
	int rc;

	snprintf(url, sizeof(url), "%s%s%s", p->base, p->ci.latest.archive, suffix);
	*found = false;
	unlinkat(p->tmpfd, name, 0);
	rc = fetch_small(url, max, p->stall_s, &text, &len, &err);
	if (rc == 1 && optional)
		return EXIT_OK;
	if (rc == 1)
		return cmd_fail(CMD, EXIT_FAIL, "%s%s%s: not there (HTTP status 404)", p->base,
		                p->ci.latest.archive, suffix);
	if (rc < 0)
		return cmd_error(CMD, &err);
	p->small_received += len;
	rc = write_file_atomic(p->tmpfd, name, text, len, 0600, 0, &err);
	free(text);
	if (rc < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s/%s: %s", p->st.root, STORE_TMP,
		                err.msg);
	*found = true;
	return EXIT_OK;
}

/* The archive into ROOT/tmp/<sha256>.tar.zst, resumed when a part is there, then hashed. */
static int fetch_archive(struct pull *p)
{
	const struct channel_latest *l = &p->ci.latest;
	char url[URL_MAX + CHANNEL_NAME_MAX], hex[65];
	struct stat sb;
	struct err err;
	uint64_t have;

	p->fd = open_regular(p->tmpfd, p->name, O_RDWR | O_CREAT | O_NOFOLLOW, 0600, &sb, &err);
	if (p->fd < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s/%s: %s", p->st.root, STORE_TMP,
		                err.msg);
	have = (uint64_t)sb.st_size;
	if (have > l->size) {
		if (ftruncate(p->fd, 0) < 0)
			return cmd_fail(CMD, EXIT_FAIL, "cannot truncate %s/%s/%s: %s", p->st.root,
			                STORE_TMP, p->name, strerror(errno));
		have = 0;
	}
	snprintf(url, sizeof(url), "%s%s", p->base, l->archive);
	if (have < l->size &&
	    fs_room(p->fd, l->size - have, p->tmp_shown, "the archive", &err) < 0) {
		if (have == 0)
			unlinkat(p->tmpfd, p->name, 0);
		return cmd_fail(CMD, EXIT_FAIL, "%s; nothing downloaded", err.msg);
	}
	if (have < l->size && fetch_file(url, p->fd, have, l->size, p->stall_s, &p->fr, &err) < 0) {
		/* A stall or a broken connection keeps the part for the next pull; bytes a
		 * server sent against the bounds are not kept, nor a part that filled the disk
		 * (the host's services write there too). */
		if (err.kind == ERR_REFUSED)
			unlinkat(p->tmpfd, p->name, 0);
		if (p->fr.write_errno == ENOSPC || p->fr.write_errno == EDQUOT) {
			unlinkat(p->tmpfd, p->name, 0);
			return cmd_fail(CMD, EXIT_FAIL, "%s; the part is removed", err.msg);
		}
		return cmd_error(CMD, &err);
	}
	p->resumed_from = p->fr.resumed ? have : 0;
	if (sha256_fd(p->fd, p->name, hex, &err) < 0)
		return cmd_error(CMD, &err);
	if (strcmp(hex, l->sha256)) {
		unlinkat(p->tmpfd, p->name, 0);
		return cmd_fail(CMD, EXIT_NO,
		                "%s: sha256 %s of the download is not the index's %s; nothing "
		                "installed",
		                url, hex, l->sha256);
	}
	return EXIT_OK;
}

static int finish(struct pull *p);

static void remove_downloads(struct pull *p)
{
	unlinkat(p->tmpfd, p->name, 0);
	unlinkat(p->tmpfd, p->frames, 0);
	unlinkat(p->tmpfd, p->frames_done, 0);
	unlinkat(p->tmpfd, p->patches, 0);
	unlinkat(p->tmpfd, p->sig, 0);
	unlinkat(p->tmpfd, p->kr, 0);
	unlinkat(p->tmpfd, p->prov, 0);
	unlinkat(p->tmpfd, p->repro, 0);
}

/* store_install_frames' fetch: the ranges an interrupted pull placed already are skipped;
 * the others in requests of up to FETCH_SPANS_MAX ranges each, one after the other on the
 * session's connection. The ranges wholly received are recorded after each request, also
 * when its answer broke off: a pull cut short resumes after the last range it completed. */
static int fetch_frames(void *ctx, int fd, const struct byte_range *v, size_t n, struct err *err)
{
	struct pull *p = ctx;
	struct byte_range sp[FETCH_SPANS_MAX];
	struct err ignored; /* recording a broken answer's ranges is best effort */
	uint64_t missing = 0;

	for (size_t i = 0; i < n; i++)
		if (!resume_ranges_has(&p->rr, v[i].offset, v[i].length))
			missing += v[i].length;
	if (fs_room(fd, missing, p->tmp_shown, "the frames", err) < 0)
		return -1;

	for (size_t i = 0; i < n;) {
		size_t k = 0, complete = 0;
		uint64_t got = 0;
		int r;

		for (; i < n && k < FETCH_SPANS_MAX; i++) {
			if (resume_ranges_has(&p->rr, v[i].offset, v[i].length)) {
				/* After the look ahead, what it placed is no resumption. */
				if (!p->looked_ahead)
					p->frames_resumed += v[i].length;
				continue;
			}
			sp[k++] = v[i];
		}
		if (!k)
			continue;
		r = fetch_ranges(p->sess, p->archive_url, fd, sp, k, p->ci.latest.size, p->stall_s,
		                 &got, &complete, err);
		p->frames_received += got;
		p->requests++;
		progress_update(&p->ps, 0, p->frames_received, NULL);
		if (complete &&
		    resume_ranges_add(&p->rr, fd, sp, complete, r ? &ignored : err) < 0 && r == 0)
			return -1;
		if (r != 0)
			return r;
	}
	return 0;
}

/* The index's patch set for this host: the one made against the release its bases come
 * from (base_version: current, else the newest; NULL: not known yet), else the first, newest
 * first, made against a release it has installed; NULL when none is. */
static const struct channel_patches *patch_set_for(struct pull *p, const char *base_version)
{
	const struct channel_latest *l = &p->ci.latest;
	const struct channel_patches *cp;

	if (base_version && (cp = channel_patches_from(l, base_version)))
		return cp;
	for (size_t i = 0; i < channel_patch_sets(l); i++)
		if (store_is_installed(&p->st, channel_patch_set(l, i)->from))
			return channel_patch_set(l, i);
	return NULL;
}

/* store_install_frames' patch set source: the file the index names for this host (beside the
 * index), of exactly its size and SHA-256 (else refused); 1 (the frames serve) when no release
 * a patch set is made against is installed or the server has no such file. */
static int fetch_patches(void *ctx, const struct install_patch_request *req, int fd,
                         struct err *err)
{
	struct pull *p = ctx;
	const struct channel_patches *cp = patch_set_for(p, req->base_version);
	char url[URL_MAX + CHANNEL_FILE_MAX], shown[URL_MAX], hex[65];
	struct fetch_result fr;
	int r;

	if (!cp || !cp->size)
		return 1;
	if (cp == p->patch_set && p->patches_fetched)
		return 0; /* by the look ahead; the install reads it again from the start */
	p->patches_fetched = false;
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return fail_sys(err, "cannot write the patch set");
	if (fs_room(fd, cp->size, p->tmp_shown, "the patch set", err) < 0)
		return -1;
	p->patch_set = cp;
	snprintf(url, sizeof(url), "%s%s", p->base, cp->file);
	fetch_url_shown(url, shown, sizeof(shown));
	r = fetch_file(url, fd, 0, cp->size, p->stall_s, &fr, err);
	p->patches_received += fr.received;
	if (r < 0 && fr.status == 404)
		return 1;
	if (r < 0 || sha256_fd(fd, cp->file, hex, err) < 0)
		return -1;
	if (strcmp(hex, cp->sha256))
		return fail(err, "%s: sha256 %s of the patch set is not the index's %s", shown, hex,
		            cp->sha256);
	p->patches_fetched = true;
	return 0;
}

/* The patch set's download file, when the index names one whose base is installed. */
static int patches_open(struct pull *p, struct install_frames_opts *o)
{
	struct stat sb;
	struct err err;

	o->patches_fd = -1;
	if (!patch_set_for(p, NULL))
		return EXIT_OK;
	unlinkat(p->tmpfd, p->patches, 0);
	o->patches_fd = open_regular(p->tmpfd, p->patches, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW,
	                             0600, &sb, &err);
	if (o->patches_fd < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s/%s: %s", p->st.root, STORE_TMP,
		                err.msg);
	o->patches = fetch_patches;
	o->patches_ctx = p;
	return EXIT_OK;
}

/* The lines of a partial pull; the bytes received are the frames' and the patch set's. */
static void report_frames(const struct pull *p)
{
	const struct patchset_apply_stats *ps = &p->fst.patched;
	uint64_t size = p->ci.latest.size, got = p->frames_received + p->patches_received;

	if (p->patches_received)
		printf("patch set %s: %llu files patched, %llu whole, %llu bytes\n",
		       p->patch_set->file, (unsigned long long)ps->files_patched,
		       (unsigned long long)ps->files_full, (unsigned long long)p->patches_received);
	if (p->frames_resumed)
		printf("resumed: %llu bytes of frames were here from an interrupted pull\n",
		       (unsigned long long)p->frames_resumed);
	printf("fetched %llu of %llu frames in %llu ranges, %llu requests: %llu of %llu bytes "
	       "(%.1f%%)\n",
	       (unsigned long long)p->fst.frames_fetched, (unsigned long long)p->fst.frames,
	       (unsigned long long)p->fst.ranges, (unsigned long long)p->requests,
	       (unsigned long long)got, (unsigned long long)size,
	       size ? 100.0 * (double)got / (double)size : 0.0);
	cmd_report_installed_parts(&p->res, &p->fst);
	fflush(stdout);
}

/* Installs from the frames the host lacks (store_install_frames): EXIT_OK installed, WHOLE
 * when the whole archive is to be downloaded instead, else an exit code. */
static int try_frames(struct pull *p)
{
	char path[2][4096 + 8 + STORE_DOWNLOAD_NAME_MAX];
	struct install_frames_opts o = {0};
	const struct channel_latest *l = &p->ci.latest;
	struct stat sb;
	struct err err;
	int r, fd, lock_rc = EXIT_OK;

	if (!l->seek_table_size)
		return WHOLE;
	snprintf(path[0], sizeof(path[0]), "%s/" STORE_TMP "/%s", p->st.root, p->sig);
	snprintf(path[1], sizeof(path[1]), "%s/" STORE_TMP "/%s", p->st.root, p->kr);
	/* A frames file and its list left by an interrupted pull of this archive are resumed. */
	fd = open_regular(p->tmpfd, p->frames, O_RDWR | O_CREAT | O_NOFOLLOW, 0600, &sb, &err);
	if (fd < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s/%s: %s", p->st.root, STORE_TMP,
		                err.msg);
	if (resume_ranges_open(&p->rr, p->tmpfd, p->frames_done, fd, l->size, &err) < 0) {
		close(fd);
		return cmd_fail(CMD, cmd_exit_code(&err), "%s/%s: %s", p->st.root, STORE_TMP,
		                err.msg);
	}
	if ((r = patches_open(p, &o)) != EXIT_OK) {
		resume_ranges_close(&p->rr);
		close(fd);
		return r;
	}
	if (fetch_session_new(&p->sess, &err) < 0) {
		resume_ranges_close(&p->rr);
		close(fd);
		if (o.patches_fd >= 0)
			close(o.patches_fd);
		return cmd_error(CMD, &err);
	}
	snprintf(p->archive_url, sizeof(p->archive_url), "%s%s", p->base, l->archive);
	o.sig_path = path[0];
	o.keyring_path = p->keyring ? path[1] : NULL;
	o.archive_size = l->size;
	o.seek_table_size = l->seek_table_size;
	o.fd = fd;
	o.fetch = fetch_frames;
	o.fetch_ctx = p;
	progress_init(&p->ps, CMD, p->json);
	progress_phase(&p->ps, "fetching frames", 0, l->size);
	/* The frames are fetched by a look ahead without the store lock, then installed under it
	 * (install.h, prefetch; specs/channel.md "Locks"). */
	o.prefetch = true;
	r = store_install_frames(&p->st, &o, &p->res, &p->fst, &err);
	if (r == 0 && (lock_rc = cmd_store_lock(CMD, &p->st)) == EXIT_OK) {
		free(p->res.version);
		p->looked_ahead = true;
		o.prefetch = false;
		r = store_install_frames(&p->st, &o, &p->res, &p->fst, &err);
	}
	progress_end(&p->ps);
	resume_ranges_close(&p->rr);
	close(fd);
	if (o.patches_fd >= 0)
		close(o.patches_fd);
	unlinkat(p->tmpfd, p->patches, 0);
	if (lock_rc != EXIT_OK)
		return lock_rc; /* the frames stay for the next pull */
	if (r < 0) {
		/* A stall or a broken connection keeps the frames for the next pull; anything
		 * refused (a server breaking the bounds, bytes not the manifest's) starts afresh.
		 */
		if (err.kind == ERR_REFUSED)
			remove_downloads(p);
		return cmd_error(CMD, &err);
	}
	unlinkat(p->tmpfd, p->frames, 0);
	unlinkat(p->tmpfd, p->frames_done, 0);
	if (r > 0) {
		printf("fetching the whole archive: %s\n", p->fst.whole_why);
		free(p->res.version);
		p->res.version = NULL;
		store_unlock(&p->st); /* not held while the archive downloads */
		return WHOLE;
	}
	remove_downloads(p);
	p->partial = true;
	report_frames(p);
	return finish(p);
}

/* Installs the downloads through deploy's verified path, records the index, switches. */
static int install(struct pull *p)
{
	char path[5][4096 + 8 + STORE_DOWNLOAD_NAME_MAX];
	struct install_opts o = {0};
	int rc;

	snprintf(path[0], sizeof(path[0]), "%s/" STORE_TMP "/%s", p->st.root, p->name);
	snprintf(path[1], sizeof(path[1]), "%s/" STORE_TMP "/%s", p->st.root, p->sig);
	snprintf(path[2], sizeof(path[2]), "%s/" STORE_TMP "/%s", p->st.root, p->kr);
	snprintf(path[3], sizeof(path[3]), "%s/" STORE_TMP "/%s", p->st.root, p->prov);
	snprintf(path[4], sizeof(path[4]), "%s/" STORE_TMP "/%s", p->st.root, p->repro);
	if ((rc = cmd_store_lock(CMD, &p->st)) != EXIT_OK)
		return rc;
	extract_limits_default(&o.limits);
	o.activate = true;
	o.sig_path = path[1];
	o.keyring_path = p->keyring ? path[2] : NULL;
	o.provenance_path = path[3]; /* read only when the keyring's policy asks; absent: refused */
	o.reproduced_path = path[4];
	rc = cmd_install_archive(CMD, &p->st, path[0], &o, &p->res);
	remove_downloads(p);
	if (rc != EXIT_OK)
		return rc;
	return finish(p);
}

/* After an install: the archive must be the index's version; the index recorded, switch. */
static int finish(struct pull *p)
{
	struct err err;

	if (strcmp(p->res.version, p->ci.latest.version))
		return cmd_fail(CMD, EXIT_NO, "the archive is version %s, the index names %s",
		                p->res.version, p->ci.latest.version);
	if (store_channel_accept(&p->st, p->index, p->index_len, &err) < 0)
		return cmd_error(CMD, &err);
	return cmd_switch_to(CMD, &p->st, p->res.version, "activate");
}

static int download(struct pull *p)
{
	bool found;
	int rc;

	store_downloads_sweep(p->tmpfd, p->ci.latest.sha256);
	snprintf(p->tmp_shown, sizeof(p->tmp_shown), "%s/%s", p->st.root, STORE_TMP);
	store_download_name(p->ci.latest.sha256, "", p->name);
	store_download_name(p->ci.latest.sha256, ".frames", p->frames);
	store_download_name(p->ci.latest.sha256, RESUME_SUFFIX, p->frames_done);
	store_download_name(p->ci.latest.sha256, ".patches", p->patches);
	store_download_name(p->ci.latest.sha256, ".minisig", p->sig);
	store_download_name(p->ci.latest.sha256, KEYRING_SUFFIX, p->kr);
	store_download_name(p->ci.latest.sha256, PROVENANCE_SUFFIX, p->prov);
	store_download_name(p->ci.latest.sha256, REPRODUCED_SUFFIX, p->repro);
	printf("index serial %llu: %s %s (%llu bytes)\n", (unsigned long long)p->ci.serial,
	       p->ci.app, p->ci.latest.version, (unsigned long long)p->ci.latest.size);
	fflush(stdout);
	if ((rc = fetch_beside(p, ".minisig", MINISIGN_SIGFILE_MAX, p->sig, false, &found)) !=
	        EXIT_OK ||
	    (rc = fetch_beside(p, KEYRING_SUFFIX, KEYRING_FILE_MAX, p->kr, true, &p->keyring)) !=
	        EXIT_OK ||
	    (rc = fetch_beside(p, PROVENANCE_SUFFIX, PROVENANCE_FILE_MAX, p->prov, true,
	                       &p->provenance)) != EXIT_OK ||
	    (rc = fetch_beside(p, REPRODUCED_SUFFIX, REPRODUCED_FILE_MAX, p->repro, true,
	                       &p->reproduced)) != EXIT_OK)
		return rc;
	if ((rc = try_frames(p)) != WHOLE)
		return rc;
	if ((rc = fetch_archive(p)) != EXIT_OK)
		return rc;
	if (p->resumed_from)
		printf("downloaded %llu bytes, resumed from byte %llu\n",
		       (unsigned long long)p->fr.received, (unsigned long long)p->resumed_from);
	else
		printf("downloaded %llu bytes\n", (unsigned long long)p->fr.received);
	fflush(stdout);
	return install(p);
}

static void report_json(const struct pull *p, bool up_to_date)
{
	uint64_t archive = p->fr.received + p->frames_received;

	printf("{\"app\":\"%s\",\"version\":\"%s\",\"serial\":%llu,\"index_serial\":%llu,"
	       "\"up_to_date\":%s,\"downloaded\":%llu,\"resumed_from\":%llu,"
	       "\"received\":%llu,\"archive_size\":%llu,\"partial\":%s,\"frames_fetched\":%llu,"
	       "\"frames_total\":%llu,\"ranges\":%llu,\"requests\":%llu,\"files_linked\":%llu,"
	       "\"patches_received\":%llu,\"files_patched\":%llu,\"files_patched_whole\":%llu,"
	       "\"frames_resumed\":%llu,\"patches_from\":%s%s%s}\n",
	       p->ci.app, p->ci.latest.version, (unsigned long long)p->ci.latest.serial,
	       (unsigned long long)p->ci.serial, up_to_date ? "true" : "false",
	       (unsigned long long)archive, (unsigned long long)p->resumed_from,
	       (unsigned long long)(archive + p->patches_received + p->small_received),
	       (unsigned long long)p->ci.latest.size, p->partial ? "true" : "false",
	       (unsigned long long)p->fst.frames_fetched, (unsigned long long)p->fst.frames,
	       (unsigned long long)p->fst.ranges, (unsigned long long)p->requests,
	       (unsigned long long)p->res.linked, (unsigned long long)p->patches_received,
	       (unsigned long long)p->fst.patched.files_patched,
	       (unsigned long long)p->fst.patched.files_full, (unsigned long long)p->frames_resumed,
	       p->patch_set ? "\"" : "", p->patch_set ? p->patch_set->from : "null",
	       p->patch_set ? "\"" : "");
}

static int pull(struct pull *p, struct run_watch *w)
{
	struct err err;
	int rc;

	if (p->wait && (rc = run_wait_begin(CMD, &p->st, w)) != EXIT_OK)
		return rc;
	p->tmpfd = store_tmp_open(&p->st, &err);
	if (p->tmpfd < 0 || (p->dllock = store_downloads_lock(&p->st, p->tmpfd, &err)) < 0 ||
	    store_trust_load(&p->st, &p->t, &err) < 0)
		return cmd_error(CMD, &err);
	if ((rc = fetch_index(p)) != EXIT_OK)
		return rc;
	if (p->same && store_is_installed(&p->st, p->ci.latest.version)) {
		printf("up to date: %s %s (index serial %llu), nothing downloaded\n", p->ci.app,
		       p->ci.latest.version, (unsigned long long)p->ci.serial);
		p->up_to_date = true;
		return EXIT_OK;
	}
	if ((rc = download(p)) != EXIT_OK)
		return rc;
	store_downloads_unlock(p->dllock); /* the next pull may start while this one waits */
	p->dllock = -1;
	if (p->wait)
		return run_wait_finish(CMD, &p->st, w, p->res.version);
	return EXIT_OK;
}

int cmd_pull(int argc, char **argv)
{
	struct pull p = {.tmpfd = -1, .fd = -1, .dllock = -1};
	const struct cmd_option opts[] = {
	    {"wait", 0, &p.wait, NULL},
	    {0},
	};
	struct cmd_parse cp = {.cmd = CMD,
	                       .usage = usage_text,
	                       .common = CMD_ROOT | CMD_JSON,
	                       .opts = opts,
	                       .args = "url"};
	struct run_watch w;
	struct err err;
	int rc, saved = -1;

	if (cmd_parse(&cp, argc, argv) < 0)
		return cp.exit;
	p.url = cp.operands[0];
	p.json = cp.json;
	if ((rc = urls(&p)) != EXIT_OK)
		return rc;
	if (fetch_stall_seconds(&p.stall_s, &err) < 0)
		return cmd_usage_error(CMD, "%s", err.msg);
	signal(SIGXFSZ, SIG_IGN);
	/* The store lock is taken only to install and switch (specs/channel.md "Locks"). */
	rc = cmd_store_open(CMD, cp.root, false, &p.st);
	if (rc != EXIT_OK)
		return rc;
	/* With --json the lines install and activate print go to stderr: stdout is the JSON. */
	if (p.json) {
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
	}
	rc = pull(&p, &w);
	if (saved >= 0) {
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (rc == EXIT_OK && p.json)
		report_json(&p, p.up_to_date);
	free(p.index);
	free(p.res.version);
	store_trust_release(&p.t);
	fetch_session_free(p.sess);
	if (p.fd >= 0)
		close(p.fd);
	store_downloads_unlock(p.dllock);
	if (p.tmpfd >= 0)
		close(p.tmpfd);
	store_close(&p.st);
	return rc;
}
