/* slipway push [user@]host ARCHIVE: deploy over ssh (specs/cli.md "push"). Runs the system's
 * OpenSSH client once: `slipway receive --wait` on the host, offered the archive's version
 * and hash first; it answers "have" (nothing is sent: it decides as deploy would for that
 * archive), "send" (the push stream follows, cmd/support/push_stream.h) or "partial" (the
 * small files, then push serves the host's requests for ranges of the archive until it says
 * "done"). The host's output is printed as it comes; the exit code is the host's. */
#include "cmd/cmd.h"
#include "cmd/support/progress.h"
#include "cmd/support/push_stream.h"
#include "release/base/clock.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/base/seektable.h"
#include "release/manifest/manifest_check.h"
#include "release/sig/minisign.h"
#include "release/store/install.h"
#include "release/store/patchset.h"
#include "release/store/signed_release.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD        "push"
#define ARGV_MAX   32
#define REMOTE_MAX 8192
#define SSH_FAILED 255 /* ssh's own failure (OpenSSH: connection, authentication) */
#define NOT_FOUND  127 /* the remote shell found no such program */

static const char usage_text[] =
    "usage: slipway push [user@]host ARCHIVE [--root DIR] [-p PORT] [-i KEY] [-F CONFIG]\n"
    "                    [--slipway PATH] [--base FILE] [--allow-downgrade] [--no-wait]\n"
    "                    [--json]\n"
    "\n"
    "Deploys ARCHIVE on a host over ssh, as `slipway deploy ARCHIVE --wait` would there. It\n"
    "runs the system's OpenSSH client (BatchMode=yes: keys or an agent, never a password\n"
    "prompt) and `slipway receive` on the host, in one ssh session. It first offers the\n"
    "archive's version (its signature's trusted comment says which) and BLAKE2b-512: when\n"
    "the host has that release, nothing is sent and the host decides as deploy would for\n"
    "that archive (the same archive it was installed from, downgrade guard), then activates\n"
    "it. When the host has a release to reuse files from and ARCHIVE has a seek table, only\n"
    "what it lacks travels: ARCHIVE.minisig and .keyring, the seek table and manifest, a\n"
    "patch set of the files it lacks (patched against the files it has when a base archive\n"
    "is at hand, else whole), and the frames of anything left; the host installs them as a\n"
    "partial pull does (signature, keyring, downgrade guard, per-file hashes). Otherwise the\n"
    "archive, ARCHIVE.minisig and the ARCHIVE.keyring, .intoto.jsonl and .reproduced.jsonl\n"
    "beside it go over the ssh channel, and the host installs and activates them exactly as\n"
    "deploy does (signature, keyring, provenance, downgrade guard, per-file hashes). A\n"
    "progress line shows on a terminal; the host's output is printed as it comes.\n"
    "\n"
    "  -r, --root DIR          the store on the host (default: the host's $SLIPWAY_ROOT)\n"
    "  -p, --port PORT         ssh port\n"
    "  -i, --identity KEY      ssh private key\n"
    "  -F, --ssh-config FILE   ssh configuration file (host keys, options)\n"
    "      --slipway PATH      slipway on the host (default: slipway, found in its PATH)\n"
    "      --base FILE         the archive the host runs (e.g. the previous CI artifact),\n"
    "                          the base of the patch set (default: <app>-<version>.tar.zst\n"
    "                          beside ARCHIVE, for the version the host names)\n"
    "      --allow-downgrade   as deploy --allow-downgrade, on the host\n"
    "      --no-wait           do not wait for the host's `slipway run` (which --wait\n"
    "                          needs): for a host whose supervisor is not started yet\n"
    "      --json              print one JSON object on stdout (host, version, sent bytes,\n"
    "                          skipped, partial, exit); the host's output goes to stderr\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: the host's, as if run there: 0 deployed (or already current), 1 refused\n"
    "(signature, downgrade, unhealthy release rolled back), 3 a system error on the host;\n"
    "2 usage; 3 too when ssh cannot reach or log in to the host (ssh's own message is\n"
    "printed above) or the host has no slipway.\n";

