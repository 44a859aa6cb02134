/* slipway publish ARCHIVE DIR: the static release channel (specs/channel.md "The channel"). */
#include "cmd/cmd.h"
#include "release/base/clock.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/lockfile.h"
#include "release/base/seektable.h"
#include "release/sig/channel.h"
#include "release/sig/envelope.h"
#include "release/sig/keyring.h"
#include "release/sig/provenance.h"
#include "release/sig/reproduced.h"
#include "release/sig/signing_key.h"
#include "release/store/patchset.h"
#include "release/store/release_diff.h"
#include "release/store/verified.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CMD                 "publish"
#define DEFAULT_EXPIRY_S    (7 * 86400)
#define EXPIRY_MAX_DAYS     3660
#define PATCH_DEPTH_DEFAULT 3
#define PATCH_DEPTH_MAX     (1 + CHANNEL_OLDER_MAX)
/* Another publish into DIR is waited for this long ($SLIPWAY_LOCK_TIMEOUT): a pipeline's
 * publish with its patch sets takes seconds, not minutes. */
#define PUBLISH_LOCK_WAIT_MS (300 * 1000)

static const char usage_text[] =
    "usage: slipway publish ARCHIVE DIR [-s SECFILE] [-x SIGFILE] [--expires WHEN]\n"
    "                       [--patch-depth N] [--no-patches] [--json]\n"
    "\n"
    "Writes the static release channel into DIR (created when missing; any static HTTP\n"
    "host serves it; hosts follow it with `slipway pull URL`): the archive, its\n"
    "signature, its keyring, provenance (.intoto.jsonl) and reproductions\n"
    "(.reproduced.jsonl) when it has them, then DIR/index.json, an envelope signed by\n"
    "the release key naming the latest release, its digests, the index's serial\n"
    "(max(previous + 1, now)) and its expiry.\n"
    "Patch sets are written too, and the index names them: against each of the\n"
    "releases the previous index names (its latest, then the releases its patch sets\n"
    "were made against) whose archive DIR holds, newest first, up to --patch-depth, the\n"
    "files a host holding that release lacks, <app>-<version>.from-<base>.patches.\n"
    "Every file is written to a temporary name, synced and renamed; the index last.\n"
    "One publish at a time writes DIR (a lock on DIR itself): another waits up to\n"
    "$SLIPWAY_LOCK_TIMEOUT seconds (default 300), then exits 3.\n"
    "\n"
    "  -s, --seckey SECFILE  the release key that signs the index; default\n"
    "                        $SLIPWAY_SECRET_KEY (a path), else $SLIPWAY_SECRET_KEY_DATA\n"
    "  -x, --sig SIGFILE     the archive's signature (default: ARCHIVE.minisig)\n"
    "      --expires WHEN    when hosts stop accepting this index: Nd or Nh from now, or\n"
    "                        a UTC time YYYY-MM-DDTHH:MM:SSZ (default: 7d)\n"
    "      --patch-depth N   patch sets against up to N earlier releases, 0 to 8\n"
    "                        (default 3): a host that missed releases still gets one\n"
    "      --no-patches      write no patch set, as --patch-depth 0 (hosts fetch the\n"
    "                        frames they lack)\n"
    "      --json            print a summary as JSON\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 published, 1 refused (an archive that is not a slipway archive, a\n"
    "previous index of another app or from the future), 2 usage, 3 system error.\n";

/* Nd, Nh (from now) or an RFC 3339 UTC time; -1 after a usage message. */
static int parse_expires(const char *s, time_t now, time_t *out)
{
	uint64_t n;
	char unit;
	int used = 0;

	if (clock_parse_iso_utc(s, out)) {
		if (*out <= now)
			return cmd_usage_error(CMD, "--expires %s is in the past", s), -1;
		return 0;
	}
	if (sscanf(s, "%llu%c%n", (unsigned long long *)&n, &unit, &used) == 2 &&
	    (size_t)used == strlen(s) && s[0] >= '0' && s[0] <= '9' && n >= 1 &&
	    (unit == 'd' || unit == 'h') && n <= (unit == 'd' ? 1 : 24) * EXPIRY_MAX_DAYS) {
		*out = now + (time_t)n * (unit == 'd' ? 86400 : 3600);
		return 0;
	}
	cmd_usage_error(CMD, "--expires needs Nd, Nh or YYYY-MM-DDTHH:MM:SSZ, not '%s'", s);
	return -1;
}

