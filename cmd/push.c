/* slipway push [user@]host ARCHIVE: deploy over ssh (specs/cli.md "push"). Runs the system's
 * OpenSSH client once: `slipway receive --wait` on the host, offered the archive's version
 * and hash first; it answers "have" (nothing is sent: it decides as deploy would for that
 * archive) or "send" (the push stream follows, cmd/support/push_stream.h).
 * The host's answer is printed as it comes; the exit code is the host's. */
#include "cmd/cmd.h"
#include "cmd/support/progress.h"
#include "cmd/support/push_stream.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
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
    "                    [--slipway PATH] [--allow-downgrade] [--no-wait] [--json]\n"
    "\n"
    "Deploys ARCHIVE on a host over ssh, as `slipway deploy ARCHIVE --wait` would there. It\n"
    "runs the system's OpenSSH client (BatchMode=yes: keys or an agent, never a password\n"
    "prompt) and `slipway receive` on the host, in one ssh session. It first offers the\n"
    "archive's version (its signature's trusted comment says which) and BLAKE2b-512: when\n"
    "the host has that release, nothing is sent and the host decides as deploy would for\n"
    "that archive (the same archive it was installed from, downgrade guard), then activates\n"
    "it; otherwise the archive, ARCHIVE.minisig and the ARCHIVE.keyring, .intoto.jsonl and\n"
    ".reproduced.jsonl beside it go over the ssh channel, and the host installs and\n"
    "activates them exactly as deploy does (signature, keyring, provenance, downgrade guard,\n"
    "per-file hashes), with a progress line on a terminal. The host's output is printed as\n"
    "it comes.\n"
    "\n"
    "  -r, --root DIR          the store on the host (default: the host's $SLIPWAY_ROOT)\n"
    "  -p, --port PORT         ssh port\n"
    "  -i, --identity KEY      ssh private key\n"
    "  -F, --ssh-config FILE   ssh configuration file (host keys, options)\n"
    "      --slipway PATH      slipway on the host (default: slipway, found in its PATH)\n"
    "      --allow-downgrade   as deploy --allow-downgrade, on the host\n"
    "      --no-wait           do not wait for the host's `slipway run` (which --wait\n"
    "                          needs): for a host whose supervisor is not started yet\n"
    "      --json              print one JSON object on stdout (host, version, sent bytes,\n"
    "                          skipped, exit); the host's output goes to stderr\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: the host's, as if run there: 0 deployed (or already current), 1 refused\n"
    "(signature, downgrade, unhealthy release rolled back), 3 a system error on the host;\n"
    "2 usage; 3 too when ssh cannot reach or log in to the host (ssh's own message is\n"
    "printed above) or the host has no slipway.\n";

struct push {
	const char *dest, *archive, *root, *port, *key, *config, *remote;
	bool json, allow_downgrade, no_wait;
	char *version;
	char hash[129]; /* the archive's BLAKE2b-512, hex */
	uint64_t sent;
	bool skipped;
	int fd[PUSH_KINDS];
	uint64_t size[PUSH_KINDS];
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

/* The archive's version, from its signature's trusted comment (the host verifies it). */
static int archive_version(struct push *p, const char *sig_path)
{
	struct minisign_sig sig = {0};
	struct err err;
	char *text = NULL;
	size_t len;
	int rc = EXIT_OK;

	if (minisign_sig_read(sig_path, &text, &len, &err) < 0 ||
	    minisign_sig_parse(text, len, &sig, &err) < 0 ||
	    minisign_comment_get(sig.trusted_comment, "version", &p->version, &err) < 0)
		rc = cmd_fail(CMD, cmd_exit_code(&err), "%s: %s", sig_path, err.msg);
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
	if (minisign_prehash_fd(p->fd[PUSH_ARCHIVE], h, &err) < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s: %s", p->archive, err.msg);
	for (int i = 0; i < 64; i++)
		snprintf(p->hash + 2 * i, 3, "%02x", h[i]);
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

/* The files, after the host answered "send", with a progress line on a terminal. A write that
 * fails because the host stopped reading is not reported: the host has said why, and its
 * exit code is the answer. */
static void send_files(struct push *p, int fd)
{
	struct send_progress sp = {.p = p};
	uint64_t files = 0, bytes = 0;
	struct err err;
	int rc = 0;

	for (int k = 0; k < PUSH_KINDS; k++)
		if (p->fd[k] >= 0) {
			files++;
			bytes += p->size[k];
		}
	printf("sending %s (%llu bytes) to %s\n", p->version,
	       (unsigned long long)p->size[PUSH_ARCHIVE], p->dest);
	fflush(stdout);
	progress_init(&sp.ps, CMD, p->json);
	progress_phase(&sp.ps, "sending", files, bytes);
	for (int k = 0; rc == 0 && k < PUSH_KINDS; k++)
		if (p->fd[k] >= 0) {
			rc = push_send_file(fd, k, p->fd[k], p->size[k], &p->sent, on_sent, &sp,
			                    &err);
			sp.files += rc == 0;
		}
	progress_end(&sp.ps);
	if (rc == 0 && write_all(fd, PUSH_END, strlen(PUSH_END), &err) == 0)
		p->sent += strlen(PUSH_END);
	else if (errno != EPIPE)
		cmd_warn(CMD, "%s", err.msg);
}

/* One ssh session: `slipway receive` on the host, the offer, its answer, the files when it
 * asks for them, then what it prints. Returns the host's exit code. */
static int session(struct push *p)
{
	const char *words[8] = {"receive"};
	char *argv[ARGV_MAX], remote[REMOTE_MAX], offer[PUSH_LINE_MAX + 2], answer[16];
	int in[2] = {-1, -1}, out[2] = {-1, -1}, n = 1, len;
	struct err err;
	pid_t pid;

	if (!p->no_wait)
		words[n++] = "--wait";
	if (p->allow_downgrade)
		words[n++] = "--allow-downgrade";
	len = snprintf(offer, sizeof(offer), PUSH_MAGIC "\noffer %s %s\n", p->version, p->hash);
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
		} else if (!strcmp(answer, PUSH_SEND)) {
			send_files(p, in[1]);
		}
	}
	close(in[1]);
	fflush(stdout);
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
	free(p.version);
	return rc;
}
