/* OCI image layouts (specs/oci.md "Layouts"); see layout.h. */
#include "release/oci/layout.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/base/hex.h"
#include "release/base/json_strict.h"
#include "release/base/lockfile.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define LAYOUT_FILE  "oci-layout"
#define LAYOUT_TEXT  "{\"imageLayoutVersion\":\"1.0.0\"}"
#define INDEX_FILE   "index.json"
#define LOCK_WAIT_MS 10000 /* another export-oci, waited for; $SLIPWAY_LOCK_TIMEOUT (seconds) */
#define COPY_BLOCK   (1u << 20)

/* ---- helpers ---- */

void oci_digest_format(const unsigned char raw[32], char *out)
{
	memcpy(out, "sha256:", 7);
	hex_encode(raw, 32, out + 7);
}

void oci_sha256_digest(const void *data, size_t len, char *out)
{
	unsigned char raw[32];

	EVP_Digest(data, len, raw, NULL, EVP_sha256(), NULL);
	oci_digest_format(raw, out);
}

static bool digest_ok(const char *d)
{
	if (strlen(d) != OCI_DIGEST_LEN || strncmp(d, "sha256:", 7))
		return false;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

int oci_json_parse(const char *text, size_t len, const char *what, json_object **obj,
                   struct err *err)
{
	return json_strict_parse(text, len, what, obj, err);
}

char *oci_json_text(json_object *obj, size_t *len)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = s ? strdup(s) : NULL;

	if (copy && len)
		*len = strlen(copy);
	return copy;
}

static const char *get_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int oci_desc_parse(json_object *obj, const char *what, struct oci_desc *d, struct err *err)
{
	const char *mt, *dg;
	json_object *sz;
	int64_t size;

	memset(d, 0, sizeof(*d));
	if (!json_object_is_type(obj, json_type_object))
		return fail(err, "%s: descriptor is not an object", what);
	mt = get_str(obj, "mediaType");
	dg = get_str(obj, "digest");
	if (!mt || !*mt || strlen(mt) >= sizeof(d->media_type))
		return fail(err, "%s: descriptor without a usable mediaType", what);
	if (!dg || !digest_ok(dg))
		return fail(err, "%s: descriptor digest %.80s is not sha256:<64 hex digits>", what,
		            dg ? dg : "(missing)");
	if (!json_object_object_get_ex(obj, "size", &sz) || !json_object_is_type(sz, json_type_int))
		return fail(err, "%s: descriptor without a size", what);
	size = json_object_get_int64(sz);
	if (size < 0)
		return fail(err, "%s: descriptor with a negative size", what);
	strcpy(d->media_type, mt);
	strcpy(d->digest, dg);
	d->size = (uint64_t)size;
	return 0;
}

json_object *oci_desc_json(const struct oci_desc *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "mediaType", json_object_new_string(d->media_type));
	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)d->size));
	return o;
}

/* ---- opening ---- */

