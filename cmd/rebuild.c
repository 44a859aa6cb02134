/* slipway rebuild ARCHIVE --source REPO: rebuild from the recorded commit, compare byte for
 * byte, and on a match sign a "reproduced" attestation (specs/trust.md "Reproduction"). */
#include "cmd/cmd.h"
#include "pack/checkout.h"
#include "pack/pack.h"
#include "pack/process.h"
#include "pack/tarball.h"
#include "release/base/error.h"
#include "release/base/escape.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/manifest/manifest.h"
#include "release/sig/provenance.h"
#include "release/sig/signing_key.h"
#include "release/store/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "rebuild"

static const char usage_text[] =
    "usage: slipway rebuild ARCHIVE --source REPO [-s SECFILE] [--setup CMD]\n"
    "\n"
    "Rebuilds ARCHIVE on this machine from the commit its manifest records: clones REPO\n"
    "(a path or URL libgit2 reads) into a private directory, checks out that commit, runs\n"
    "CMD there if given (e.g. \"npm ci\"), packs it with the recorded version, serial and\n"
    "build time, and compares the result with ARCHIVE byte for byte. On a match, with a\n"
    "key (-s, or $SLIPWAY_SECRET_KEY / $SLIPWAY_SECRET_KEY_DATA), appends a signed\n"
    "\"reproduced\" attestation to ARCHIVE.reproduced.jsonl. On a difference, names the\n"
    "first file that differs.\n"
    "\n"
    "  --source REPO     the source repository\n"
    "  --setup CMD       a command run in the checkout before packing (no shell)\n"
    "  -s, --seckey SEC  this rebuilder's own key, to sign the attestation\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 identical, 1 different (or not rebuildable: no commit, a dirty\n"
    "build, the commit missing), 2 usage, 3 system error.\n";

struct rebuild {
	const char *archive, *source, *setup, *sec;
	char tmp[PATH_MAX], src[PATH_MAX + 8], out[PATH_MAX + 8];
	struct manifest *m;
	char *filter;
	struct minisign_seckey sk;
	bool have_key;
};