/* The previous index (prev->serial 0 and *has false without one). Its signature is not
 * judged: the publisher replaces it, and hosts judge the new one. */
static int previous_index(int dirfd, const char *dir, const char *app, struct channel_index *prev,
                          bool *has)
{
	struct envelope e = {0};
	struct err err;
	char *text = NULL;
	size_t len;
	int rc = EXIT_OK;

	memset(prev, 0, sizeof(*prev));
	*has = false;
	if (read_file_at(dirfd, CHANNEL_INDEX, CHANNEL_INDEX_MAX, 1, &text, &len, &err) < 0) {
		if (err.kind == ERR_SYSTEM && errno == ENOENT)
			return EXIT_OK;
		return cmd_fail(CMD, cmd_exit_code(&err), "%s/%s: %s", dir, CHANNEL_INDEX, err.msg);
	}
	if (len && text[len - 1] == '\n')
		len--;
	if (envelope_parse(text, len, "channel index", &e, &err) < 0 ||
	    channel_parse(e.payload, e.payload_len, prev, &err) < 0)
		rc = cmd_fail(CMD, EXIT_NO, "%s/%s: %s (remove it to start the channel anew)", dir,
		              CHANNEL_INDEX, err.msg);
	else if (strcmp(prev->app, app))
		rc = cmd_fail(CMD, EXIT_NO, "%s/%s is the channel of app %s, not %s", dir,
		              CHANNEL_INDEX, prev->app, app);
	else
		*has = true;
	envelope_release(&e);
	free(text);
	return rc;
}

/* Copies the small file at `path` (at most `max` bytes) into dirfd as `name`. With
 * `optional`, a missing file is no error (*copied false). */
static int copy_small(const char *path, int dirfd, const char *name, size_t max, bool optional,
                      bool *copied)
{
	struct err err;
	char *text = NULL;
	size_t len;

	*copied = false;
	if (read_file_at(AT_FDCWD, path, max, 0, &text, &len, &err) < 0) {
		if (optional && err.kind == ERR_SYSTEM && errno == ENOENT)
			return EXIT_OK;
		return cmd_error(CMD, &err);
	}
	if (write_file_atomic(dirfd, name, text, len, 0644, 0, &err) < 0) {
		free(text);
		return cmd_error(CMD, &err);
	}
	free(text);
	*copied = true;
	return EXIT_OK;
}

struct publish {
	const char *archive, *dir, *sig, *sec;
	time_t now, expires;
	int fd, dirfd;
	struct stat st;
	struct archive_head head;
	struct channel_index ci;
	char name[CHANNEL_NAME_MAX + 1 + 32];
	bool keyring;
	unsigned depth; /* --patch-depth */
	struct channel_index prev;
	bool has_prev;
	/* Of each patch set written, in the index's order: latest.patches (when it has one),
	 * then latest.older_patches. */
	struct patchset_stats patched[PATCH_DEPTH_MAX];
	bool patches_kept; /* the previous index's, for the same archive */
};

/* The archive's name in DIR: <app>-<version>.tar.zst; -1 when longer than CHANNEL_NAME_MAX. */
static int archive_name(const char *app, const char *version, char out[CHANNEL_NAME_MAX + 1])
{
	return snprintf(out, CHANNEL_NAME_MAX + 1, "%s-%s.tar.zst", app, version) > CHANNEL_NAME_MAX
	           ? -1
	           : 0;
}

/* Adds a patch set to l: latest.patches first, then latest.older_patches. */
static void add_set(struct channel_latest *l, const struct channel_patches *cp)
{
	if (!l->has_patches && !l->n_older) {
		l->patches = *cp;
		l->has_patches = true;
	} else {
		l->older[l->n_older++] = *cp;
	}
}

/* The files published beside the archive when pack (or rebuild) wrote them; the keyring first. */
static const struct sidecar {
	const char *suffix;
	size_t max;
} optional_sidecars[] = {
    {KEYRING_SUFFIX, KEYRING_FILE_MAX},
    {PROVENANCE_SUFFIX, PROVENANCE_FILE_MAX},
    {REPRODUCED_SUFFIX, REPRODUCED_FILE_MAX},
};

