/* slipway receive: the host's end of `slipway push` (hidden; specs/cli.md "push"). Reads the
 * push stream (cmd/support/push_stream.h) from stdin into ROOT/tmp, then installs and
 * activates it exactly as `slipway deploy FILE` does (cmd_install_archive), with --wait.
 * When it has a release to link files from and the archive has a seek table, it answers
 * "partial" and installs through store_install_frames, asking push for the ranges it lacks;
 * until its "done" line, its stdout carries only the exchange. */
#include "cmd/cmd.h"
#include "cmd/support/fetch.h"
#include "cmd/support/push_stream.h"
#include "cmd/support/resume_ranges.h"
#include "cmd/support/run_wait.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/manifest/manifest_check.h"
#include "release/store/channel_state.h"
#include "release/store/delta.h"
#include "release/store/install.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "receive"

static const char usage_text[] =
    "usage: slipway receive [--root DIR] [--wait] [--allow-downgrade]\n"
    "\n"
    "The host's end of `slipway push` (run by push over ssh; not for people): reads push's\n"
    "offer on stdin and answers on stdout whether it has that release (\"have\": it then\n"
    "activates it as deploy would that archive) or not (\"send\": it reads the files into\n"
    "ROOT/tmp, then installs and activates them as `slipway deploy` does; \"partial\": it\n"
    "asks push for the parts it lacks, then does the same). Exit status as\n"
    "deploy's; a stream that ends early or stalls ($SLIPWAY_STALL_TIMEOUT, 30 s) is 3, a\n"
    "malformed or oversized one 1.\n"
    "\n"
    "  -r, --root DIR        the store (default: $SLIPWAY_ROOT)\n"
    "      --wait            as deploy --wait\n"
    "      --allow-downgrade as deploy --allow-downgrade\n"
    "  -h, --help            show this help\n";

#define FRAMES_NAME  "push.frames"      /* the ranges asked for, each at its offset */
#define FRAMES_DONE  "push.frames.done" /* which (resume_ranges.h) */
#define PATCHES_NAME "push.patches"     /* the patch set push wrote */

struct offer {
	char version[256], hash[129], manifest[65];
	uint64_t size, seek_table_size;
};

struct receive {
	struct store st;
	int tmpfd;
	int dllock; /* ROOT/tmp/pull.lock (store_downloads_lock): the fixed names below are ours */
	char name[PUSH_KINDS][64];
	bool have[PUSH_KINDS];
	bool frames; /* FRAMES_NAME and PATCHES_NAME were created */
	struct install_result res;
	struct install_frames_stats fs;
	struct push_reader *rd;
	uint64_t received;       /* bytes of push's replies (partial) */
	uint64_t patch_bytes;    /* of those, the patch set's */
	struct resume_ranges rr; /* the ranges FRAMES_NAME holds: the look ahead's */
	bool patches_received;   /* PATCHES_NAME holds push's answer (the look ahead's) */
};

static void remove_files(struct receive *r)
{
	for (int k = 0; k < PUSH_KINDS; k++)
		if (r->have[k])
			unlinkat(r->tmpfd, r->name[k], 0);
	if (r->frames) {
		unlinkat(r->tmpfd, FRAMES_NAME, 0);
		unlinkat(r->tmpfd, FRAMES_DONE, 0);
		unlinkat(r->tmpfd, PATCHES_NAME, 0);
	}
}

static int read_offer(struct push_reader *rd, struct offer *of)
{
	char line[PUSH_LINE_MAX + 1];
	struct err err;

	if (push_read_line(rd, line, sizeof(line), &err) < 0)
		return cmd_error(CMD, &err);
	if (strcmp(line, PUSH_MAGIC))
		return cmd_fail(CMD, EXIT_NO, "not a slipway push stream (bad first line)");
	if (push_read_line(rd, line, sizeof(line), &err) < 0)
		return cmd_error(CMD, &err);
	if (push_parse_offer(line, of->version, sizeof(of->version), of->hash, &of->size,
	                     &of->seek_table_size, of->manifest, &err) < 0)
		return cmd_error(CMD, &err);
	if (version_check(of->version, &err) < 0)
		return cmd_fail(CMD, EXIT_NO, "not a slipway push stream (bad offer: %s)", err.msg);
	return EXIT_OK;
}

/* store_install_frames' own first test (it returns 1 without one): a release to link
 * from. */
static bool can_link(struct receive *r, const char *version)
{
	struct delta *d = NULL;
	struct err err;
	bool yes = delta_open(&r->st, version, &d, &err) == 0 && delta_sources(d) > 0;

	delta_free(d);
	return yes;
}

