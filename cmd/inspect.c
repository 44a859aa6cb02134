/* slipway inspect ARCHIVE [--json]: show an archive's manifest (read with the hardened
 * reader, first entry only; the signature is not checked: use `slipway verify`). */
#include "cmd/cmd.h"
#include "release/base/error.h"
#include "release/base/escape.h"
#include "release/base/fileio.h"
#include "release/base/checked.h"
#include "release/store/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: slipway inspect ARCHIVE [--json]\n"
    "\n"
    "Shows the manifest of a release archive: app, version, serial, commit, build time,\n"
    "secrets, services and a summary of the files. Reads only the first entry, with the\n"
    "same hardened reader as install, and does not check the signature (slipway verify\n"
    "does). Exit 1 when the archive or its manifest is refused.\n"
    "\n"
    "      --json       print the manifest itself (canonical JSON, specs/manifest.md)\n"
    "  -h, --help       show this help\n";

static const char *ready_name(enum manifest_ready r)
{
	return r == READY_HTTP ? "http" : r == READY_TCP ? "tcp" : r == READY_LOG ? "log" : "none";
}

static void print_text(const struct manifest *m, const char *filter)
{
	uint64_t bytes = 0;
	size_t files = 0, dirs = 0, links = 0;

	for (size_t i = 0; i < m->n_files; i++) {
		bytes = sat_add(bytes, m->files[i].size);
		files += m->files[i].type == MANIFEST_FILE;
		dirs += m->files[i].type == MANIFEST_DIR;
		links += m->files[i].type == MANIFEST_SYMLINK;
	}
	printf("app:          %s\n", m->app);
	printf("version:      %s\n", m->version);
	printf("serial:       %llu\n", (unsigned long long)m->serial);
	printf("commit:       %s%s\n", m->commit[0] ? m->commit : "-", m->dirty ? " (dirty)" : "");
	printf("built:        %s by slipway %s\n", m->build_time, m->slipway_version);
	printf("compression:  %s\n", filter);
	printf("files:        %zu files, %zu directories, %zu symlinks, %llu bytes\n", files, dirs,
	       links, (unsigned long long)bytes);
	printf("secrets:     ");
	for (size_t i = 0; i < m->n_secrets_required; i++)
		printf(" %s", m->secrets_required[i]);
	for (size_t i = 0; i < m->n_secrets_optional; i++)
		printf(" %s?", m->secrets_optional[i]);
	printf("%s\n", m->n_secrets_required + m->n_secrets_optional ? "" : " none");
	for (size_t i = 0; i < m->n_services; i++) {
		const struct manifest_service *s = &m->services[i];

		printf("service %s:\n  command:", s->name);
		/* Words and paths may hold any UTF-8, terminal controls included. */
		for (size_t j = 0; j < s->argc; j++) {
			putchar(' ');
			esc_fputs(s->argv[j], stdout);
		}
		printf("\n  cwd:     ");
		esc_fputs(s->cwd[0] ? s->cwd : ".", stdout);
		putchar('\n');
		if (s->port)
			printf("  port:    %d\n", s->port);
		if (s->health_port)
			printf("  health:  ports from %d (SLIPWAY_HEALTH_PORT)\n", s->health_port);
		printf("  ready:   %s%s%s\n", ready_name(s->ready),
		       s->ready_path || s->ready_log ? " " : "",
		       s->ready_path  ? s->ready_path
		       : s->ready_log ? s->ready_log
		                      : "");
		printf("  stop:    %llu ms, SIGTERM to its %s\n",
		       (unsigned long long)s->stop_timeout_ms,
		       manifest_kill_mode(s) == KILL_PROCESS ? "main process" : "process group");
	}
}

int cmd_inspect(int argc, char **argv)
{
	struct cmd_parse p = {
	    .cmd = "inspect", .usage = usage_text, .common = CMD_JSON, .args = "archive"};
	struct extract_limits lim;
	struct extractor *x = NULL;
	const struct manifest *m;
	struct err err;
	char *json = NULL;
	int fd, rc = EXIT_OK;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	fd = open_regular_at(AT_FDCWD, p.operands[0], 0, NULL, &err);
	if (fd < 0)
		return cmd_error("inspect", &err);
	extract_limits_default(&lim);
	if (extractor_new(fd, &lim, NULL, NULL, &x, &err) < 0 ||
	    extractor_read_manifest(x, &m, &err) < 0) {
		fail_prefix(&err, "%s", p.operands[0]);
		rc = cmd_error("inspect", &err);
	} else if (p.json) {
		if (manifest_to_json(m, &json, NULL, &err) < 0)
			rc = cmd_error("inspect", &err);
		else
			fputs(json, stdout);
	} else {
		print_text(m, extractor_filter_name(x));
	}
	free(json);
	extractor_free(x);
	close(fd);
	return rc;
}