static int write_archive(struct publish *p)
{
	char path[4096 + CHANNEL_NAME_MAX + 32];
	struct err err;
	void *map;
	bool copied;
	int rc;

	map = p->st.st_size ? mmap(NULL, (size_t)p->st.st_size, PROT_READ, MAP_PRIVATE, p->fd, 0)
	                    : NULL;
	if (map == MAP_FAILED)
		return cmd_fail(CMD, EXIT_FAIL, "cannot map %s: %s", p->archive, strerror(errno));
	rc = write_file_atomic(p->dirfd, p->ci.latest.archive, map, (size_t)p->st.st_size, 0644, 0,
	                       &err);
	munmap(map, (size_t)p->st.st_size);
	if (rc < 0)
		return cmd_fail(CMD, cmd_exit_code(&err), "%s: %s", p->dir, err.msg);
	snprintf(path, sizeof(path), "%s.minisig", p->archive);
	snprintf(p->name, sizeof(p->name), "%s.minisig", p->ci.latest.archive);
	rc = copy_small(p->sig ? p->sig : path, p->dirfd, p->name, MINISIGN_SIGFILE_MAX, false,
	                &copied);
	if (rc != EXIT_OK)
		return rc;
	for (size_t i = 0; i < sizeof(optional_sidecars) / sizeof(optional_sidecars[0]); i++) {
		const struct sidecar *c = &optional_sidecars[i];

		snprintf(path, sizeof(path), "%s%s", p->archive, c->suffix);
		snprintf(p->name, sizeof(p->name), "%s%s", p->ci.latest.archive, c->suffix);
		rc = copy_small(path, p->dirfd, p->name, c->max, true, &copied);
		if (rc != EXIT_OK)
			return rc;
		/* A file left by an earlier publish of this name would be taken for this one's. */
		if (!copied && unlinkat(p->dirfd, p->name, 0) < 0 && errno != ENOENT)
			return cmd_fail(CMD, EXIT_FAIL, "cannot remove %s/%s: %s", p->dir, p->name,
			                strerror(errno));
		if (i == 0)
			p->keyring = copied;
	}
	return EXIT_OK;
}

/* The patch set of the new archive against the old one into dirfd as `name`, atomically
 * (atomic_file). Fills size and sha256 of *cp. 1: the new release has no file the old one
 * lacks (nothing written). */
static int patches_file(struct publish *p, struct archive_files *target, struct archive_files *base,
                        const char *name, struct channel_patches *cp, struct patchset_stats *stats,
                        struct err *err)
{
	const struct manifest *m = archive_files_manifest(target);
	struct patchset_want *want = calloc(m->n_files ? m->n_files : 1, sizeof(*want));
	struct atomic_file af = {.fd = -1};
	struct stat st;
	size_t n_send;
	int rc = -1;

	if (!want) {
		fail_oom(err);
		goto out;
	}
	if (release_diff_want(m, archive_files_manifest(base), want, &n_send, err) < 0)
		goto out;
	if (n_send == 0) {
		rc = 1;
		goto out;
	}
	if (atomic_file_open(&af, p->dirfd, name, 0644, 0, err) < 0 ||
	    patchset_write(af.fd, target, want, base, NULL, stats, err) < 0 ||
	    sha256_fd(af.fd, af.tmp, cp->sha256, err) < 0)
		goto out;
	if (fstat(af.fd, &st) < 0) {
		fail_sys(err, "cannot write %s", af.tmp);
		goto out;
	}
	cp->size = (uint64_t)st.st_size;
	rc = atomic_file_commit(&af, err);
out:
	atomic_file_abort(&af);
	if (rc < 0)
		fail_prefix(err, "%s", p->dir);
	free(want);
	return rc;
}

/* The same archive published again keeps the patch sets the previous index named whose file
 * in DIR still has its digest. */
static int keep_patches(struct publish *p)
{
	const struct channel_latest *old = &p->prev.latest;
	struct err err;
	char hex[65];
	int fd;

	if (strcmp(old->sha256, p->ci.latest.sha256))
		return EXIT_OK;
	for (size_t i = 0; i < channel_patch_sets(old) && i < p->depth; i++) {
		const struct channel_patches *cp = channel_patch_set(old, i);

		if ((fd = open_regular_at(p->dirfd, cp->file, 1, NULL, &err)) < 0)
			continue;
		if (sha256_fd(fd, cp->file, hex, &err) == 0 && !strcmp(hex, cp->sha256)) {
			add_set(&p->ci.latest, cp);
			p->patches_kept = true;
		}
		close(fd);
	}
	return EXIT_OK;
}

/* The releases the previous index names, newest first: its latest, then the bases of its
 * patch sets; none twice, never the version published. Returns how many (at most max). */
