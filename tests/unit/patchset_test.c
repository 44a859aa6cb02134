/* Patch sets (patchset.h): archives written by pack's own writer, a patch set between two of
 * them, applied into a staging directory; and streams that must be refused. */
#include "pack/frames.h"
#include "pack/tarball.h"
#include "release/base/fileio.h"
#include "release/store/patchset.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct tfile {
	const char *path;
	const uint8_t *data; /* NULL: a directory */
	size_t size;
};

static char tmp[] = "/tmp/patchset_test.XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	struct err err;

	cr_assert_eq(remove_tree_at(AT_FDCWD, tmp, &err), 0, "%s", err.msg);
}

TestSuite(patchset, .init = setup, .fini = teardown);

/* n bytes of a fixed pseudo-random sequence (seed s): incompressible alone. */
static uint8_t *noise(uint32_t s, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++) {
		s = s * 1103515245u + 12345u;
		b[i] = (uint8_t)(s >> 16);
	}
	return b;
}

/* An archive at tmp/name of the files v[0..n) (sorted by path), small frames. */
static struct archive_files *archive(const char *name, const struct tfile *v, size_t n,
                                     enum pack_compress c)
{
	struct manifest *m = manifest_new();
	struct pack_tree tree = {0};
	struct tarball_opts o = {.compress = c, .threads = 1, .frame_target = FRAME_TARGET_MIN};
	uint8_t blake[TARBALL_HASH_BYTES];
	struct archive_files *af = NULL;
	char path[256], *json;
	size_t len;
	struct err err;
	int fd;

	m->app = strdup("web");
	m->version = strdup(name);
	m->serial = 1;
	m->commit = strdup("");
	m->build_time = strdup("2026-11-25T06:00:00Z");
	m->slipway_version = strdup("0.1.0");
	cr_assert_eq(manifest_alloc_files(m, n), 0);
	tree.v = calloc(n, sizeof(*tree.v));
	m->n_files = tree.n = tree.cap = n;
	for (size_t i = 0; i < n; i++) {
		struct manifest_file *f = &m->files[i];
		struct pack_entry *e = &tree.v[i];

		f->path = strdup(v[i].path);
		f->type = v[i].data ? MANIFEST_FILE : MANIFEST_DIR;
		f->mode = 0755;
		if (v[i].data) {
			f->mode = 0644;
			f->size = v[i].size;
			SHA256(v[i].data, v[i].size, f->sha256);
			e->data = malloc(v[i].size + 1);
			memcpy(e->data, v[i].data, v[i].size);
		}
		e->path = strdup(f->path);
		e->type = f->type;
		e->mode = f->mode;
		e->size = f->size;
		memcpy(e->sha256, f->sha256, 32);
	}
	cr_assert_eq(manifest_to_json(m, &json, &len, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	cr_assert_eq(tarball_write(fd, &o, json, len, &tree, blake, &err), 0, "%s", err.msg);
	close(fd);
	cr_assert_eq(archive_files_open(path, &af, &err), c == COMPRESS_ZSTD ? 0 : 1, "%s",
	             err.msg);
	free(json);
	manifest_free(m);
	pack_tree_release(&tree);
	return af;
}

/* A base the host has: any file of archive ctx with that SHA-256, in a memfd. */
static int base_from(void *ctx, const uint8_t sha256[32], uint64_t *size)
{
	struct archive_files *af = ctx;
	const struct manifest *m = archive_files_manifest(af);
	uint8_t *buf;
	size_t len;
	int fd;

	for (size_t i = 0; i < m->n_files; i++) {
		if (m->files[i].type != MANIFEST_FILE || memcmp(m->files[i].sha256, sha256, 32))
			continue;
		cr_assert_eq(archive_files_read(af, i, &buf, &len, NULL), 0);
		fd = memfd_create("base", MFD_CLOEXEC);
		cr_assert_eq(write_all(fd, buf, len, NULL), 0);
		free(buf);
		*size = len;
		return fd;
	}
	return -1;
}

static int no_base(void *ctx, const uint8_t sha256[32], uint64_t *size)
{
	(void)ctx;
	(void)sha256;
	(void)size;
	return -1;
}

/* A staging directory holding the target's directories, and need[] of its files. */
static int staging(const struct manifest *m, bool *need)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/staging", tmp);
	cr_assert_eq(mkdir(path, 0755), 0);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	need[0] = false;
	for (size_t i = 0; i < m->n_files; i++) {
		need[i + 1] = m->files[i].type == MANIFEST_FILE;
		if (m->files[i].type == MANIFEST_DIR)
			cr_assert_eq(mkdirat(fd, m->files[i].path, 0755), 0);
	}
	return fd;
}

/* What the host asks for: every file of target that base does not hold at the same path
 * with the same bytes; the base named when base has the path. */
static struct patchset_want *wants(struct archive_files *target, struct archive_files *base)
{
	const struct manifest *t = archive_files_manifest(target);
	const struct manifest *b = archive_files_manifest(base);
	struct patchset_want *w = calloc(t->n_files, sizeof(*w));