struct push {
	const char *dest, *archive, *root, *port, *key, *config, *remote, *base;
	bool json, allow_downgrade, no_wait;
	char *version;
	char hash[129];    /* the archive's BLAKE2b-512, hex */
	char manifest[65]; /* the manifest digest its trusted comment names, hex; "-": none */
	uint64_t sent;
	bool skipped, partial;
	int fd[PUSH_KINDS];
	uint64_t size[PUSH_KINDS];
	uint64_t seek_table_size;     /* 0: the archive has none (it goes whole) */
	struct archive_files *target; /* ARCHIVE read file by file, for a patch set */
	bool target_tried;
};

/* `s` single-quoted for the host's shell (ssh passes one command line to it). */
static int quote(char *out, size_t cap, size_t *len, const char *s)
{
	if (*len + 3 > cap)
		return -1;
	out[(*len)++] = ' ';
	out[(*len)++] = '\'';
	for (; *s; s++) {
		if (*len + 6 > cap)
			return -1;
		if (*s == '\'') {
			memcpy(out + *len, "'\\''", 4);
			*len += 4;
		} else {
			out[(*len)++] = *s;
		}
	}
	out[(*len)++] = '\'';
	out[*len] = '\0';
	return 0;
}

/* The ssh command line running `slipway WORDS... [--root DIR]` on the host. */
static int ssh_argv(const struct push *p, const char *const *words, char **argv, char *remote)
{
	size_t len = 0;
	int n = 0;

	argv[n++] = "ssh";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = "ConnectTimeout=10";
	argv[n++] = "-o"; /* a host that stops answering is given up after about a minute */
	argv[n++] = "ServerAliveInterval=15";
	if (p->config) {
		argv[n++] = "-F";
		argv[n++] = (char *)p->config;
	}
	if (p->port) {
		argv[n++] = "-p";
		argv[n++] = (char *)p->port;
	}
	if (p->key) {
		argv[n++] = "-i";
		argv[n++] = (char *)p->key;
	}
	argv[n++] = "--";
	argv[n++] = (char *)p->dest;
	remote[0] = '\0';
	if (quote(remote, REMOTE_MAX, &len, p->remote) < 0)
		return -1;
	for (; *words; words++)
		if (quote(remote, REMOTE_MAX, &len, *words) < 0)
			return -1;
	if (p->root && (quote(remote, REMOTE_MAX, &len, "--root") < 0 ||
	                quote(remote, REMOTE_MAX, &len, p->root) < 0))
		return -1;
	argv[n++] = remote + 1;
	argv[n] = NULL;
	return 0;
}

/* Starts argv with stdin from in_fd (-1: empty) and stdout on out_fd (-1: ours). */
static pid_t start(char **argv, int in_fd, int out_fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (in_fd < 0) {
		int e[2]; /* an empty stdin: ssh must not read ours */

		if (pipe(e) == 0) {
			close(e[1]);
			in_fd = e[0];
		}
	}
	if (in_fd >= 0 && in_fd != STDIN_FILENO)
		dup2(in_fd, STDIN_FILENO);
	if (out_fd >= 0 && out_fd != STDOUT_FILENO)
		dup2(out_fd, STDOUT_FILENO);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	fprintf(stderr, "slipway: push: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(SSH_FAILED);
}

/* The host's exit code from ssh's wait status; ssh's own failures become EXIT_FAIL with one
 * line of ours under ssh's message. */
static int host_code(const struct push *p, int ws)
{
	int c;

	if (!WIFEXITED(ws))
		return cmd_fail(CMD, EXIT_FAIL, "ssh to %s was killed by signal %d", p->dest,
		                WTERMSIG(ws));
	c = WEXITSTATUS(ws);
	if (c == SSH_FAILED)
		return cmd_fail(
		    CMD, EXIT_FAIL,
		    "cannot reach or log in to %s with ssh (exit 255); nothing deployed", p->dest);
	if (c == NOT_FOUND)
		return cmd_fail(CMD, EXIT_FAIL, "no %s on %s (exit 127); nothing deployed",
		                p->remote, p->dest);
	return c;
}

static int wait_for(pid_t pid)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	return ws;
}