static size_t previous_releases(const struct publish *p, const char **v, size_t max)
{
	const struct channel_latest *old = &p->prev.latest;
	size_t n = 0;

	for (size_t i = 0; i <= channel_patch_sets(old) && n < max; i++) {
		const char *from = i == 0 ? old->version : channel_patch_set(old, i - 1)->from;
		bool seen = !strcmp(from, p->ci.latest.version);

		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(v[j], from);
		if (!seen)
			v[n++] = from;
	}
	return n;
}

/* One patch set of the new archive (target) against release `from`, when its archive is in
 * DIR, of the same app, with a seek table; added to the index. */
static int patches_against(struct publish *p, struct archive_files *target, const char *from)
{
	struct channel_latest *l = &p->ci.latest;
	struct channel_patches cp = {0};
	struct archive_files *base = NULL;
	char name[CHANNEL_NAME_MAX + 1], path[4096 + CHANNEL_NAME_MAX + 2];
	struct err err = {0};
	int r, rc = EXIT_OK;

	if (archive_name(p->ci.app, from, name) < 0 ||
	    faccessat(p->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return EXIT_OK;
	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	if ((r = archive_files_open(path, &base, &err)) != 0) {
		if (r < 0)
			fprintf(stderr, "slipway: %s: no patch set against %s: %s\n", CMD, from,
			        err.msg);
		return EXIT_OK;
	}
	if (strcmp(archive_files_manifest(base)->app, p->ci.app))
		goto out;
	snprintf(cp.from, sizeof(cp.from), "%s", from);
	if (snprintf(cp.file, sizeof(cp.file), "%.*s.from-%s.patches",
	             (int)(strlen(l->archive) - strlen(".tar.zst")), l->archive,
	             from) >= (int)sizeof(cp.file))
		goto out; /* a name this long is not published; the frames serve */
	r = patches_file(p, target, base, cp.file, &cp, &p->patched[channel_patch_sets(l)], &err);
	if (r < 0)
		rc = cmd_fail(CMD, cmd_exit_code(&err), "%s: %s", p->dir, err.msg);
	else if (r == 0)
		add_set(l, &cp);
out:
	archive_files_close(base);
	return rc;
}

/* latest.patches and latest.older_patches: against the releases the previous index names
 * whose archive is in DIR, up to --patch-depth (specs/channel.md "The channel"). */
static int write_patches(struct publish *p)
{
	const char *from[PATCH_DEPTH_MAX];
	struct archive_files *target = NULL;
	struct err err = {0};
	size_t n;
	int r, rc = EXIT_OK;

	if (!p->depth || !p->has_prev)
		return EXIT_OK;
	if (!strcmp(p->prev.latest.version, p->ci.latest.version))
		return keep_patches(p);
	if (!(n = previous_releases(p, from, PATCH_DEPTH_MAX)))
		return EXIT_OK;
	if ((r = archive_files_open(p->archive, &target, &err)) != 0)
		return r < 0 ? cmd_error(CMD, &err) : EXIT_OK;
	for (size_t i = 0; i < n && channel_patch_sets(&p->ci.latest) < p->depth && rc == EXIT_OK;
	     i++)
		rc = patches_against(p, target, from[i]);
	archive_files_close(target);
	return rc;
}

static int write_index(struct publish *p)
{
	struct minisign_seckey sk;
	struct envelope e = {0};
	struct err err;
	char tc[64], *payload = NULL, *line = NULL;
	size_t len, line_len;
	int rc = EXIT_OK;

	if (channel_payload(&p->ci, &payload, &len, &err) < 0)
		return cmd_error(CMD, &err);
	if (envelope_init(&e, CHANNEL_TYPE, payload, len, &err) < 0) {
		free(payload);
		return cmd_error(CMD, &err);
	}
	free(payload);
	if (signing_key_load(p->sec, &sk, &err) < 0) {
		envelope_release(&e);
		return cmd_error(CMD, &err);
	}
	snprintf(tc, sizeof(tc), "slipway channel serial:%llu", (unsigned long long)p->ci.serial);
	if (envelope_sign(&e, &sk, tc, NULL, &err) < 0 ||
	    envelope_format(&e, &line, &line_len, &err) < 0 ||
	    write_file_atomic(p->dirfd, CHANNEL_INDEX, line, line_len, 0644, 0, &err) < 0)
		rc = cmd_error(CMD, &err);
	minisign_seckey_wipe(&sk);
	free(line);
	envelope_release(&e);
	return rc;
}

/* One publish at a time in DIR (specs/channel.md "The channel"): a flock on the directory
 * itself, so that nothing is added to what the host serves, held until exit. The previous
 * index is read under it, so serials grow even when two pipelines publish at once. */
static int lock_dir(struct publish *p)
{
	int budget = lockfile_budget_ms(PUBLISH_LOCK_WAIT_MS);
	int r = lockfile_wait(p->dirfd, budget);
	struct err err;

	if (r > 0) {
		lockfile_fail_waited(&err, budget, "another publish is writing %s", p->dir);
		return cmd_error(CMD, &err);
	}
	if (r < 0)
		fprintf(stderr,
		        "slipway: publish: warning: %s cannot be locked (%s): another publish "
		        "writing it at the same time is not kept out\n",
		        p->dir, strerror(errno));
	p->now = time(NULL); /* after the wait: the serial is max(previous + 1, now) */
	return EXIT_OK;
}

static int publish(struct publish *p)
{
	struct channel_latest *l = &p->ci.latest;
	struct err err;
	uint64_t prev;
	int rc;

	p->fd = open_regular_at(AT_FDCWD, p->archive, 0, &p->st, &err);
	if (p->fd < 0)
		return cmd_error(CMD, &err);
	/* Created when missing, as pack's -o (its parent must exist). */
	if (mkdir(p->dir, 0755) < 0 && errno != EEXIST)
		return cmd_fail(CMD, EXIT_FAIL, "cannot create %s: %s", p->dir, strerror(errno));
	p->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0)
		return cmd_fail(CMD, EXIT_FAIL, "cannot open %s: %s", p->dir, strerror(errno));
	if ((rc = lock_dir(p)) != EXIT_OK)
		return rc;
	if (archive_head_read(p->fd, p->archive, &p->head, &err) < 0)
		return cmd_fail(CMD, EXIT_NO, "%s is not a slipway archive: %s", p->archive,
		                err.msg);
	if ((rc = previous_index(p->dirfd, p->dir, p->head.app, &p->prev, &p->has_prev)) != EXIT_OK)
		return rc;
	prev = p->prev.serial;
	if (prev >= KEYRING_NUMBER_MAX)
		return cmd_fail(CMD, EXIT_NO, "%s/%s: serial %llu cannot grow", p->dir,
		                CHANNEL_INDEX, (unsigned long long)prev);
	snprintf(p->ci.app, sizeof(p->ci.app), "%s", p->head.app);
	p->ci.serial = prev + 1 > (uint64_t)p->now ? prev + 1 : (uint64_t)p->now;
	p->ci.expires = p->expires;
	snprintf(l->version, sizeof(l->version), "%s", p->head.version);
	l->serial = p->head.serial;
	if (archive_name(p->head.app, p->head.version, l->archive) < 0)
		return cmd_fail(CMD, EXIT_NO, "%s-%s.tar.zst: name longer than %d bytes",
		                p->head.app, p->head.version, CHANNEL_NAME_MAX);
	l->size = (uint64_t)p->st.st_size;
	memcpy(l->manifest_sha256, p->head.manifest_sha256, 65);
	l->seek_table_size = seektable_file_tail(p->fd, (uint64_t)p->st.st_size);
	if (sha256_fd(p->fd, p->archive, l->sha256, &err) < 0)
		return cmd_error(CMD, &err);
	if ((rc = write_archive(p)) != EXIT_OK || (rc = write_patches(p)) != EXIT_OK)
		return rc;
	return write_index(p);
}

/* Patch set i of the index as a JSON object. */
static void print_json_set(const struct publish *p, size_t i)
{
	const struct channel_patches *cp = channel_patch_set(&p->ci.latest, i);
	const struct patchset_stats *st = &p->patched[i];

	printf("{\"file\":\"%s\",\"from\":\"%s\",\"size\":%llu,\"sha256\":\"%s\",\"kept\":%s,"
	       "\"files_patched\":%llu,\"files_full\":%llu,\"bytes_patched\":%llu,"
	       "\"bytes_full\":%llu}",
	       cp->file, cp->from, (unsigned long long)cp->size, cp->sha256,
	       p->patches_kept ? "true" : "false", (unsigned long long)st->files_patched,
	       (unsigned long long)st->files_full, (unsigned long long)st->bytes_patched,
	       (unsigned long long)st->bytes_full);
}

static void print_json(const struct publish *p, const char *when)
{
	const struct channel_latest *l = &p->ci.latest;

	printf("{\"app\":\"%s\",\"version\":\"%s\",\"serial\":%llu,\"expires\":\"%s\","
	       "\"archive\":\"%s\",\"size\":%llu,\"sha256\":\"%s\","
	       "\"manifest_sha256\":\"%s\",\"keyring\":%s,\"patches\":",
	       p->ci.app, l->version, (unsigned long long)p->ci.serial, when, l->archive,
	       (unsigned long long)l->size, l->sha256, l->manifest_sha256,
	       p->keyring ? "true" : "false");
	if (l->has_patches)
		print_json_set(p, 0);
	else
		printf("null");
	printf(",\"older_patches\":[");
	for (size_t i = l->has_patches ? 1 : 0; i < channel_patch_sets(l); i++) {
		printf("%s", i > (l->has_patches ? 1u : 0u) ? "," : "");
		print_json_set(p, i);
	}
	printf("]}\n");
}

static void print_text(const struct publish *p, const char *when)
{
	const struct channel_latest *l = &p->ci.latest;

	printf("published %s %s to %s/%s (index serial %llu, expires %s)\n", p->ci.app, l->version,
	       p->dir, CHANNEL_INDEX, (unsigned long long)p->ci.serial, when);
	for (size_t i = 0; i < channel_patch_sets(l); i++) {
		const struct channel_patches *cp = channel_patch_set(l, i);
		const struct patchset_stats *st = &p->patched[i];

		if (p->patches_kept)
			printf("patch set %s against %s kept (%llu bytes)\n", cp->file, cp->from,
			       (unsigned long long)cp->size);
		else
			printf("patch set %s against %s: %llu files patched, %llu whole, %llu "
			       "bytes\n",
			       cp->file, cp->from, (unsigned long long)st->files_patched,
			       (unsigned long long)st->files_full, (unsigned long long)cp->size);
	}
}

/* --patch-depth N: 0 to PATCH_DEPTH_MAX. */
static int parse_depth(const char *s, unsigned *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] || (unsigned)(s[0] - '0') > PATCH_DEPTH_MAX)
		return cmd_usage_error(CMD, "--patch-depth needs 0 to %d, not '%s'",
		                       PATCH_DEPTH_MAX, s),
		       -1;
	*out = (unsigned)(s[0] - '0');
	return 0;
}