	for (size_t i = 0; i < t->n_files; i++) {
		const struct manifest_file *bf = manifest_find_file(b, t->files[i].path);

		w[i].send = t->files[i].type == MANIFEST_FILE;
		if (bf && bf->type == MANIFEST_FILE) {
			w[i].send = memcmp(bf->sha256, t->files[i].sha256, 32) != 0;
			w[i].has_base = true;
			memcpy(w[i].base_sha256, bf->sha256, 32);
		}
	}
	return w;
}

static void assert_file(int dirfd, const char *path, const uint8_t *data, size_t size)
{
	char *got;
	size_t len;
	struct err err;
	struct stat st;

	cr_assert_eq(read_file_at(dirfd, path, size + 1, 1, &got, &len, &err), 0, "%s: %s", path,
	             err.msg);
	cr_assert_eq(len, size, "%s: %zu bytes, not %zu", path, len, size);
	cr_assert_eq(memcmp(got, data, size), 0, "%s differs", path);
	cr_assert_eq(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert_eq(st.st_mode & 0222, 0, "%s is writable", path);
	cr_assert_eq(st.st_mtime, 1795586400, "%s is not dated with the build time", path);
	free(got);
}

/* base: app.js, lib.bin, same.txt, old.txt; target: app.js appended to, lib.bin replaced,
 * same.txt unchanged, new.txt and an empty file new, old.txt gone. */
struct pair {
	uint8_t *app, *app2, *lib, *lib2, *same, *fresh;
	struct tfile b[6], t[7];
	struct archive_files *base, *target;
};

#define APP  (200u << 10)
#define MORE 1000u

static void pair_make(struct pair *p)
{
	p->app = noise(1, APP);
	p->app2 = malloc(APP + MORE);
	memcpy(p->app2, p->app, APP);
	memcpy(p->app2 + APP, p->app + 5000, MORE);
	p->lib = noise(2, 100000);
	p->lib2 = noise(3, 100000);
	p->same = noise(4, 3000);
	p->fresh = (uint8_t *)strdup("a new file\n");
	memcpy(p->b,
	       (struct tfile[]){{"a", NULL, 0},
	                        {"a/app.js", p->app, APP},
	                        {"a/lib.bin", p->lib, 100000},
	                        {"a/old.txt", p->fresh, 4},
	                        {"a/same.txt", p->same, 3000},
	                        {"c", NULL, 0}},
	       sizeof(p->b));
	memcpy(p->t,
	       (struct tfile[]){{"a", NULL, 0},
	                        {"a/app.js", p->app2, APP + MORE},
	                        {"a/lib.bin", p->lib2, 100000},
	                        {"a/same.txt", p->same, 3000},
	                        {"c", NULL, 0},
	                        {"c/empty", p->fresh, 0},
	                        {"c/new.txt", p->fresh, 11}},
	       sizeof(p->t));
	p->base = archive("v1.tar.zst", p->b, 6, COMPRESS_ZSTD);
	p->target = archive("v2.tar.zst", p->t, 7, COMPRESS_ZSTD);
}

static void pair_free(struct pair *p)
{
	archive_files_close(p->base);
	archive_files_close(p->target);
	free(p->app);
	free(p->app2);
	free(p->lib);
	free(p->lib2);
	free(p->same);
	free(p->fresh);
}

/* The patch set of p in a memfd. */
static int patchset_of(struct pair *p, struct patchset_stats *st)
{
	struct patchset_want *w = wants(p->target, p->base);
	int fd = memfd_create("patches", MFD_CLOEXEC);
	struct err err;

	cr_assert_eq(patchset_write(fd, p->target, w, p->base, NULL, st, &err), 0, "%s", err.msg);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	free(w);
	return fd;
}

Test(patchset, round_trip_writes_every_file_the_host_lacks_as_the_target_has_it)
{
	struct pair p;
	struct patchset_stats ws;
	struct patchset_apply_stats as;
	const struct manifest *m;
	bool need[8];
	struct err err;
	int fd, sfd;

	pair_make(&p);
	m = archive_files_manifest(p.target);
	fd = patchset_of(&p, &ws);
	cr_assert_eq(ws.files_patched, 1);
	cr_assert_eq(ws.files_full, 3); /* lib.bin (noise: no patch pays), new.txt, empty */
	cr_assert_eq(ws.bytes_patched, APP + MORE);
	cr_assert_eq(ws.bytes_full, 100000 + 11);
	sfd = staging(m, need);
	need[4] = false; /* a/same.txt: the host links it */
	cr_assert_eq(patchset_apply(fd, m, archive_files_manifest_sha256(p.target), need, sfd,
	                            base_from, p.base, &as, &err),
	             0, "%s", err.msg);
	cr_assert_eq(as.files_patched, 1);
	cr_assert_eq(as.files_full, 3);
	cr_assert_eq(as.bytes_written, APP + MORE + 100000 + 11);
	cr_assert_eq(as.skipped + as.no_base, 0);
	for (size_t i = 0; i < 8; i++)
		cr_assert(!need[i], "entry %zu still needed", i);
	assert_file(sfd, "a/app.js", p.app2, APP + MORE);
	assert_file(sfd, "a/lib.bin", p.lib2, 100000);
	assert_file(sfd, "c/new.txt", p.fresh, 11);
	assert_file(sfd, "c/empty", p.fresh, 0);
	cr_assert_eq(faccessat(sfd, "a/same.txt", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	close(sfd);
	close(fd);
	pair_free(&p);
}

Test(patchset, an_appended_file_goes_as_a_zpatch_far_smaller_than_the_file)
{
	struct pair p;
	struct patchset_stats st;
	struct patchset_want *w;
	struct err err;
	int fd = memfd_create("patches", MFD_CLOEXEC);

	pair_make(&p);
	w = wants(p.target, p.base);
	for (size_t i = 2; i < 7; i++)
		w[i].send = false; /* app.js alone */
	cr_assert_eq(patchset_write(fd, p.target, w, p.base, NULL, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(st.files_patched, 1);
	cr_assert_eq(st.files_full, 0);
	/* 201,000 incompressible bytes: the patch holds the 1,000 appended and little else. */
	cr_assert_lt(st.out_bytes, 2 * MORE, "%llu bytes", (unsigned long long)st.out_bytes);
	free(w);
	close(fd);
	pair_free(&p);
}

Test(patchset, without_a_base_every_file_goes_whole)
{
	struct pair p;
	struct patchset_stats st;
	struct patchset_want *w;
	struct err err;
	int fd = memfd_create("patches", MFD_CLOEXEC);

	pair_make(&p);
	w = wants(p.target, p.base);
	cr_assert_eq(patchset_write(fd, p.target, w, NULL, NULL, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(st.files_patched, 0);
	cr_assert_eq(st.files_full, 4);
	cr_assert_eq(st.bytes_full, APP + MORE + 100000 + 11);
	cr_assert_gt(st.out_bytes, APP, "%llu bytes", (unsigned long long)st.out_bytes);
	free(w);
	close(fd);
	pair_free(&p);
}

Test(patchset, the_same_inputs_give_the_same_bytes)
{
	struct pair p;
	struct patchset_stats st;
	struct stat a, b;
	char *x, *y;
	size_t xl, yl;
	int f1, f2;

	pair_make(&p);
	f1 = patchset_of(&p, &st);
	f2 = patchset_of(&p, &st);
	cr_assert_eq(fstat(f1, &a), 0);
	cr_assert_eq(fstat(f2, &b), 0);
	cr_assert_eq(read_fd_all(f1, 1 << 20, &x, &xl, NULL), 0);
	cr_assert_eq(read_fd_all(f2, 1 << 20, &y, &yl, NULL), 0);
	cr_assert_eq(xl, yl);
	cr_assert_eq(memcmp(x, y, xl), 0);
	free(x);
	free(y);
	close(f1);
	close(f2);
	pair_free(&p);
}

Test(patchset, a_base_the_host_lacks_leaves_the_file_needed)
{
	struct pair p;
	struct patchset_stats ws;
	struct patchset_apply_stats as;
	const struct manifest *m;
	bool need[8];
	struct err err;
	int fd, sfd;

	pair_make(&p);
	m = archive_files_manifest(p.target);
	fd = patchset_of(&p, &ws);
	sfd = staging(m, need);
	need[4] = false;
	cr_assert_eq(patchset_apply(fd, m, archive_files_manifest_sha256(p.target), need, sfd,
	                            no_base, NULL, &as, &err),
	             0, "%s", err.msg);
	cr_assert_eq(as.no_base, 1);
	cr_assert_eq(as.files_full, 3);
	cr_assert(need[2], "a/app.js is left to the frames");
	cr_assert(!need[3] && !need[6] && !need[7]);
	cr_assert_eq(faccessat(sfd, "a/app.js", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	close(sfd);
	close(fd);
	pair_free(&p);
}

/* Without a staging directory (a pull's look ahead, install.h prefetch): the same files are
 * judged covered as an apply writes, nothing is written. */
Test(patchset, a_look_ahead_clears_what_an_apply_would_write)
{
	struct pair p;
	struct patchset_stats ws;
	struct patchset_apply_stats ahead, as;
	const struct manifest *m;
	bool need[8], need2[8], orig[8];
	struct err err;
	int fd, sfd;

	pair_make(&p);
	m = archive_files_manifest(p.target);
	fd = patchset_of(&p, &ws);
	sfd = staging(m, need);
	need[4] = false;
	memcpy(orig, need, sizeof(need));
	memcpy(need2, need, sizeof(need));
	cr_assert_eq(patchset_apply(fd, m, archive_files_manifest_sha256(p.target), need, -1,
	                            no_base, NULL, &ahead, &err),
	             0, "%s", err.msg);
	cr_assert_eq(ahead.no_base, 1);
	cr_assert_eq(ahead.files_full, 3);
	cr_assert_eq(ahead.files_patched, 0);
	cr_assert(need[2], "a/app.js: its zpatch has no base here, so the frames serve it");
	cr_assert(!need[3] && !need[6] && !need[7]);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	cr_assert_eq(patchset_apply(fd, m, archive_files_manifest_sha256(p.target), need2, -1,
	                            base_from, p.base, &ahead, &err),
	             0, "%s", err.msg);
	cr_assert_eq(ahead.files_patched, 1);
	for (size_t i = 0; i < 8; i++)
		cr_assert(!need2[i], "entry %zu still needed after the look ahead", i);
	cr_assert_eq(faccessat(sfd, "a/lib.bin", F_OK, AT_SYMLINK_NOFOLLOW), -1, "nothing written");
	/* The apply that follows writes what the look ahead counted. */
	memcpy(need2, orig, sizeof(orig));
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	cr_assert_eq(patchset_apply(fd, m, archive_files_manifest_sha256(p.target), need2, sfd,
	                            base_from, p.base, &as, &err),
	             0, "%s", err.msg);
	cr_assert_eq(as.files_patched + as.files_full, 4);
	close(sfd);
	close(fd);
	pair_free(&p);
}

Test(patchset, records_for_files_the_host_has_are_read_past)
{
	struct pair p;
	struct patchset_stats ws;
	struct patchset_apply_stats as;
	const struct manifest *m;
	bool need[8];
	struct err err;
	int fd, sfd;

	pair_make(&p);
	m = archive_files_manifest(p.target);
	fd = patchset_of(&p, &ws);
	sfd = staging(m, need);
	need[2] = need[3] = need[4] = false;
	cr_assert_eq(patchset_apply(fd, m, archive_files_manifest_sha256(p.target), need, sfd,
	                            base_from, p.base, &as, &err),
	             0, "%s", err.msg);
	cr_assert_eq(as.skipped, 2);
	cr_assert_eq(as.files_full, 2);
	cr_assert_eq(faccessat(sfd, "a/lib.bin", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_file(sfd, "c/new.txt", p.fresh, 11);
	close(sfd);
	close(fd);
	pair_free(&p);
}

/* ---- Refusals: streams made by hand ---- */

/* A manifest of one directory and three small files, and its staging directory. */
struct small {
	struct pair p; /* only p.target is used */
	const struct manifest *m;
	const char *sha;
	bool need[8];
	int sfd;
};

static void small_make(struct small *s)
{
	pair_make(&s->p);
	s->m = archive_files_manifest(s->p.target);
	s->sha = archive_files_manifest_sha256(s->p.target);
	s->sfd = staging(s->m, s->need);
}

static void small_free(struct small *s)
{
	char path[256];

	close(s->sfd);
	pair_free(&s->p);
	cr_assert_eq(remove_tree_at(AT_FDCWD, tmp, NULL), 0);
	snprintf(path, sizeof(path), "%s", tmp);
	cr_assert_eq(mkdir(path, 0700), 0);
}

/* The content text[0..len) as one zstd frame in a memfd. */
static int stream_of(const void *text, size_t len)
{
	size_t cap = ZSTD_compressBound(len), c;
	void *buf = malloc(cap);
	int fd = memfd_create("patches", MFD_CLOEXEC);

	c = ZSTD_compress(buf, cap, text, len, 3);
	cr_assert(!ZSTD_isError(c));
	cr_assert_eq(write_all(fd, buf, c, NULL), 0);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	free(buf);
	return fd;
}

/* Applies the stream; it must be refused with a message holding `why`. */
static void refused(struct small *s, int fd, const char *why)
{
	struct patchset_apply_stats as;
	struct err err;

	cr_assert_eq(
	    patchset_apply(fd, s->m, s->sha, s->need, s->sfd, base_from, s->p.base, &as, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED, "%s", err.msg);
	cr_assert(strstr(err.msg, why), "\"%s\" does not say \"%s\"", err.msg, why);
	close(fd);
}

/* Text of a patch set for s: the header, then `body`. */
static size_t text(struct small *s, char *out, size_t cap, const char *body, size_t body_len)
{
	int n = snprintf(out, cap, PATCHSET_MAGIC " %s\n", s->sha);

	cr_assert(n > 0 && (size_t)n + body_len < cap);
	memcpy(out + n, body, body_len);
	return (size_t)n + body_len;
}

Test(patchset, refuses_a_corrupted_byte_of_the_stream)
{
	struct small s;
	struct patchset_stats st;
	uint8_t b;
	int fd;

	small_make(&s);
	fd = patchset_of(&s.p, &st);
	cr_assert_eq(pread(fd, &b, 1, 1000), 1);
	b ^= 0x40;
	cr_assert_eq(pwrite(fd, &b, 1, 1000), 1);
	refused(&s, fd, "patch set");
	small_free(&s);
}

Test(patchset, refuses_a_file_whose_bytes_are_not_the_manifests_naming_it)
{
	struct small s;
	char buf[256];
	int fd;

	small_make(&s);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), "6 full 11\na new filE\nend\n", 25));
	refused(&s, fd, "c/new.txt: the patch set's bytes do not hold the manifest's SHA-256");
	small_free(&s);
}

Test(patchset, refuses_indices_not_increasing)
{
	struct small s;
	char buf[256];
	int fd;

	small_make(&s);
	fd = stream_of(buf,
	               text(&s, buf, sizeof(buf), "6 full 11\na new file\n5 full 0\nend\n", 34));
	refused(&s, fd, "out of order");
	small_free(&s);
	small_make(&s);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), "7 full 0\nend\n", 13));
	refused(&s, fd, "out of order or range");
	small_free(&s);
}

Test(patchset, refuses_a_truncated_stream)
{
	struct small s;
	struct patchset_stats st;
	struct stat sb;
	char buf[256];
	int fd;

	small_make(&s);
	fd = patchset_of(&s.p, &st);
	cr_assert_eq(fstat(fd, &sb), 0);
	cr_assert_eq(ftruncate(fd, sb.st_size - 3), 0);
	refused(&s, fd, "patch set");
	small_free(&s);
	/* A whole zstd frame whose content stops before "end". */
	small_make(&s);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), "6 full 11\na new file\n", 21));
	refused(&s, fd, "truncated");
	small_free(&s);
	small_make(&s);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), "6 full 11\na new", 15));
	refused(&s, fd, "c/new.txt: the stream ends inside it");
	small_free(&s);
}

Test(patchset, refuses_bytes_after_end)
{
	struct small s;
	char buf[256];
	int fd;

	small_make(&s);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), "end\nx", 5));
	refused(&s, fd, "after the \"end\" line");
	small_free(&s);
}

