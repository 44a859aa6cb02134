/* The archive's BLAKE2b-512, inline or on a thread (see archive_digest.h). */
#include "release/store/archive_digest.h"
#include "release/base/bigmem.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIGEST_CHUNK (1u << 20)

/* Between chunks: waits while the owner has paused it (archive_digest_pause). */
typedef void (*between_fn)(void *ctx);

static int digest_fd(int fd, const char *path, atomic_bool *stop, between_fn between, void *ctx,
                     uint8_t out[ARCHIVE_DIGEST_BYTES], struct err *err)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	uint8_t *buf = bigmem_alloc(DIGEST_CHUNK);
	off_t off = 0;
	ssize_t n;
	int rc = -1;

	if (!h || !buf) {
		fail_oom(err);
		goto out;
	}
	if (!EVP_DigestInit_ex(h, EVP_blake2b512(), NULL)) {
		fail_kind(err, ERR_SYSTEM, "BLAKE2b-512 unavailable");
		goto out;
	}
	while ((n = pread(fd, buf, DIGEST_CHUNK, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_sys(err, "cannot read %s", path);
			goto out;
		}
		if (between)
			between(ctx);
		if (stop && atomic_load(stop)) {
			fail(err, "stopped");
			goto out;
		}
		EVP_DigestUpdate(h, buf, (size_t)n);
		off += n;
	}
	EVP_DigestFinal_ex(h, out, NULL);
	rc = 0;
out:
	bigmem_free(buf);
	EVP_MD_CTX_free(h);
	return rc;
}

int archive_digest_fd(int fd, const char *path, atomic_bool *stop,
                      uint8_t out[ARCHIVE_DIGEST_BYTES], struct err *err)
{
	return digest_fd(fd, path, stop, NULL, NULL, out, err);
}

struct archive_digest {
	pthread_t thread;
	int fd;
	const char *path;
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool paused;
	int rc;
	uint8_t digest[ARCHIVE_DIGEST_BYTES];
	struct err err;
};

static void wait_while_paused(void *ctx)
{
	struct archive_digest *d = ctx;

	pthread_mutex_lock(&d->mu);
	while (d->paused && !atomic_load(&d->stop))
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
}

static void *digest_main(void *arg)
{
	struct archive_digest *d = arg;

	d->rc = digest_fd(d->fd, d->path, &d->stop, wait_while_paused, d, d->digest, &d->err);
	return NULL;
}

static void set_paused(struct archive_digest *d, bool paused)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->paused = paused;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void archive_digest_pause(struct archive_digest *d)
{
	set_paused(d, true);
}

void archive_digest_resume(struct archive_digest *d)
{
	set_paused(d, false);
}

int archive_digest_start(int fd, const char *path, struct archive_digest **out, struct err *err)
{
	struct archive_digest *d = calloc(1, sizeof(*d));
	int e;

	*out = NULL;
	if (!d)
		return fail_oom(err);
	d->fd = fd;
	d->path = path;
	atomic_init(&d->stop, false);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if ((e = pthread_create(&d->thread, NULL, digest_main, d)) != 0) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		free(d);
		errno = e;
		return fail_sys(err, "cannot start a thread");
	}
	*out = d;
	return 0;
}

int archive_digest_finish(struct archive_digest *d, uint8_t out[ARCHIVE_DIGEST_BYTES],
                          struct err *err)
{
	int rc;

	archive_digest_resume(d);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	rc = d->rc;
	if (rc == 0)
		memcpy(out, d->digest, ARCHIVE_DIGEST_BYTES);
	else if (err)
		*err = d->err;
	free(d);
	return rc;
}

void archive_digest_cancel(struct archive_digest *d)
{
	if (!d)
		return;
	uint8_t ignored[ARCHIVE_DIGEST_BYTES];

	atomic_store(&d->stop, true);
	archive_digest_finish(d, ignored, NULL);
}