static int read_manifest(const char *path, struct manifest **out, char **filter, struct err *err)
{
	struct extract_limits lim;
	struct extractor *x = NULL;
	const struct manifest *m;
	char *json = NULL;
	int fd = open_regular_at(AT_FDCWD, path, 0, NULL, err), rc = -1;

	if (fd < 0)
		return -1;
	extract_limits_default(&lim);
	if (extractor_new(fd, &lim, NULL, NULL, &x, err) < 0 ||
	    extractor_read_manifest(x, &m, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	if (manifest_to_json(m, &json, NULL, err) < 0 ||
	    manifest_parse(json, strlen(json), out, err) < 0)
		goto out;
	if (filter && !(*filter = strdup(extractor_filter_name(x)))) {
		fail_oom(err);
		goto out;
	}
	rc = 0;
out:
	free(json);
	extractor_free(x);
	close(fd);
	return rc;
}

/* The first file whose entry differs between the two manifests, as a message. */
static void first_difference(const struct manifest *a, const struct manifest *b, char *out,
                             size_t n)
{
	size_t i = 0, j = 0;

	while (i < a->n_files || j < b->n_files) {
		const struct manifest_file *x = i < a->n_files ? &a->files[i] : NULL;
		const struct manifest_file *y = j < b->n_files ? &b->files[j] : NULL;
		int c = !x ? 1 : !y ? -1 : strcmp(x->path, y->path);

		if (c < 0) {
			snprintf(out, n, "%s is only in the archive", x->path);
			return;
		}
		if (c > 0) {
			snprintf(out, n, "%s is only in the rebuild", y->path);
			return;
		}
		if (x->type != y->type || x->size != y->size || x->mode != y->mode ||
		    memcmp(x->sha256, y->sha256, sizeof(x->sha256)) ||
		    ((x->target || y->target) &&
		     (!x->target || !y->target || strcmp(x->target, y->target)))) {
			snprintf(out, n, "%s differs (%s)", x->path,
			         x->size != y->size   ? "size"
			         : x->mode != y->mode ? "mode"
			                              : "content");
			return;
		}
		i++;
		j++;
	}
	snprintf(out, n,
	         "every file is the same; the manifest's other fields or the archive's "
	         "bytes (headers, compression) differ");
}

/* An input read with stdio, opened the one way (release/base/fileio.h): NULL with err. */
static FILE *open_input(const char *path, struct err *err)
{
	int fd = open_regular_at(AT_FDCWD, path, 0, NULL, err);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;

	if (fd >= 0 && !f) {
		close(fd);
		fail_sys(err, "cannot read %s", path);
	}
	return f;
}

/* Byte for byte: 0 same, 1 different (*at = first differing offset), -1 error. */
static int compare(const char *a, const char *b, unsigned long long *at, struct err *err)
{
	FILE *fa = open_input(a, err), *fb = fa ? open_input(b, err) : NULL;
	unsigned long long off = 0;
	int ca, cb, rc = 0;

	if (!fa || !fb) {
		rc = -1;
		goto out;
	}
	do {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb) {
			*at = off;
			rc = 1;
			break;
		}
		off++;
	} while (ca != EOF);
out:
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return rc;
}

static int sha256_hex(const char *path, char hex[65], struct err *err)
{
	unsigned char buf[1 << 16], md[32];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	FILE *f = h ? open_input(path, err) : NULL;
	size_t n;

	if (!f || !h) {
		EVP_MD_CTX_free(h);
		if (f)
			fclose(f);
		return h ? -1 : fail_oom(err);
	}
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(h, buf, n);
	fclose(f);
	EVP_DigestFinal_ex(h, md, NULL);
	EVP_MD_CTX_free(h);
	hex_encode(md, 32, hex);
	return 0;
}

static int attest(struct rebuild *r, struct err *err)
{
	char sha[65], host[256] = "", id[300], *path = NULL, *line = NULL,
	              *base = strdup(r->archive);
	const char *env = getenv("SLIPWAY_BUILDER_ID");
	size_t len = 0;
	int fd = -1, rc = -1;

	gethostname(host, sizeof(host) - 1);
	snprintf(id, sizeof(id), "%s%s", env && *env ? "" : "local:", env && *env ? env : host);
	if (!base || asprintf(&path, "%s" REPRODUCED_SUFFIX, r->archive) < 0) {
		fail_oom(err);
		goto out;
	}
	if (sha256_hex(r->archive, sha, err) < 0 ||
	    provenance_reproduced(basename(base), sha, r->m->commit, id, &r->sk, &line, &len, err) <
	        0)
		goto out;
	/* One line per rebuilder, appended: several machines attest to the same archive. */
	fd = open_regular(AT_FDCWD, path, O_RDWR | O_CREAT | O_NOFOLLOW, 0644, NULL, err);
	if (fd < 0)
		goto out;
	if (lseek(fd, 0, SEEK_END) < 0) {
		fail_sys(err, "cannot write %s", path);
		goto out;
	}
	if (write_all(fd, line, len, err) < 0)
		goto out;
	if (fsync(fd) < 0) {
		fail_sys(err, "cannot write %s", path);
		goto out;
	}
	printf("attestation appended to %s\n", path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(line);
	free(path);
	free(base);
	return rc;
}

static int run(struct rebuild *r)
{
	struct pack_request rq = {.unsigned_ = true};
	struct pack_result res;
	struct manifest *mine = NULL;
	struct err err;
	char epoch[32], what[PATH_MAX + 128];
	unsigned long long at = 0;
	int d;

	if (read_manifest(r->archive, &r->m, &r->filter, &err) < 0)
		return cmd_error(CMD, &err);
	if (!r->m->commit[0])
		return cmd_fail(CMD, EXIT_NO, "%s records no commit: it was not packed from git",
		                r->archive);
	if (r->m->dirty)
		return cmd_fail(CMD, EXIT_NO,
		                "%s was packed from a work tree with uncommitted changes: no "
		                "commit holds its sources",
		                r->archive);
	if (signing_key_source(r->sec)) {
		if (signing_key_load(r->sec, &r->sk, &err) < 0)
			return cmd_error(CMD, &err);
		r->have_key = true;
	}
	snprintf(r->tmp, sizeof(r->tmp), "%s/slipway-rebuild.XXXXXX",
	         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(r->tmp)) {
		r->tmp[0] = '\0';
		return cmd_fail(CMD, EXIT_FAIL, "cannot create a private directory: %s",
		                strerror(errno));
	}
	snprintf(r->src, sizeof(r->src), "%s/src", r->tmp);
	snprintf(r->out, sizeof(r->out), "%s/out", r->tmp);
	fprintf(stderr, "slipway: rebuild: %s %s from commit %s\n", r->m->app, r->m->version,
	        r->m->commit);
	if (pack_checkout(r->source, r->m->commit, r->src, &err) < 0)
		return cmd_error(CMD, &err);
	snprintf(epoch, sizeof(epoch), "%lld", (long long)manifest_build_epoch(r->m));
	setenv("SOURCE_DATE_EPOCH", epoch, 1);
	if (r->setup && pack_run_command_line(r->src, r->setup, NULL, &err) < 0)
		return cmd_error(CMD, &err);
	rq.project_dir = r->src;
	rq.outdir = r->out;
	rq.version = r->m->version;
	rq.have_serial = true;
	rq.serial = r->m->serial;
	rq.compress = !strcmp(r->filter, "gzip") ? COMPRESS_GZIP : COMPRESS_ZSTD;
	if (pack_run(&rq, &res, &err) < 0)
		return cmd_error(CMD, &err);
	d = compare(r->archive, res.archive, &at, &err);
	if (d < 0)
		return cmd_error(CMD, &err);
	if (d == 0) {
		printf("reproduced: %s is byte for byte the rebuild of commit %s\n", r->archive,
		       r->m->commit);
		fflush(stdout);
		return r->have_key && attest(r, &err) < 0 ? cmd_error(CMD, &err) : EXIT_OK;
	}
	if (read_manifest(res.archive, &mine, NULL, &err) < 0)
		return cmd_error(CMD, &err);
	first_difference(r->m, mine, what, sizeof(what));
	manifest_free(mine);
	return cmd_fail(CMD, EXIT_NO, "%s differs from its rebuild at byte %llu: %s", r->archive,
	                at, what);
}

int cmd_rebuild(int argc, char **argv)
{
	struct rebuild r = {0};
	const struct cmd_option opts[] = {
	    {"source", 0, NULL, &r.source},
	    {"setup", 0, NULL, &r.setup},
	    {"seckey", 's', NULL, &r.sec},
	    {0},
	};
	struct cmd_parse p = {.cmd = CMD, .usage = usage_text, .opts = opts, .args = "archive"};
	struct err err;
	int rc;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (!r.source)
		return cmd_usage_error(CMD, "no source given: pass --source REPO");
	r.archive = p.operands[0];
	rc = run(&r);
	if (r.tmp[0])
		remove_tree_at(AT_FDCWD, r.tmp, &err);
	if (r.have_key)
		minisign_seckey_wipe(&r.sk);
	manifest_free(r.m);
	free(r.filter);
	return rc;
}