Test(patchset, refuses_a_header_naming_another_manifest)
{
	struct small s;
	char buf[256];
	int fd;
	size_t n;

	small_make(&s);
	n = text(&s, buf, sizeof(buf), "end\n", 4);
	buf[strlen(PATCHSET_MAGIC) + 1] ^= 1;
	fd = stream_of(buf, n);
	refused(&s, fd, "another release's manifest");
	small_free(&s);
	small_make(&s);
	fd = stream_of("slipway-patches 2 x\nend\n", 24);
	refused(&s, fd, "not a patch set");
	small_free(&s);
}

Test(patchset, refuses_malformed_and_oversized_lines)
{
	static const char *bad[] = {"06 full 11\n", "6 full 011\n", "6 full -1\n", "6 full\n",
	                            "6  full 11\n", "6 copy 11\n",  "6 full 11 \n"};
	struct small s;
	char buf[1024], body[400];
	int fd;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		small_make(&s);
		fd = stream_of(buf, text(&s, buf, sizeof(buf), bad[i], strlen(bad[i])));
		refused(&s, fd, "malformed record");
		small_free(&s);
	}
	small_make(&s);
	memset(body, '1', sizeof(body));
	fd = stream_of(buf, text(&s, buf, sizeof(buf), body, sizeof(body)));
	refused(&s, fd, "longer than");
	small_free(&s);
	small_make(&s);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), "6 full 12\n", 10));
	refused(&s, fd, "c/new.txt: 12 bytes, the manifest's size is 11");
	small_free(&s);
	small_make(&s);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), "0 full 0\n", 9));
	refused(&s, fd, "a is not a regular file");
	small_free(&s);
}