/* The archive's version and manifest digest, from its signature's trusted comment (the host
 * verifies it). */
static int archive_version(struct push *p, const char *sig_path)
{
	struct minisign_sig sig = {0};
	uint8_t d[MANIFEST_DIGEST_BYTES];
	struct err err;
	char *text = NULL;
	size_t len;
	int rc = EXIT_OK;

	if (minisign_sig_read(sig_path, &text, &len, &err) < 0 ||
	    minisign_sig_parse(text, len, &sig, &err) < 0 ||
	    minisign_comment_get(sig.trusted_comment, "version", &p->version, &err) < 0)
		rc = cmd_fail(CMD, cmd_exit_code(&err), "%s: %s", sig_path, err.msg);
	strcpy(p->manifest, "-");
	if (rc == EXIT_OK && signed_comment_manifest(sig.trusted_comment, d, &err) == 0)
		hex_encode(d, MANIFEST_DIGEST_BYTES, p->manifest);
	minisign_sig_release(&sig);
	free(text);
	return rc;
}

/* The archive and what is beside it, opened (and sized) before anything is sent. */
static int open_files(struct push *p)
{
	char path[4096];
	struct stat sb;
	struct err err;
	uint8_t h[64];

	for (int k = 0; k < PUSH_KINDS; k++) {
		snprintf(path, sizeof(path), "%s%s", p->archive, push_kind_suffix(k));
		if (k > PUSH_MINISIG && access(path, F_OK) < 0 && errno == ENOENT)
			continue;
		p->fd[k] = open_regular_at(AT_FDCWD, path, 0, &sb, &err);
		if (p->fd[k] < 0)
			return cmd_fail(CMD, cmd_exit_code(&err), "%s", err.msg);
		if ((uint64_t)sb.st_size > push_kind_max(k))
			return cmd_fail(
			    CMD, EXIT_NO, "%s: %lld bytes, more than the %llu a host accepts", path,
			    (long long)sb.st_size, (unsigned long long)push_kind_max(k));
		p->size[k] = (uint64_t)sb.st_size;
	}
	p->seek_table_size = seektable_file_tail(p->fd[PUSH_ARCHIVE], p->size[PUSH_ARCHIVE]);
	if (minisign_prehash_fd(p->fd[PUSH_ARCHIVE], h, &err) < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s: %s", p->archive, err.msg);
	hex_encode(h, 64, p->hash);
	snprintf(path, sizeof(path), "%s.minisig", p->archive);
	return archive_version(p, path);
}

/* The host's first stdout line, its answer to the offer: into line (without "\n"). 0, or -1
 * when the host said nothing (it failed: its message is on stderr already). */
static int read_answer(int fd, char *line, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t r = read(fd, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (line[n] == '\n') {
			line[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

/* What the host prints after its answer, to our stdout (stderr with --json), until it ends. */
static void relay(int from, int to)
{
	char buf[4096];
	ssize_t r;
	struct err err;

	while ((r = read(from, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || write_all(to, buf, (size_t)r, &err) < 0)
			break;
	}
}

struct send_progress {
	struct progress ps;
	const struct push *p;
	uint64_t files;
};

static void on_sent(void *ctx)
{
	struct send_progress *sp = ctx;

	progress_update(&sp->ps, sp->files, sp->p->sent, NULL);
}

/* A write that fails because the host stopped reading is not reported: the host has said
 * why, and its exit code is the answer. */
static void send_failed(const struct err *err)
{
	if (errno != EPIPE)
		cmd_warn(CMD, "%s", err->msg);
}

/* The files, after the host answered "send" (all) or "partial" (all but the archive), with
 * a progress line on a terminal. 0, or -1 after send_failed. */
static int send_files(struct push *p, int fd, bool archive, struct send_progress *sp)
{
	uint64_t files = 0, bytes = 0;
	struct err err;
	int rc = 0;

	for (int k = archive ? 0 : 1; k < PUSH_KINDS; k++)
		if (p->fd[k] >= 0) {
			files++;
			bytes += p->size[k];
		}
	progress_phase(&sp->ps, "sending", files, bytes);
	for (int k = archive ? 0 : 1; rc == 0 && k < PUSH_KINDS; k++)
		if (p->fd[k] >= 0) {
			rc = push_send_file(fd, k, p->fd[k], p->size[k], &p->sent, on_sent, sp,
			                    &err);
			sp->files += rc == 0;
		}
	if (rc == 0 && write_all(fd, PUSH_END, strlen(PUSH_END), &err) == 0) {
		p->sent += strlen(PUSH_END);
		return 0;
	}
	send_failed(&err);
	return -1;
}

/* A reply's header line, counted as sent. */
static int send_line(struct push *p, int fd, struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int send_line(struct push *p, int fd, struct err *err, const char *fmt, ...)
{
	char line[PUSH_LINE_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write_all(fd, line, (size_t)n, err) < 0)
		return -1;
	p->sent += (uint64_t)n;
	return 0;
}

/* "ranges <n>": the n ranges read and checked (inside the archive, increasing, not
 * overlapping), then their bytes. */
static int send_ranges(struct push *p, int fd, struct push_reader *rd, uint64_t n,
                       struct send_progress *sp, struct err *err)
{
	struct byte_range *v = calloc(n, sizeof(*v));
	char line[PUSH_LINE_MAX + 1];
	uint64_t end = 0, total = 0, size = p->size[PUSH_ARCHIVE];
	int rc = -1;

	if (!v)
		return fail_oom(err);
	for (uint64_t i = 0; i < n; i++) {
		if (push_read_line(rd, line, sizeof(line), err) < 0 ||
		    push_parse_range(line, &v[i].offset, &v[i].length, err) < 0)
			goto out;
		if (v[i].offset < end || v[i].offset > size || v[i].length > size - v[i].offset) {
			fail(err,
			     "the host asked for bytes %" PRIu64 "+%" PRIu64 " of a %" PRIu64
			     "-byte archive",
			     v[i].offset, v[i].length, size);
			goto out;
		}
		end = v[i].offset + v[i].length;
		total += v[i].length;
	}
	if (send_line(p, fd, err, PUSH_RANGES " %" PRIu64 "\n", total) < 0)
		goto out;
	for (uint64_t i = 0; i < n; i++)
		if (push_send_bytes(fd, p->fd[PUSH_ARCHIVE], v[i].offset, v[i].length, &p->sent,
		                    on_sent, sp, err) < 0)
			goto out;
	rc = 0;
out:
	free(v);
	return rc;
}

/* The base of a patch set: --base, else <app>-<base version>.tar.zst beside ARCHIVE when
 * the host named its base and that file exists; NULL when none can be read file by file. */
static struct archive_files *open_base(const struct push *p, const char *base_version)
{
	const char *slash = strrchr(p->archive, '/');
	struct archive_files *af = NULL;
	char path[4096 + 2 * MANIFEST_MAX_NAME + 16];
	struct err err;

	if (p->base)
		snprintf(path, sizeof(path), "%s", p->base);
	else if (*base_version && version_check(base_version, &err) == 0)
		snprintf(path, sizeof(path), "%.*s%s-%s.tar.zst",
		         slash ? (int)(slash - p->archive + 1) : 0, p->archive,
		         archive_files_manifest(p->target)->app, base_version);
	else
		return NULL;
	if (!p->base && access(path, F_OK) < 0)
		return NULL;
	if (archive_files_open(path, &af, &err) < 0)
		cmd_warn(CMD, "no base for the patch set: %s: %s", path, err.msg);
	return af;
}

/* While the patch set is built, a "wait" line at most every PUSH_WAIT_MS: the host's stall
 * deadline covers silence, not work. */
struct waiting {
	struct push *p;
	int fd;
	uint64_t last_ms;
	long test_delay_ms; /* $SLIPWAY_TEST_PATCH_DELAY_MS: a slow build, for the tests */
	bool failed;
};

static void wait_tick(void *ctx)
{
	struct waiting *w = ctx;
	struct err ignored;
	uint64_t now;

	if (w->test_delay_ms > 0)
		usleep((useconds_t)w->test_delay_ms * 1000);
	now = clock_mono_ms();
	if (w->failed || now - w->last_ms < PUSH_WAIT_MS)
		return;
	/* A write that fails now fails again with the reply, which reports it. */
	w->failed = send_line(w->p, w->fd, &ignored, PUSH_WAIT "\n") < 0;
	w->last_ms = now;
}

/* The patch set of `want` into a temporary file: its descriptor, or -1 (none: the frames
 * serve those files). */
static int make_patches(struct push *p, int out, const struct push_request *q,
                        const struct patchset_want *want)
{
	struct archive_files *base = open_base(p, q->base_version);
	const char *delay = getenv("SLIPWAY_TEST_PATCH_DELAY_MS");
	struct waiting w = {.p = p,
	                    .fd = out,
	                    .last_ms = clock_mono_ms(),
	                    .test_delay_ms = delay ? atol(delay) : 0};
	struct patchset_progress pr = {wait_tick, &w};
	struct patchset_stats st = {0};
	FILE *f = tmpfile();
	struct err err;
	int fd = -1;

	if (!f)
		cmd_warn(CMD, "no patch set: cannot create a temporary file: %s", strerror(errno));
	else if (patchset_write(fileno(f), p->target, want, base, &pr, &st, &err) < 0)
		cmd_warn(CMD, "no patch set: %s", err.msg);
	else if ((fd = dup(fileno(f))) >= 0)
		printf("patch set against %s: %llu files patched, %llu whole, %llu bytes\n",
		       base ? (*q->base_version ? q->base_version : "--base") : "nothing",
		       (unsigned long long)st.files_patched, (unsigned long long)st.files_full,
		       (unsigned long long)st.out_bytes);
	fflush(stdout);
	if (f)
		fclose(f);
	archive_files_close(base);
	return fd;
}

/* "patches ...": the file lines read and checked (indices of ARCHIVE's manifest, increasing),
 * then a patch set of those files, or none ("patches 0") when ARCHIVE cannot be read file by
 * file, is not the manifest the host names, or the writing fails. */
static int send_patches(struct push *p, int fd, struct push_reader *rd,
                        const struct push_request *q, struct send_progress *sp, struct err *err)
{
	char line[PUSH_LINE_MAX + 1];
	struct patchset_want *want = NULL;
	size_t files = 0;
	uint64_t next = 0, size = 0;
	int tfd = -1, rc = -1;

	if (!p->target_tried) {
		p->target_tried = true;
		if (archive_files_open(p->archive, &p->target, err) < 0)
			cmd_warn(CMD, "no patch set: %s", err->msg);
	}
	if (p->target && strcmp(archive_files_manifest_sha256(p->target), q->manifest_sha256))
		cmd_warn(CMD, "no patch set: the host names another manifest");
	else if (p->target)
		files = archive_files_manifest(p->target)->n_files;
	if (q->n > files && files)
		return fail(err, "the host asked for %" PRIu64 " of %zu files", q->n, files);
	if (files && !(want = calloc(files, sizeof(*want))))
		return fail_oom(err);
	for (uint64_t i = 0; i < q->n; i++) {
		uint8_t sha[32];
		uint64_t idx;
		bool has_base;

		if (push_read_line(rd, line, sizeof(line), err) < 0 ||
		    push_parse_want(line, &idx, &has_base, sha, err) < 0)
			goto out;
		if (idx < next || (want && idx >= files)) {
			fail(err, "the host asked for file %" PRIu64 " out of order or range", idx);
			goto out;
		}
		next = idx + 1;
		if (want) {
			want[idx].send = true;
			want[idx].has_base = has_base;
			memcpy(want[idx].base_sha256, sha, sizeof(sha));
		}
	}
	if (want && q->n && (tfd = make_patches(p, fd, q, want)) >= 0)
		size = (uint64_t)lseek(tfd, 0, SEEK_END);
	if (send_line(p, fd, err, PUSH_PATCHES " %" PRIu64 "\n", size) < 0 ||
	    (size && push_send_bytes(fd, tfd, 0, size, &p->sent, on_sent, sp, err) < 0))
		goto out;
	rc = 0;
out:
	if (tfd >= 0)
		close(tfd);
	free(want);
	return rc;
}

/* After "partial": the host's requests, each answered, until "done" or the end of its
 * stdout (it failed: its message is on stderr). Anything else ends the exchange here; the
 * host then sees its stream end. */
static void serve(struct push *p, int fd, struct push_reader *rd, struct send_progress *sp)
{
	char line[PUSH_LINE_MAX + 1];
	struct push_request q;
	struct err err;
	int rc = 0;

	progress_phase(&sp->ps, "sending", 0, p->size[PUSH_ARCHIVE]);
	while (rc == 0) {
		if (push_read_line(rd, line, sizeof(line), &err) < 0) {
			if (!rd->eof)
				cmd_warn(CMD, "%s: %s", p->dest, err.msg);
			return;
		}
		if (push_parse_request(line, &q, &err) < 0) {
			cmd_warn(CMD, "%s: %s", p->dest, err.msg);
			return;
		}
		switch (q.kind) {
		case PUSH_REQ_DONE:
			return;
		case PUSH_REQ_WHOLE:
			progress_phase(&sp->ps, "sending", 1, p->size[PUSH_ARCHIVE]);
			rc = push_send_file(fd, PUSH_ARCHIVE, p->fd[PUSH_ARCHIVE],
			                    p->size[PUSH_ARCHIVE], &p->sent, on_sent, sp, &err);
			break;
		case PUSH_REQ_RANGES:
			rc = send_ranges(p, fd, rd, q.n, sp, &err);
			break;
		case PUSH_REQ_PATCHES:
			rc = send_patches(p, fd, rd, &q, sp, &err);
			break;
		}
	}
	send_failed(&err);
}

/* What the host lacks, after its answer ("send" or "partial"), then its stdout. */
static void deliver(struct push *p, int in, struct push_reader *rd, bool partial)
{
	struct send_progress sp = {.p = p};

	if (partial)
		printf("sending %s to %s: what it lacks of the %llu-byte archive\n", p->version,
		       p->dest, (unsigned long long)p->size[PUSH_ARCHIVE]);
	else
		printf("sending %s (%llu bytes) to %s\n", p->version,
		       (unsigned long long)p->size[PUSH_ARCHIVE], p->dest);
	fflush(stdout);
	progress_init(&sp.ps, CMD, p->json);
	if (send_files(p, in, !partial, &sp) == 0 && partial)
		serve(p, in, rd, &sp);
	progress_end(&sp.ps);
}

/* One ssh session: `slipway receive` on the host, the offer, its answer, the files when it
 * asks for them, then what it prints. Returns the host's exit code. */
static int session(struct push *p)
{
	const char *words[8] = {"receive"};
	char *argv[ARGV_MAX], remote[REMOTE_MAX], offer[PUSH_LINE_MAX + 2], answer[16];
	int in[2] = {-1, -1}, out[2] = {-1, -1}, n = 1, len;
	struct push_reader rd = {.stall_s = 0}; /* the host may work a while between requests */
	struct err err;
	pid_t pid;

	if (!p->no_wait)
		words[n++] = "--wait";
	if (p->allow_downgrade)
		words[n++] = "--allow-downgrade";
	len =
	    snprintf(offer, sizeof(offer), PUSH_MAGIC "\noffer %s %s %" PRIu64 " %" PRIu64 " %s\n",
	             p->version, p->hash, p->size[PUSH_ARCHIVE], p->seek_table_size, p->manifest);
	if (len >= (int)sizeof(offer) || ssh_argv(p, words, argv, remote) < 0)
		return cmd_fail(CMD, EXIT_USAGE,
		                "the version or the host command line is too long");
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return cmd_fail(CMD, EXIT_FAIL, "cannot create a pipe: %s", strerror(errno));
	fflush(stdout);
	pid = start(argv, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return cmd_fail(CMD, EXIT_FAIL, "cannot fork: %s", strerror(errno));
	}
	if (write_all(in[1], offer, (size_t)len, &err) == 0 &&
	    read_answer(out[0], answer, sizeof(answer)) == 0) {
		if (!strcmp(answer, PUSH_HAVE)) {
			p->skipped = true;
			printf("%s has %s installed: nothing sent\n", p->dest, p->version);
		} else if (!strcmp(answer, PUSH_SEND) || !strcmp(answer, PUSH_PARTIAL)) {
			p->partial = !strcmp(answer, PUSH_PARTIAL);
			rd.fd = out[0];
			deliver(p, in[1], &rd, p->partial);
		}
	}
	close(in[1]);
	fflush(stdout);
	/* What the host printed after "done" and the reader holds already, then the rest. */
	if (rd.pos < rd.len)
		write_all(p->json ? STDERR_FILENO : STDOUT_FILENO, rd.buf + rd.pos, rd.len - rd.pos,
		          &err);
	relay(out[0], p->json ? STDERR_FILENO : STDOUT_FILENO);
	close(out[0]);
	return host_code(p, wait_for(pid));
}

static void report_json(const struct push *p, int rc)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "host", json_object_new_string(p->dest));
	json_object_object_add(o, "version", json_object_new_string(p->version ? p->version : ""));
	json_object_object_add(o, "sent", json_object_new_int64((int64_t)p->sent));
	json_object_object_add(o, "skipped", json_object_new_boolean(p->skipped));
	json_object_object_add(o, "partial", json_object_new_boolean(p->partial));
	json_object_object_add(o, "exit", json_object_new_int(rc));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static int push(struct push *p)
{
	int rc = session(p);

	if (rc == EXIT_OK && !p->skipped)
		printf("sent %llu bytes\n", (unsigned long long)p->sent);
	return rc;
}

int cmd_push(int argc, char **argv)
{
	struct push p = {.remote = "slipway"};
	const struct cmd_option opts[] = {
	    {"port", 'p', NULL, &p.port},
	    {"identity", 'i', NULL, &p.key},
	    {"ssh-config", 'F', NULL, &p.config},
	    {"slipway", 0, NULL, &p.remote},
	    {"allow-downgrade", 0, &p.allow_downgrade, NULL},
	    {"no-wait", 0, &p.no_wait, NULL},
	    {"base", 0, NULL, &p.base},
	    {0},
	};
	struct cmd_parse cp = {.cmd = CMD,
	                       .usage = usage_text,
	                       .common = CMD_ROOT | CMD_JSON,
	                       .opts = opts,
	                       .args = "destination archive"};
	uint64_t port;
	int rc, saved = -1;

	for (int k = 0; k < PUSH_KINDS; k++)
		p.fd[k] = -1;
	if (cmd_parse(&cp, argc, argv) < 0)
		return cp.exit;
	p.dest = cp.operands[0];
	p.archive = cp.operands[1];
	p.root = cp.root;
	p.json = cp.json;
	if (!*p.dest || p.dest[0] == '-' || strpbrk(p.dest, " \t\n"))
		return cmd_usage_error(CMD, "'%s' is not a [user@]host", p.dest);
	if (p.port && cmd_count(CMD, "--port", p.port, 1, 65535, &port) < 0)
		return EXIT_USAGE;
	if (!*p.remote)
		return cmd_usage_error(CMD, "--slipway needs a path");
	if (p.base && access(p.base, R_OK) < 0)
		return cmd_usage_error(CMD, "--base %s: %s", p.base, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	/* With --json the lines of ours go to stderr too: stdout is the JSON. */
	if (p.json) {
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
	}
	rc = open_files(&p);
	if (rc == EXIT_OK)
		rc = push(&p);
	if (saved >= 0) {
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		if (p.version)
			report_json(&p, rc);
	}
	for (int k = 0; k < PUSH_KINDS; k++)
		if (p.fd[k] >= 0)
			close(p.fd[k]);
	archive_files_close(p.target);
	free(p.version);
	return rc;
}
