#include "pack/hash.h"
#include "release/base/error.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct hash_job {
	struct pack_tree *tree;
	atomic_size_t next;
	atomic_uint_fast64_t files, bytes;
	atomic_bool failed;
	pthread_mutex_t lock;
	struct err err;
	progress_fn progress;
	void *ctx;
	pthread_t main;
	const struct strlist *forbidden;
	size_t forbidden_max; /* the longest forbidden string's length */
};

/* Whether a forbidden string occurs in tail[0..tail_n) + buf[0..n), with tail the end of the
 * previous chunk (forbidden_max - 1 bytes at most), so no occurrence across chunks escapes.
 * Updates tail for the next chunk. */
static bool carries_forbidden(const struct hash_job *job, char *tail, size_t *tail_n,
                              const unsigned char *buf, size_t n)
{
	size_t keep = job->forbidden_max - 1, head = n < keep ? n : keep, i;
	char window[2 * 256];
	bool found = false;

	for (i = 0; i < job->forbidden->n && !found; i++) {
		const char *f = job->forbidden->v[i];
		size_t fl = strlen(f);

		found = memmem(buf, n, f, fl) != NULL;
		if (!found && *tail_n) {
			memcpy(window, tail, *tail_n);
			memcpy(window + *tail_n, buf, head);
			found = memmem(window, *tail_n + head, f, fl) != NULL;
		}
	}
	if (n >= keep) {
		memcpy(tail, buf + n - keep, keep);
		*tail_n = keep;
	} else {
		size_t drop = *tail_n + n > keep ? *tail_n + n - keep : 0;

		memmove(tail, tail + drop, *tail_n - drop);
		memcpy(tail + *tail_n - drop, buf, n);
		*tail_n = *tail_n - drop + n;
	}
	return found;
}

static int refuse_forbidden(const struct pack_entry *e, struct err *err)
{
	return fail_kind(err, ERR_REFUSED,
	                 "%s carries this build's Next.js Server Actions encryption key (the "
	                 "value slipway removed from the server manifests): a secret, never "
	                 "packed; exclude the file or build with the key from the environment",
	                 e->path);
}

static int hash_data(struct hash_job *job, struct pack_entry *e, EVP_MD_CTX *md, struct err *err)
{
	char tail[256];
	size_t tail_n = 0;

	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		return fail_kind(err, ERR_SYSTEM, "SHA-256 is not available");
	if (job->forbidden_max &&
	    carries_forbidden(job, tail, &tail_n, (const unsigned char *)e->data, e->size))
		return refuse_forbidden(e, err);
	EVP_DigestUpdate(md, e->data, e->size);
	EVP_DigestFinal_ex(md, e->sha256, NULL);
	atomic_fetch_add(&job->bytes, e->size);
	return 0;
}

/* A minisign secret key file, whatever its name and comment: "untrusted comment: ..." then
 * base64 of "Ed" + kdf ("Sc" or two zero bytes) + "B2", i.e. "RWRTY0Iy" or "RWQAAEIy". */
static bool looks_like_secret_key(const unsigned char *buf, size_t n)
{
	static const char prefix[] = "untrusted comment: ";
	const unsigned char *nl;
	size_t rest;

	if (n < sizeof(prefix) - 1 || memcmp(buf, prefix, sizeof(prefix) - 1))
		return false;
	nl = memchr(buf, '\n', n);
	if (!nl)
		return false;
	rest = n - (size_t)(nl + 1 - buf);
	return rest >= 8 && (!memcmp(nl + 1, "RWRTY0Iy", 8) || !memcmp(nl + 1, "RWQAAEIy", 8));
}

static int hash_one(struct hash_job *job, struct pack_entry *e, unsigned char *buf, EVP_MD_CTX *md,
                    struct err *err)
{
	struct stat st;
	uint64_t total = 0;
	char tail[256];
	size_t tail_n = 0;
	int fd, r = -1;