Test(patchset, refuses_a_zpatch_claiming_a_huge_content_size_before_allocating)
{
	/* A frame header: single segment, 8-byte content size 2^40, one empty raw block. */
	static const uint8_t frame[] = {0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0,
	                                0,    0,    1,    0,    0,    1, 0, 0};
	struct small s;
	char buf[512], body[256], sha[65];
	const struct manifest_file *f;
	int fd, n;

	cr_assert_eq(ZSTD_getFrameContentSize(frame, sizeof(frame)), 1ull << 40);
	small_make(&s);
	f = &s.m->files[1];
	for (int i = 0; i < 32; i++)
		sprintf(sha + 2 * i, "%02x", f->sha256[i]);
	n = snprintf(body, sizeof(body), "1 zpatch %s %zu\n", sha, sizeof(frame));
	memcpy(body + n, frame, sizeof(frame));
	memcpy(body + n + sizeof(frame), "end\n", 4);
	fd = stream_of(buf, text(&s, buf, sizeof(buf), body, (size_t)n + sizeof(frame) + 4));
	refused(&s, fd, "a/app.js: the zpatch is not one zstd frame of the file's size");
	small_free(&s);
}

Test(patchset, an_archive_without_a_seek_table_is_not_read)
{
	static const uint8_t one[] = "1";
	struct tfile v[] = {{"f", one, 1}};

	cr_assert_null(archive("v1.tar.gz", v, 1, COMPRESS_GZIP));
}
