/* slipway receive: the host's end of `slipway push` (hidden; specs/cli.md "push"). Reads the
 * push stream (cmd/support/push_stream.h) from stdin into ROOT/tmp, then installs and
 * activates it exactly as `slipway deploy FILE` does (cmd_install_archive), with --wait. */
#include "cmd/cmd.h"
#include "cmd/support/fetch.h"
#include "cmd/support/push_stream.h"
#include "cmd/support/run_wait.h"
#include "cmd/support/store_open.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"
#include "release/store/channel_state.h"
#include "release/store/install.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
    "ROOT/tmp, then installs and activates them as `slipway deploy` does). Exit status as\n"
    "deploy's; a stream that ends early or stalls ($SLIPWAY_STALL_TIMEOUT, 30 s) is 3, a\n"
    "malformed or oversized one 1.\n"
    "\n"
    "  -r, --root DIR        the store (default: $SLIPWAY_ROOT)\n"
    "      --wait            as deploy --wait\n"
    "      --allow-downgrade as deploy --allow-downgrade\n"
    "  -h, --help            show this help\n";

struct receive {
	struct store st;
	int tmpfd;
	char name[PUSH_KINDS][64];
	bool have[PUSH_KINDS];
	struct install_result res;
};

static void remove_files(struct receive *r)
{
	for (int k = 0; k < PUSH_KINDS; k++)
		if (r->have[k])
			unlinkat(r->tmpfd, r->name[k], 0);
}

/* The offer: "offer <version> <hash>" into version and hash (validated by their users). */
static int read_offer(struct push_reader *rd, char *version, size_t vcap, char *hash, size_t hcap)
{
	char line[PUSH_LINE_MAX + 1], *sp;
	struct err err;

	if (push_read_line(rd, line, sizeof(line), &err) < 0)
		return cmd_error(CMD, &err);
	if (strcmp(line, PUSH_MAGIC))
		return cmd_fail(CMD, EXIT_NO, "not a slipway push stream (bad first line)");
	if (push_read_line(rd, line, sizeof(line), &err) < 0)
		return cmd_error(CMD, &err);
	sp = strchr(line, ' ') ? strchr(strchr(line, ' ') + 1, ' ') : NULL;
	if (strncmp(line, "offer ", 6) || !sp || (size_t)(sp - line - 6) >= vcap ||
	    strlen(sp + 1) != 128 || strspn(sp + 1, "0123456789abcdef") != 128)
		return cmd_fail(CMD, EXIT_NO, "not a slipway push stream (bad offer)");
	snprintf(version, vcap, "%.*s", (int)(sp - line - 6), line + 6);
	snprintf(hash, hcap, "%s", sp + 1);
	if (version_check(version, &err) < 0)
		return cmd_fail(CMD, EXIT_NO, "not a slipway push stream (bad offer: %s)", err.msg);
	return EXIT_OK;
}

/* The answer, push's cue: the first line of stdout. */
static int answer(const char *word)
{
	printf("%s\n", word);
	if (fflush(stdout) != 0)
		return cmd_fail(CMD, EXIT_FAIL, "cannot answer push: %s", strerror(errno));
	return EXIT_OK;
}