int cmd_publish(int argc, char **argv)
{
	const char *expires = NULL, *depth = NULL;
	bool no_patches = false;
	struct publish p = {.fd = -1, .dirfd = -1, .depth = PATCH_DEPTH_DEFAULT};
	const struct cmd_option opts[] = {
	    {"seckey", 's', NULL, &p.sec},        {"sig", 'x', NULL, &p.sig},
	    {"expires", 0, NULL, &expires},       {"patch-depth", 0, NULL, &depth},
	    {"no-patches", 0, &no_patches, NULL}, {0},
	};
	struct cmd_parse cp = {.cmd = CMD,
	                       .usage = usage_text,
	                       .common = CMD_JSON,
	                       .opts = opts,
	                       .args = "archive dir"};
	char when[CLOCK_ISO_SIZE];
	int rc;

	if (cmd_parse(&cp, argc, argv) < 0)
		return cp.exit;
	p.archive = cp.operands[0];
	p.dir = cp.operands[1];
	p.now = time(NULL);
	p.expires = p.now + DEFAULT_EXPIRY_S;
	if (expires && parse_expires(expires, p.now, &p.expires) < 0)
		return EXIT_USAGE;
	if (depth && no_patches)
		return cmd_usage_error(CMD, "--patch-depth and --no-patches together");
	if ((depth && parse_depth(depth, &p.depth) < 0))
		return EXIT_USAGE;
	if (no_patches)
		p.depth = 0;
	if (!signing_key_source(p.sec))
		return cmd_usage_error(CMD, "no secret key: pass -s SECFILE or set "
		                            "SLIPWAY_SECRET_KEY or SLIPWAY_SECRET_KEY_DATA");
	rc = publish(&p);
	if (rc == EXIT_OK) {
		clock_iso_utc(p.ci.expires, when);
		if (cp.json)
			print_json(&p, when);
		else
			print_text(&p, when);
	}
	archive_head_release(&p.head);
	if (p.fd >= 0)
		close(p.fd);
	if (p.dirfd >= 0)
		close(p.dirfd);
	return rc;
}
