/* The archive writer thread (see sink.h). */
#include "pack/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS          4
#define SLOT_BYTES     (1u << 20)
#define WRITEBACK_STEP (8u << 20) /* start writing the archive to disk every 8 MiB */

struct sink {
	int fd;
	EVP_MD_CTX *hash;
	uint64_t written, flushed;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned char *slot[SLOTS];
	size_t len[SLOTS];
	unsigned head, count; /* filled slots waiting for the writer */
	unsigned fill;        /* the slot being filled by sink_push */
	size_t filled;
	bool done;
	int error; /* errno of the first failed write, 0 */
};

static int write_slot(struct sink *k, const unsigned char *p, size_t len)
{
	EVP_DigestUpdate(k->hash, p, len);
	while (len > 0) {
		ssize_t w = write(k->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		len -= (size_t)w;
		k->written += (uint64_t)w;
	}
	if (k->written - k->flushed >= WRITEBACK_STEP) {
		/* Advisory: the caller's fsync is the barrier and reports errors. */
		sync_file_range(k->fd, (off_t)k->flushed, (off_t)(k->written - k->flushed),
		                SYNC_FILE_RANGE_WRITE);
		k->flushed = k->written;
	}
	return 0;
}

static void *run(void *arg)
{
	struct sink *k = arg;

	for (;;) {
		unsigned s;
		bool failed;
		int e;

		pthread_mutex_lock(&k->lock);
		while (!k->count && !k->done)
			pthread_cond_wait(&k->changed, &k->lock);
		if (!k->count) {
			pthread_mutex_unlock(&k->lock);
			return NULL;
		}
		s = k->head;
		failed = k->error != 0;
		pthread_mutex_unlock(&k->lock);
		e = failed ? 0 : write_slot(k, k->slot[s], k->len[s]);
		pthread_mutex_lock(&k->lock);
		if (e && !k->error)
			k->error = e;
		k->head = (k->head + 1) % SLOTS;
		k->count--;
		pthread_cond_broadcast(&k->changed);
		pthread_mutex_unlock(&k->lock);
	}
}

static void free_sink(struct sink *k)
{
	for (unsigned i = 0; i < SLOTS; i++)
		free(k->slot[i]);
	EVP_MD_CTX_free(k->hash);
	free(k);
}

int sink_start(int fd, struct sink **out, struct err *err)
{
	struct sink *k = calloc(1, sizeof(*k));
	int e;

	*out = NULL;
	if (!k)
		return fail_oom(err);
	k->fd = fd;
	k->hash = EVP_MD_CTX_new();
	for (unsigned i = 0; i < SLOTS; i++)
		k->slot[i] = malloc(SLOT_BYTES);
	if (!k->hash || !k->slot[SLOTS - 1] || !k->slot[0] || !k->slot[1] || !k->slot[2]) {
		free_sink(k);
		return fail_oom(err);
	}
	if (!EVP_DigestInit_ex(k->hash, EVP_blake2b512(), NULL)) {
		free_sink(k);
		return fail_kind(err, ERR_SYSTEM, "BLAKE2b-512 unavailable");
	}
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->changed, NULL);
	e = pthread_create(&k->thread, NULL, run, k);
	if (e) {
		pthread_mutex_destroy(&k->lock);
		pthread_cond_destroy(&k->changed);
		free_sink(k);
		errno = e;
		return fail_sys(err, "cannot start the archive writer thread");
	}
	*out = k;
	return 0;
}

/* Hands the slot being filled to the writer and waits for a free one. */
static int hand_over(struct sink *k)
{
	int e;

	pthread_mutex_lock(&k->lock);
	if (k->filled) {
		k->len[k->fill] = k->filled;
		k->count++;
		pthread_cond_broadcast(&k->changed);
	}
	while (k->count == SLOTS && !k->error)
		pthread_cond_wait(&k->changed, &k->lock);
	k->fill = (k->head + k->count) % SLOTS;
	k->filled = 0;
	e = k->error;
	pthread_mutex_unlock(&k->lock);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

int sink_push(struct sink *k, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		size_t n = len < SLOT_BYTES - k->filled ? len : SLOT_BYTES - k->filled;

		memcpy(k->slot[k->fill] + k->filled, p, n);
		k->filled += n;
		p += n;
		len -= n;
		if (k->filled == SLOT_BYTES && hand_over(k) < 0)
			return -1;
	}
	return 0;
}

static void stop(struct sink *k)
{
	pthread_mutex_lock(&k->lock);
	k->done = true;
	pthread_cond_broadcast(&k->changed);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->changed);
}

int sink_finish(struct sink *k, uint8_t digest[SINK_HASH_BYTES], struct err *err)
{
	int rc = 0;

	if (hand_over(k) < 0)
		rc = fail_sys(err, "cannot write the archive");
	stop(k);
	if (rc == 0 && k->error) {
		errno = k->error;
		rc = fail_sys(err, "cannot write the archive");
	}
	if (rc == 0)
		EVP_DigestFinal_ex(k->hash, digest, NULL);
	free_sink(k);
	return rc;
}

void sink_abort(struct sink *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->error = k->error ? k->error : ECANCELED;
	pthread_mutex_unlock(&k->lock);
	stop(k);
	free_sink(k);
}