	if (e->data)
		return hash_data(job, e, md, err);
	fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail_sys(err, "cannot open %s", e->src);
	if (fstat(fd, &st) < 0) {
		fail_sys(err, "cannot read %s", e->src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail_kind(err, ERR_SYSTEM, "%s is no longer a regular file", e->src);
		goto out;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = (uint64_t)st.st_size;
	e->mtime_sec = st.st_mtim.tv_sec;
	e->mtime_nsec = st.st_mtim.tv_nsec;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		fail_kind(err, ERR_SYSTEM, "SHA-256 is not available");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_sys(err, "cannot read %s", e->src);
			goto out;
		}
		if (n == 0)
			break;
		if (total == 0 && looks_like_secret_key(buf, (size_t)n))
			e->secret = true;
		if (job->forbidden_max && carries_forbidden(job, tail, &tail_n, buf, (size_t)n)) {
			refuse_forbidden(e, err);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		total += (uint64_t)n;
		atomic_fetch_add(&job->bytes, (uint64_t)n);
	}
	if (total != e->size) {
		fail_kind(err, ERR_SYSTEM, "%s changed while it was being read", e->src);
		goto out;
	}
	EVP_DigestFinal_ex(md, e->sha256, NULL);
	r = 0;
out:
	close(fd);
	return r;
}

static void *hash_worker(void *arg)
{
	struct hash_job *job = arg;
	unsigned char *buf = malloc(READ_CHUNK);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct err err;

	if (!buf || !md) {
		pthread_mutex_lock(&job->lock);
		if (!atomic_exchange(&job->failed, true))
			fail_oom(&job->err);
		pthread_mutex_unlock(&job->lock);
		goto out;
	}
	while (!atomic_load(&job->failed)) {
		size_t i = atomic_fetch_add(&job->next, 1);
		struct pack_entry *e;

		if (i >= job->tree->n)
			break;
		e = &job->tree->v[i];
		if (e->type != MANIFEST_FILE)
			continue;
		if (hash_one(job, e, buf, md, &err) < 0) {
			pthread_mutex_lock(&job->lock);
			if (!atomic_exchange(&job->failed, true))
				job->err = err;
			pthread_mutex_unlock(&job->lock);
			break;
		}
		atomic_fetch_add(&job->files, 1);
		if (job->progress && pthread_equal(pthread_self(), job->main))
			job->progress(job->ctx, atomic_load(&job->files), atomic_load(&job->bytes));
	}
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return NULL;
}

int pack_tree_hash(struct pack_tree *tree, unsigned threads, const struct strlist *forbidden,
                   progress_fn progress, void *ctx, struct err *err)
{
	struct hash_job job;
	pthread_t tids[16];
	unsigned started = 0, i;

	memset(&job, 0, sizeof(job));
	job.tree = tree;
	job.progress = progress;
	job.ctx = ctx;
	job.main = pthread_self();
	job.forbidden = forbidden;
	for (i = 0; forbidden && i < forbidden->n; i++) {
		size_t fl = strlen(forbidden->v[i]);

		if (fl == 0 || fl > 256)
			return fail_kind(err, ERR_SYSTEM, "a forbidden value of %zu bytes", fl);
		if (fl > job.forbidden_max)
			job.forbidden_max = fl;
	}
	pthread_mutex_init(&job.lock, NULL);
	if (threads < 1)
		threads = 1;
	if (threads > 16)
		threads = 16;
	for (i = 1; i < threads; i++)
		if (pthread_create(&tids[started], NULL, hash_worker, &job) == 0)
			started++;
	hash_worker(&job);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&job.lock);
	if (progress)
		progress(ctx, atomic_load(&job.files), atomic_load(&job.bytes));
	if (job.failed) {
		if (err)
			*err = job.err;
		return -1;
	}
	return 0;
}

int pack_entry_open_checked(const struct pack_entry *e, struct err *err)
{
	struct stat st;
	int fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return fail_sys(err, "cannot open %s", e->src);
	if (fstat(fd, &st) < 0) {
		int saved = errno;

		close(fd);
		return fail_kind(err, ERR_SYSTEM, "cannot read %s: %s", e->src, strerror(saved));
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != e->dev || st.st_ino != e->ino ||
	    (uint64_t)st.st_size != e->size || st.st_mtim.tv_sec != e->mtime_sec ||
	    st.st_mtim.tv_nsec != e->mtime_nsec) {
		close(fd);
		return fail_kind(err, ERR_SYSTEM,
		                 "%s changed while packing (after it was hashed); pack again",
		                 e->src);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}