/* The answer, push's cue: the first line of stdout. */
static int answer(const char *word)
{
	printf("%s\n", word);
	if (fflush(stdout) != 0)
		return cmd_fail(CMD, EXIT_FAIL, "cannot answer push: %s", strerror(errno));
	return EXIT_OK;
}

/* fs_room for what push is about to send into ROOT/tmp. */
static int room(struct receive *r, int fd, uint64_t bytes, const char *what, struct err *err)
{
	char where[4200];

	snprintf(where, sizeof(where), "%s/%s", r->st.root, STORE_TMP);
	return fs_room(fd, bytes, where, what, err);
}

/* One file of the stream, its header parsed, into ROOT/tmp/push.archive, push.minisig, ... */
static int read_file(struct receive *r, struct push_reader *rd, enum push_kind k, uint64_t size)
{
	struct stat sb;
	struct err err;
	int fd, rc;

	if (r->have[k])
		return cmd_fail(CMD, EXIT_NO, "the stream has two %s files", push_kind_name(k));
	/* Under the downloads' lock: one receive at a time, so fixed names (a file a killed
	 * receive left is overwritten by the next). */
	snprintf(r->name[k], sizeof(r->name[k]), "push%s",
	         k == PUSH_ARCHIVE ? ".archive" : push_kind_suffix(k));
	fd = open_regular(r->tmpfd, r->name[k], O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600,
	                  &sb, &err);
	if (fd < 0)
		return cmd_fail(CMD, EXIT_FAIL, "%s/%s: %s", r->st.root, STORE_TMP, err.msg);
	r->have[k] = true;
	rc = room(r, fd, size, push_kind_name(k), &err);
	if (rc == 0)
		rc = push_read_body(rd, fd, size, &err);
	if (close(fd) < 0 && rc == 0)
		rc = fail_sys(&err, "cannot write %s/%s/%s", r->st.root, STORE_TMP, r->name[k]);
	if (rc < 0) {
		/* Never resumed (the next receive starts it afresh): not left to fill the disk. */
		unlinkat(r->tmpfd, r->name[k], 0);
		return cmd_fail(CMD, cmd_exit_code(&err), "%s: %s; nothing installed",
		                push_kind_name(k), err.msg);
	}
	return EXIT_OK;
}

/* The files up to "end", one per kind; the archive is required, or with `partial` refused
 * (it is asked for). */
static int read_stream(struct receive *r, struct push_reader *rd, bool partial)
{
	char line[PUSH_LINE_MAX + 1];
	struct err err;

	for (;;) {
		enum push_kind k;
		uint64_t size;
		bool end;
		int rc;

		if (push_read_line(rd, line, sizeof(line), &err) < 0 ||
		    push_parse_header(line, &k, &size, &end, &err) < 0)
			return cmd_error(CMD, &err);
		if (end)
			break;
		if (partial && k == PUSH_ARCHIVE)
			return cmd_fail(CMD, EXIT_NO,
			                "the stream has an archive after \"partial\"");
		if ((rc = read_file(r, rd, k, size)) != EXIT_OK)
			return rc;
	}
	if (!r->have[PUSH_MINISIG] || (!partial && !r->have[PUSH_ARCHIVE]))
		return cmd_fail(CMD, EXIT_NO, "the stream has no %s; nothing installed",
		                r->have[PUSH_MINISIG] ? "archive" : "signature");
	return EXIT_OK;
}

/* Deploy's decision for an archive whose release is installed, without the archive. */
static int reactivate(struct receive *r, const struct offer *of, bool wait, bool allow_downgrade)
{
	struct run_watch w;
	struct err err;
	int rc;

	if (wait && (rc = run_wait_begin(CMD, &r->st, &w)) != EXIT_OK)
		return rc;
	if (store_install_reactivate(&r->st, of->version, of->hash, of->manifest, allow_downgrade,
	                             &err) < 0)
		return cmd_error(CMD, &err);
	printf("%s is already installed from this archive\n", of->version);
	rc = cmd_switch_to(CMD, &r->st, of->version, "activate");
	if (wait && rc == EXIT_OK)
		rc = run_wait_finish(CMD, &r->st, &w, of->version);
	return rc;
}

static void tmp_path(const struct receive *r, enum push_kind k, char *out, size_t cap)
{
	snprintf(out, cap, "%s/" STORE_TMP "/%s", r->st.root,
	         r->have[k] ? r->name[k] : "push-absent");
}