/* The files into ROOT/tmp/push.archive, push.minisig, ..., one file per kind. */
static int read_stream(struct receive *r, struct push_reader *rd)
{
	char line[PUSH_LINE_MAX + 1];
	struct err err;

	for (;;) {
		enum push_kind k;
		uint64_t size;
		struct stat sb;
		bool end;
		int fd, rc;

		if (push_read_line(rd, line, sizeof(line), &err) < 0 ||
		    push_parse_header(line, &k, &size, &end, &err) < 0)
			return cmd_error(CMD, &err);
		if (end)
			break;
		if (r->have[k])
			return cmd_fail(CMD, EXIT_NO, "the stream has two %s files",
			                push_kind_name(k));
		/* Under the store lock: one receive at a time, so fixed names (a file a killed
		 * receive left is overwritten by the next). */
		snprintf(r->name[k], sizeof(r->name[k]), "push%s",
		         k == PUSH_ARCHIVE ? ".archive" : push_kind_suffix(k));
		fd = open_regular(r->tmpfd, r->name[k], O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
		                  0600, &sb, &err);
		if (fd < 0)
			return cmd_fail(CMD, EXIT_FAIL, "%s/%s: %s", r->st.root, STORE_TMP,
			                err.msg);
		r->have[k] = true;
		rc = push_read_body(rd, fd, size, &err);
		if (close(fd) < 0 && rc == 0)
			rc = fail_sys(&err, "cannot write %s/%s/%s", r->st.root, STORE_TMP,
			              r->name[k]);
		if (rc < 0)
			return cmd_fail(CMD, cmd_exit_code(&err), "%s: %s; nothing installed",
			                push_kind_name(k), err.msg);
	}
	if (!r->have[PUSH_ARCHIVE] || !r->have[PUSH_MINISIG])
		return cmd_fail(CMD, EXIT_NO, "the stream has no %s; nothing installed",
		                r->have[PUSH_ARCHIVE] ? "signature" : "archive");
	return EXIT_OK;
}

/* Deploy's decision for an archive whose release is installed, without the archive. */
static int reactivate(struct receive *r, const char *version, const char *hash, bool wait,
                      bool allow_downgrade)
{
	struct run_watch w;
	struct err err;
	int rc;

	if (wait && (rc = run_wait_begin(CMD, &r->st, &w)) != EXIT_OK)
		return rc;
	if (store_install_reactivate(&r->st, version, hash, allow_downgrade, &err) < 0)
		return cmd_error(CMD, &err);
	printf("%s is already installed from this archive\n", version);
	rc = cmd_switch_to(CMD, &r->st, version, "activate");
	if (wait && rc == EXIT_OK)
		rc = run_wait_finish(CMD, &r->st, &w, version);
	return rc;
}

static int install(struct receive *r, bool wait, bool allow_downgrade)
{
	char path[PUSH_KINDS][4096 + 80];
	struct install_opts o = {0};
	struct run_watch w;
	int rc;

	for (int k = 0; k < PUSH_KINDS; k++)
		snprintf(path[k], sizeof(path[k]), "%s/" STORE_TMP "/%s", r->st.root,
		         r->have[k] ? r->name[k] : "push-absent");
	if (wait && (rc = run_wait_begin(CMD, &r->st, &w)) != EXIT_OK)
		return rc;
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
	char version[256], hash[129];
	struct cmd_parse p = {.cmd = CMD, .usage = usage_text, .common = CMD_ROOT, .opts = opts};
	struct receive r = {.tmpfd = -1};
	struct err err;
	long stall_s;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (fetch_stall_seconds(&stall_s, &err) < 0)
		return cmd_usage_error(CMD, "%s", err.msg);
	rd.stall_s = stall_s;
	signal(SIGXFSZ, SIG_IGN);
	rc = cmd_store_open(CMD, p.root, true, &r.st);
	if (rc != EXIT_OK)
		return rc;
	r.tmpfd = store_tmp_open(&r.st, &err);
	if (r.tmpfd < 0) {
		rc = cmd_error(CMD, &err);
		goto out;
	}
	if ((rc = read_offer(&rd, version, sizeof(version), hash, sizeof(hash))) != EXIT_OK)
		goto out;
	if (store_is_installed(&r.st, version)) {
		if ((rc = answer(PUSH_HAVE)) == EXIT_OK)
			rc = reactivate(&r, version, hash, wait, allow_downgrade);
		goto out;
	}
	if ((rc = answer(PUSH_SEND)) != EXIT_OK)
		goto out;
	rc = read_stream(&r, &rd);
	if (rc == EXIT_OK)
		rc = install(&r, wait, allow_downgrade);
	remove_files(&r);
out:
	free(r.res.version);
	if (r.tmpfd >= 0)
		close(r.tmpfd);
	store_close(&r.st);
	return rc;
}