static int check_layout_file(struct oci_layout *l, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	json_object *o = NULL;
	const char *v;
	int rc;

	if (faccessat(l->dirfd, LAYOUT_FILE, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return fail(err, "%s is not an OCI image layout (no " LAYOUT_FILE " file)",
		            l->path);
	if (read_file_at(l->dirfd, LAYOUT_FILE, 4096, 0, &text, &len, err) < 0)
		return fail_prefix(err, "%s", l->path);
	rc = oci_json_parse(text, len, LAYOUT_FILE, &o, err);
	free(text);
	if (rc == 0 && (!(v = get_str(o, "imageLayoutVersion")) || strncmp(v, "1.", 2)))
		rc = fail(err, LAYOUT_FILE ": imageLayoutVersion is not 1.x");
	json_object_put(o);
	if (rc < 0)
		return fail_prefix(err, "%s", l->path);
	return 0;
}

static int open_blobs(struct oci_layout *l, bool create, struct err *err)
{
	if (create && ((mkdirat(l->dirfd, "blobs", 0755) < 0 && errno != EEXIST) ||
	               (mkdirat(l->dirfd, "blobs/sha256", 0755) < 0 && errno != EEXIST)))
		return fail_sys(err, "cannot create %s/blobs/sha256", l->path);
	l->blobfd = openat(l->dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->blobfd < 0 && errno == ENOENT)
		return fail(err, "%s is not an OCI image layout (no blobs/sha256)", l->path);
	if (l->blobfd < 0)
		return fail_sys(err, "cannot open %s/blobs/sha256", l->path);
	return 0;
}

static int layout_init(const char *path, struct oci_layout *l, struct err *err)
{
	memset(l, 0, sizeof(*l));
	l->dirfd = l->blobfd = -1;
	l->path = strdup(path);
	return l->path ? 0 : fail_oom(err);
}

int oci_layout_open(const char *path, struct oci_layout *l, struct err *err)
{
	if (layout_init(path, l, err) < 0)
		return -1;
	l->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0)
		return fail_kind(err,
		                 errno == ENOENT || errno == ENOTDIR ? ERR_REFUSED : ERR_SYSTEM,
		                 "cannot open the layout %s: %s", path, strerror(errno));
	if (check_layout_file(l, err) < 0)
		return -1;
	return open_blobs(l, false, err);
}

static bool dir_is_empty(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	bool empty = true;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

static int lock_dir(struct oci_layout *l, struct err *err)
{
	int budget = lockfile_budget_ms(LOCK_WAIT_MS);
	int r = lockfile_wait(l->dirfd, budget);

	if (r < 0)
		return fail_sys(err, "cannot lock %s", l->path);
	if (r > 0)
		return lockfile_fail_waited(err, budget, "%s is being written by another process",
		                            l->path);
	return 0;
}

int oci_layout_create(const char *path, struct oci_layout *l, bool *created, struct err *err)
{
	*created = false;
	if (layout_init(path, l, err) < 0)
		return -1;
	if (mkdir(path, 0755) == 0)
		*created = true;
	else if (errno != EEXIST)
		return fail_sys(err, "cannot create the layout %s", path);
	l->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0 && errno == ENOTDIR)
		return fail(err, "%s is not a directory", path);
	if (l->dirfd < 0)
		return fail_sys(err, "cannot open %s", path);
	if (lock_dir(l, err) < 0)
		return -1;
	if (faccessat(l->dirfd, LAYOUT_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (check_layout_file(l, err) < 0)
			return -1;
	} else if (!dir_is_empty(l->dirfd)) {
		return fail(err, "%s is neither empty nor an OCI image layout (no " LAYOUT_FILE ")",
		            path);
	} else if (write_file_atomic(l->dirfd, LAYOUT_FILE, LAYOUT_TEXT, strlen(LAYOUT_TEXT), 0644,
	                             0, err) < 0) {
		return fail_prefix(err, "%s", path);
	}
	return open_blobs(l, true, err);
}

void oci_layout_close(struct oci_layout *l)
{
	if (l->blobfd >= 0)
		close(l->blobfd);
	if (l->dirfd >= 0)
		close(l->dirfd); /* drops the flock of oci_layout_create */
	free(l->path);
	memset(l, 0, sizeof(*l));
	l->dirfd = l->blobfd = -1;
}

bool oci_layout_same(const struct oci_layout *a, const struct oci_layout *b)
{
	struct stat sa, sb;

	return fstat(a->dirfd, &sa) == 0 && fstat(b->dirfd, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* ---- reading ---- */

static int read_json_file(const struct oci_layout *l, int dirfd, const char *name, const char *what,
                          char **text, size_t *len, json_object **obj, struct err *err)
{
	*text = NULL;
	if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return fail(err, "%s: %s is missing", l->path, what);
	if (read_file_at(dirfd, name, OCI_JSON_MAX, 0, text, len, err) < 0)
		return fail_prefix(err, "%s", l->path);
	if (oci_json_parse(*text, *len, what, obj, err) < 0) {
		free(*text);
		*text = NULL;
		return fail_prefix(err, "%s", l->path);
	}
	return 0;
}

int oci_blob_read_json(const struct oci_layout *l, const struct oci_desc *d, json_object **obj,
                       struct err *err)
{
	char *text = NULL, got[OCI_DIGEST_LEN + 1];
	size_t len = 0;

	*obj = NULL;
	if (d->size > OCI_JSON_MAX)
		return fail(err, "%s: blob %s is larger than %u bytes", l->path, d->digest,
		            OCI_JSON_MAX);
	if (read_json_file(l, l->blobfd, d->digest + 7, d->digest, &text, &len, obj, err) < 0)
		return -1;
	oci_sha256_digest(text, len, got);
	free(text);
	if (len != d->size || strcmp(got, d->digest)) {
		json_object_put(*obj);
		*obj = NULL;
		return fail(err, "%s: blob %s does not match its descriptor (%zu bytes, digest %s)",
		            l->path, d->digest, len, got);
	}
	return 0;
}

static const char *host_arch(void)
{
	static const struct {
		const char *uname, *oci;
	} map[] = {{"x86_64", "amd64"},   {"aarch64", "arm64"},   {"armv7l", "arm"},
	           {"i686", "386"},       {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
	           {"riscv64", "riscv64"}};
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(u.machine, map[i].uname))
			return map[i].oci;
	return u.machine;
}

/* In a parsed index, the entry tagged `ref` (NULL: the only one); -1 when none. */
static int find_ref(json_object *manifests, const char *ref, const char *where, struct err *err)
{
	size_t n = json_object_array_length(manifests);
	int found = -1;

	if (!ref) {
		if (n != 1)
			return fail(err, "%s holds %zu images: name one with LAYOUT:TAG", where, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *ann, *e = json_object_array_get_idx(manifests, i);
		const char *name;

		if (json_object_object_get_ex(e, "annotations", &ann) &&
		    (name = get_str(ann, OCI_REF_ANNOTATION)) && !strcmp(name, ref))
			found = (int)i;
	}
	if (found < 0)
		return fail(err, "%s has no image tagged %s", where, ref);
	return found;
}

static int pick_platform(json_object *manifests, const char *where, struct err *err)
{
	const char *arch = host_arch();

	for (size_t i = 0; i < json_object_array_length(manifests); i++) {
		json_object *p, *e = json_object_array_get_idx(manifests, i);
		const char *os, *a;

		if (json_object_object_get_ex(e, "platform", &p) && (os = get_str(p, "os")) &&
		    (a = get_str(p, "architecture")) && !strcmp(os, "linux") && !strcmp(a, arch))
			return (int)i;
	}
	return fail(err, "%s has no image for linux/%s", where, arch);
}

int oci_layout_resolve(const struct oci_layout *l, const char *ref, struct oci_desc *out,
                       struct err *err)
{
	json_object *index = NULL, *manifests;
	char *text = NULL;
	size_t len;
	int i, rc = -1;

	if (read_json_file(l, l->dirfd, INDEX_FILE, INDEX_FILE, &text, &len, &index, err) < 0)
		return -1;
	free(text);
	for (int depth = 0;; depth++) {
		json_object *next = NULL;

		if (!json_object_object_get_ex(index, "manifests", &manifests) ||
		    !json_object_is_type(manifests, json_type_array)) {
			fail(err, "%s: an index without a manifests array", l->path);
			goto out;
		}
		i = depth == 0 ? find_ref(manifests, ref, l->path, err)
		               : pick_platform(manifests, l->path, err);
		if (i < 0)
			goto out;
		if (oci_desc_parse(json_object_array_get_idx(manifests, (size_t)i), l->path, out,
		                   err) < 0)
			goto out;
		if (!strcmp(out->media_type, OCI_MEDIA_MANIFEST))
			break;
		if (strcmp(out->media_type, OCI_MEDIA_INDEX) || depth > 0) {
			fail(err,
			     "%s: %s is a %s, not an OCI image manifest (convert the image with "
			     "skopeo copy to oci:DIR:TAG)",
			     l->path, out->digest, out->media_type);
			goto out;
		}
		if (oci_blob_read_json(l, out, &next, err) < 0)
			goto out;
		json_object_put(index);
		index = next;
	}
	rc = 0;
out:
	json_object_put(index);
	return rc;
}

/* ---- writing ---- */

int oci_blob_tmp(const struct oci_layout *l, int *fd, char *name, struct err *err)
{
	static unsigned n;

	for (int tries = 0; tries < 100; tries++) {
		snprintf(name, 64, ".tmp-slipway-%ld-%u", (long)getpid(), n++);
		*fd = openat(l->blobfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		             0644);
		if (*fd >= 0 || errno != EEXIST)
			break;
	}
	if (*fd < 0)
		return fail_sys(err, "cannot create a blob in %s/blobs/sha256", l->path);
	return 0;
}

int oci_blob_commit(const struct oci_layout *l, int fd, const char *name, const char *digest,
                    struct err *err)
{
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		fail_sys(err, "cannot write %s/blobs/sha256/%s", l->path, name);
		oci_blob_discard(l, fd, name);
		return -1;
	}
	if (close(fd) < 0) {
		fail_sys(err, "cannot write %s/blobs/sha256/%s", l->path, name);
		unlinkat(l->blobfd, name, 0);
		return -1;
	}
	if (renameat(l->blobfd, name, l->blobfd, digest + 7) < 0) {
		fail_sys(err, "cannot rename %s/blobs/sha256/%s", l->path, name);
		unlinkat(l->blobfd, name, 0);
		return -1;
	}
	return fsync_dir_at(l->blobfd, ".", err);
}

void oci_blob_discard(const struct oci_layout *l, int fd, const char *name)
{
	if (fd >= 0)
		close(fd);
	unlinkat(l->blobfd, name, 0);
}

int oci_blob_write(const struct oci_layout *l, const void *data, size_t len, struct oci_desc *d,
                   struct err *err)
{
	oci_sha256_digest(data, len, d->digest);
	d->size = len;
	if (write_file_atomic(l->blobfd, d->digest + 7, data, len, 0644, 0, err) < 0)
		return fail_prefix(err, "%s", l->path);
	return 0;
}

static bool blob_present(const struct oci_layout *l, const struct oci_desc *d)
{
	struct stat st;

	return fstatat(l->blobfd, d->digest + 7, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode) && (uint64_t)st.st_size == d->size;
}

int oci_blob_copy(const struct oci_layout *src, const struct oci_layout *dst,
                  const struct oci_desc *d, struct err *err)
{
	char tmp[64], got[OCI_DIGEST_LEN + 1];
	unsigned char *buf = NULL, raw[32];
	EVP_MD_CTX *h = NULL;
	uint64_t total = 0;
	int in = -1, out = -1, rc = -1;
	struct stat st;
	ssize_t n;

	if (blob_present(dst, d))
		return 0;
	/* A FIFO or a device (through a link: /dev/zero) would be waited for or never end. */
	in = open_regular_at(src->blobfd, d->digest + 7, 0, &st, err);
	if (in < 0)
		return errno == ENOENT ? fail(err, "%s: blob %s is missing", src->path, d->digest)
		                       : fail_prefix(err, "%s/blobs/sha256", src->path);
	if ((uint64_t)st.st_size != d->size) {
		close(in);
		return fail(err, "%s: blob %s has %llu bytes, its descriptor says %llu", src->path,
		            d->digest, (unsigned long long)st.st_size, (unsigned long long)d->size);
	}
	buf = malloc(COPY_BLOCK);
	h = EVP_MD_CTX_new();
	if (!buf || !h || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		fail_oom(err);
		goto out;
	}
	if (oci_blob_tmp(dst, &out, tmp, err) < 0)
		goto out;
	while ((n = read(in, buf, COPY_BLOCK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_sys(err, "cannot read %s/blobs/sha256/%s", src->path, d->digest + 7);
			goto out;
		}
		total += (uint64_t)n;
		if (total > d->size) {
			fail(err, "%s: blob %s is larger than its descriptor says", src->path,
			     d->digest);
			goto out;
		}
		EVP_DigestUpdate(h, buf, (size_t)n);
		if (write_all(out, buf, (size_t)n, err) < 0) {
			fail_prefix(err, "%s", dst->path);
			goto out;
		}
	}
	EVP_DigestFinal_ex(h, raw, NULL);
	oci_digest_format(raw, got);
	if (total != d->size || strcmp(got, d->digest)) {
		fail(err, "%s: blob %s does not match its descriptor (digest %s)", src->path,
		     d->digest, got);
		goto out;
	}
	rc = oci_blob_commit(dst, out, tmp, d->digest, err);
	out = -1;
out:
	if (out >= 0)
		oci_blob_discard(dst, out, tmp);
	if (in >= 0)
		close(in);
	EVP_MD_CTX_free(h);
	free(buf);
	return rc;
}

int oci_layout_tag(const struct oci_layout *l, const struct oci_desc *d, const char *tag,
                   struct err *err)
{
	json_object *index = NULL, *manifests, *kept, *entry, *ann;
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (faccessat(l->dirfd, INDEX_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (read_json_file(l, l->dirfd, INDEX_FILE, INDEX_FILE, &text, &len, &index, err) <
		    0)
			return -1;
		free(text);
		text = NULL;
	} else {
		index = json_object_new_object();
		json_object_object_add(index, "schemaVersion", json_object_new_int(2));
		json_object_object_add(index, "mediaType", json_object_new_string(OCI_MEDIA_INDEX));
	}
	kept = json_object_new_array();
	if (json_object_object_get_ex(index, "manifests", &manifests)) {
		if (!json_object_is_type(manifests, json_type_array)) {
			fail(err, "%s: " INDEX_FILE " has no manifests array", l->path);
			json_object_put(kept);
			goto out;
		}
		for (size_t i = 0; i < json_object_array_length(manifests); i++) {
			json_object *e = json_object_array_get_idx(manifests, i), *a;
			const char *name;

			if (json_object_object_get_ex(e, "annotations", &a) &&
			    (name = get_str(a, OCI_REF_ANNOTATION)) && !strcmp(name, tag))
				continue;
			json_object_array_add(kept, json_object_get(e));
		}
	}
	entry = oci_desc_json(d);
	ann = json_object_new_object();
	json_object_object_add(ann, OCI_REF_ANNOTATION, json_object_new_string(tag));
	json_object_object_add(entry, "annotations", ann);
	json_object_array_add(kept, entry);
	json_object_object_add(index, "manifests", kept);
	text = oci_json_text(index, &len);
	if (!text) {
		fail_oom(err);
		goto out;
	}
	if (write_file_atomic(l->dirfd, INDEX_FILE, text, len, 0644, 0, err) < 0) {
		fail_prefix(err, "%s", l->path);
		goto out;
	}
	rc = 0;
out:
	free(text);
	json_object_put(index);
	return rc;
}