/* Installs ROOT/tmp/push.archive as deploy does, then switches; w: --wait, begun. */
static int install(struct receive *r, struct run_watch *w, bool allow_downgrade)
{
	char path[PUSH_KINDS][4096 + 80];
	struct install_opts o = {0};
	int rc;

	for (int k = 0; k < PUSH_KINDS; k++)
		tmp_path(r, k, path[k], sizeof(path[k]));
	extract_limits_default(&o.limits);
	o.activate = true;
	o.allow_downgrade = allow_downgrade;
	o.sig_path = path[PUSH_MINISIG];
	o.keyring_path = r->have[PUSH_KEYRING] ? path[PUSH_KEYRING] : NULL;
	o.provenance_path = path[PUSH_INTOTO]; /* read only when the policy asks; absent: refused */
	o.reproduced_path = path[PUSH_REPRODUCED];
	rc = cmd_install_archive(CMD, &r->st, path[PUSH_ARCHIVE], &o, &r->res);
	if (rc != EXIT_OK)
		return rc;
	rc = cmd_switch_to(CMD, &r->st, r->res.version, "activate");
	if (w && rc == EXIT_OK)
		rc = run_wait_finish(CMD, &r->st, w, r->res.version);
	return rc;
}

/* A request line of the exchange on stdout, the only thing there until "done". */
static int ask(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ask(struct err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail_sys(err, "cannot write to push");
	return 0;
}

static int flush_asks(struct err *err)
{
	if (fflush(stdout) != 0)
		return fail_sys(err, "cannot write to push");
	return 0;
}

static int ask_for(struct receive *r, int fd, const struct byte_range *v, size_t n,
                   struct err *err);

/* store_install_frames' fetch: requests of at most PUSH_RANGES_MAX ranges, each answered
 * with exactly their bytes. */
static int ask_ranges(void *ctx, int fd, const struct byte_range *v, size_t n, struct err *err)
{
	struct receive *r = ctx;
	struct byte_range *want = calloc(n ? n : 1, sizeof(*want));
	size_t m = 0;
	int rc;

	if (!want)
		return fail_oom(err);
	/* What the look ahead received is not asked again. */
	for (size_t i = 0; i < n; i++)
		if (!resume_ranges_has(&r->rr, v[i].offset, v[i].length))
			want[m++] = v[i];
	rc = ask_for(r, fd, want, m, err);
	free(want);
	return rc;
}

/* The n ranges v from push, in requests of at most PUSH_RANGES_MAX, recorded in r->rr. */
static int ask_for(struct receive *r, int fd, const struct byte_range *v, size_t n, struct err *err)
{
	char line[PUSH_LINE_MAX + 1];

	for (size_t i = 0; i < n;) {
		size_t k = n - i < PUSH_RANGES_MAX ? n - i : PUSH_RANGES_MAX;
		uint64_t total = 0, size;

		if (ask(err, PUSH_RANGES " %zu\n", k) < 0)
			return -1;
		for (size_t j = i; j < i + k; j++) {
			if (ask(err, "%" PRIu64 " %" PRIu64 "\n", v[j].offset, v[j].length) < 0)
				return -1;
			total += v[j].length;
		}
		if (flush_asks(err) < 0 || push_read_line(r->rd, line, sizeof(line), err) < 0 ||
		    push_parse_reply(line, PUSH_RANGES, PUSH_ARCHIVE_MAX, &size, err) < 0)
			return -1;
		if (size != total)
			return fail(
			    err, "push answered %" PRIu64 " bytes for %" PRIu64 " bytes of ranges",
			    size, total);
		if (room(r, fd, total, "the frames", err) < 0)
			return -1;
		for (size_t j = i; j < i + k; j++) {
			if (lseek(fd, (off_t)v[j].offset, SEEK_SET) < 0)
				return fail_sys(err, "cannot seek in %s", FRAMES_NAME);
			if (push_read_body(r->rd, fd, v[j].length, err) < 0)
				return -1;
		}
		if (resume_ranges_add(&r->rr, fd, v + i, k, err) < 0)
			return -1;
		r->received += total;
		i += k;
	}
	return 0;
}

/* store_install_frames' patch set source: the files the host lacks with the SHA-256 of the
 * file at the same path in its base; push answers with a patch set or none (1). */
static int ask_patches(void *ctx, const struct install_patch_request *req, int fd, struct err *err)
{
	struct receive *r = ctx;
	char line[PUSH_LINE_MAX + 1], hex[65];
	uint64_t n = 0, size;

	if (r->patches_received)
		return r->patch_bytes ? 0 : 1; /* asked by the look ahead; read again from 0 */
	for (size_t i = 0; i < req->m->n_files; i++)
		n += req->want[i].send;
	if (!n)
		return 1;
	if (ask(err, PUSH_PATCHES " %s %s %" PRIu64 "\n", req->manifest_sha256,
	        req->base_version ? req->base_version : "-", n) < 0)
		return -1;
	for (size_t i = 0; i < req->m->n_files; i++) {
		if (!req->want[i].send)
			continue;
		hex_encode(req->want[i].base_sha256, 32, hex);
		if (ask(err, "%zu %s\n", i, req->want[i].has_base ? hex : "-") < 0)
			return -1;
	}
	if (flush_asks(err) < 0 || push_read_reply(r->rd, line, sizeof(line), err) < 0 ||
	    push_parse_reply(line, PUSH_PATCHES, PUSH_ARCHIVE_MAX, &size, err) < 0)
		return -1;
	r->patches_received = true;
	if (!size)
		return 1;
	if (room(r, fd, size, "the patch set", err) < 0 || push_read_body(r->rd, fd, size, err) < 0)
		return -1;
	r->received += size;
	r->patch_bytes = size;
	return 0;
}

/* "whole": the archive after all, into ROOT/tmp/push.archive. */
static int ask_whole(struct receive *r)
{
	char line[PUSH_LINE_MAX + 1];
	enum push_kind k;
	uint64_t size;
	struct err err;
	bool end;

	if (ask(&err, PUSH_WHOLE "\n") < 0 || flush_asks(&err) < 0 ||
	    push_read_line(r->rd, line, sizeof(line), &err) < 0 ||
	    push_parse_header(line, &k, &size, &end, &err) < 0)
		return cmd_error(CMD, &err);
	if (end || k != PUSH_ARCHIVE)
		return cmd_fail(CMD, EXIT_NO, "push answered \"whole\" with no archive");
	return read_file(r, r->rd, k, size);
}

static int say_done(void)
{
	struct err err;

	if (ask(&err, PUSH_DONE "\n") < 0 || flush_asks(&err) < 0)
		return cmd_error(CMD, &err);
	return EXIT_OK;
}

static void report_partial(const struct receive *r, const struct offer *of)
{
	const struct install_frames_stats *fs = &r->fs;

	printf("received %llu of %llu frames in %llu ranges: %llu of %llu archive bytes "
	       "(%.1f%%)\n",
	       (unsigned long long)fs->frames_fetched, (unsigned long long)fs->frames,
	       (unsigned long long)fs->ranges, (unsigned long long)r->received,
	       (unsigned long long)of->size,
	       of->size ? 100.0 * (double)r->received / (double)of->size : 0.0);
	if (r->patch_bytes)
		printf("applied a %llu-byte patch set: %llu files patched, %llu whole\n",
		       (unsigned long long)r->patch_bytes,
		       (unsigned long long)fs->patched.files_patched,
		       (unsigned long long)fs->patched.files_full);
	cmd_report_installed_parts(&r->res, fs);
}

/* After "partial": store_install_frames with push as the source of ranges; when it cannot,
 * the whole archive in the same session. Then the switch, as install. */
static int install_partial(struct receive *r, const struct offer *of, bool wait,
                           bool allow_downgrade)
{
	char sig[4096 + 80], kr[4096 + 80];
	struct install_frames_opts o = {0};
	struct run_watch w;
	struct stat sb;
	struct err err;
	int fd, pfd, x, rc, lock_rc = EXIT_OK;

	if (wait && (rc = run_wait_begin(CMD, &r->st, &w)) != EXIT_OK)
		return rc;
	tmp_path(r, PUSH_MINISIG, sig, sizeof(sig));
	tmp_path(r, PUSH_KEYRING, kr, sizeof(kr));
	fd = open_regular(r->tmpfd, FRAMES_NAME, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600, &sb,
	                  &err);
	if (fd < 0)
		return cmd_fail(CMD, EXIT_FAIL, "%s/%s: %s", r->st.root, STORE_TMP, err.msg);
	r->frames = true;
	pfd = open_regular(r->tmpfd, PATCHES_NAME, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600,
	                   &sb, &err);
	if (pfd < 0) {
		close(fd);
		return cmd_fail(CMD, EXIT_FAIL, "%s/%s: %s", r->st.root, STORE_TMP, err.msg);
	}
	o.sig_path = sig;
	o.keyring_path = r->have[PUSH_KEYRING] ? kr : NULL;
	o.archive_size = of->size;
	o.seek_table_size = of->seek_table_size;
	o.fd = fd;
	o.fetch = ask_ranges;
	o.fetch_ctx = r;
	o.patches = ask_patches;
	o.patches_ctx = r;
	o.patches_fd = pfd;
	o.allow_downgrade = allow_downgrade;
	/* A look ahead receives without the store lock, then the install runs under it
	 * (install.h, prefetch; specs/channel.md "Locks"). */
	o.prefetch = true;
	x = resume_ranges_open(&r->rr, r->tmpfd, FRAMES_DONE, fd, of->size, &err) < 0
	        ? -1
	        : store_install_frames(&r->st, &o, &r->res, &r->fs, &err);
	if (x == 0 && (lock_rc = cmd_store_lock(CMD, &r->st)) == EXIT_OK) {
		free(r->res.version);
		o.prefetch = false;
		x = store_install_frames(&r->st, &o, &r->res, &r->fs, &err);
	}
	resume_ranges_close(&r->rr);
	close(fd);
	close(pfd);
	unlinkat(r->tmpfd, FRAMES_NAME, 0);
	unlinkat(r->tmpfd, FRAMES_DONE, 0);
	unlinkat(r->tmpfd, PATCHES_NAME, 0);
	r->frames = false;
	if (lock_rc != EXIT_OK)
		return lock_rc;
	if (x < 0)
		return cmd_error(CMD, &err);
	if (x > 0) {
		free(r->res.version);
		r->res.version = NULL;
		if ((rc = ask_whole(r)) != EXIT_OK || (rc = say_done()) != EXIT_OK ||
		    (rc = cmd_store_lock(CMD, &r->st)) != EXIT_OK)
			return rc;
		printf("received the whole archive: %s\n", r->fs.whole_why);
		return install(r, wait ? &w : NULL, allow_downgrade);
	}
	if ((rc = say_done()) != EXIT_OK)
		return rc;
	report_partial(r, of);
	rc = cmd_switch_to(CMD, &r->st, r->res.version, "activate");
	if (wait && rc == EXIT_OK)
		rc = run_wait_finish(CMD, &r->st, &w, r->res.version);
	return rc;
}

int cmd_receive(int argc, char **argv)
{
	bool wait = false, allow_downgrade = false;
	const struct cmd_option opts[] = {
	    {"wait", 0, &wait, NULL},
	    {"allow-downgrade", 0, &allow_downgrade, NULL},
	    {0},
	};
	struct push_reader rd = {.fd = STDIN_FILENO};
	struct run_watch w;
	struct offer of;
	bool partial;
	struct cmd_parse p = {.cmd = CMD, .usage = usage_text, .common = CMD_ROOT, .opts = opts};
	struct receive r = {.tmpfd = -1, .dllock = -1, .rd = &rd};
	struct err err;
	long stall_s;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (fetch_stall_seconds(&stall_s, &err) < 0)
		return cmd_usage_error(CMD, "%s", err.msg);
	rd.stall_s = stall_s;
	signal(SIGXFSZ, SIG_IGN);
	/* The store lock is taken only to install and switch, the files received first under
	 * the downloads' lock (specs/channel.md "Locks"). */
	rc = cmd_store_open(CMD, p.root, false, &r.st);
	if (rc != EXIT_OK)
		return rc;
	r.tmpfd = store_tmp_open(&r.st, &err);
	if (r.tmpfd < 0 || (r.dllock = store_downloads_lock(&r.st, r.tmpfd, &err)) < 0) {
		rc = cmd_error(CMD, &err);
		goto out;
	}
	if ((rc = read_offer(&rd, &of)) != EXIT_OK)
		goto out;
	if (store_is_installed(&r.st, of.version)) {
		if ((rc = answer(PUSH_HAVE)) == EXIT_OK &&
		    (rc = cmd_store_lock(CMD, &r.st)) == EXIT_OK)
			rc = reactivate(&r, &of, wait, allow_downgrade);
		goto out;
	}
	partial = of.seek_table_size && can_link(&r, of.version);
	if ((rc = answer(partial ? PUSH_PARTIAL : PUSH_SEND)) != EXIT_OK)
		goto out;
	rc = read_stream(&r, &rd, partial);
	if (rc == EXIT_OK && partial)
		rc = install_partial(&r, &of, wait, allow_downgrade);
	else if (rc == EXIT_OK && (rc = cmd_store_lock(CMD, &r.st)) == EXIT_OK &&
	         (!wait || (rc = run_wait_begin(CMD, &r.st, &w)) == EXIT_OK))
		rc = install(&r, wait ? &w : NULL, allow_downgrade);
	remove_files(&r);
out:
	free(r.res.version);
	store_downloads_unlock(r.dllock);
	if (r.tmpfd >= 0)
		close(r.tmpfd);
	store_close(&r.st);
	return rc;
}
