/* A producer thread and a bounded ring of blocks (see blockpipe.h). */
#include "release/store/blockpipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct blockpipe {
	blockpipe_next next;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned char *slot[BLOCKPIPE_SLOTS];
	size_t len[BLOCKPIPE_SLOTS];
	unsigned head, count; /* filled slots: head .. head + count - 1 (mod SLOTS) */
	bool held;            /* the reader still uses the slot before head */
	int end;              /* 0 running, 1 the producer reached the end, -1 it failed */
	bool stop;
};

/* Waits for a free slot; false when asked to stop. */
static bool wait_free(struct blockpipe *p, unsigned *slot)
{
	bool go;

	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->count + p->held >= BLOCKPIPE_SLOTS)
		pthread_cond_wait(&p->changed, &p->lock);
	go = !p->stop;
	*slot = (p->head + p->count) % BLOCKPIPE_SLOTS;
	pthread_mutex_unlock(&p->lock);
	return go;
}

static void publish(struct blockpipe *p, unsigned slot, size_t len, int end)
{
	pthread_mutex_lock(&p->lock);
	if (len) {
		p->len[slot] = len;
		p->count++;
	}
	if (end)
		p->end = end;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Fills whole slots (fewer wake-ups than one per decompressor block), in order. */
static void *produce(void *arg)
{
	struct blockpipe *p = arg;
	const void *block = NULL;
	size_t left = 0, fill = 0;
	unsigned slot = 0;
	bool have = false;
	int r = 1;

	for (;;) {
		if (!left) {
			r = p->next(p->ctx, &block, &left);
			if (r <= 0) {
				publish(p, slot, have ? fill : 0, r == 0 ? 1 : -1);
				return NULL;
			}
			continue;
		}
		if (!have) {
			if (!wait_free(p, &slot))
				return NULL;
			have = true;
			fill = 0;
		}
		{
			size_t n = left < BLOCKPIPE_BLOCK - fill ? left : BLOCKPIPE_BLOCK - fill;

			memcpy(p->slot[slot] + fill, block, n);
			fill += n;
			block = (const unsigned char *)block + n;
			left -= n;
		}
		if (fill == BLOCKPIPE_BLOCK) {
			publish(p, slot, fill, 0);
			have = false;
		}
	}
}

int blockpipe_start(blockpipe_next next, void *ctx, struct blockpipe **out, struct err *err)
{
	struct blockpipe *p = calloc(1, sizeof(*p));
	int e;

	*out = NULL;
	if (!p)
		return fail_oom(err);
	p->next = next;
	p->ctx = ctx;
	for (unsigned i = 0; i < BLOCKPIPE_SLOTS; i++)
		if (!(p->slot[i] = malloc(BLOCKPIPE_BLOCK))) {
			for (unsigned j = 0; j < i; j++)
				free(p->slot[j]);
			free(p);
			return fail_oom(err);
		}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	e = pthread_create(&p->thread, NULL, produce, p);
	if (e) {
		for (unsigned i = 0; i < BLOCKPIPE_SLOTS; i++)
			free(p->slot[i]);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->changed);
		free(p);
		errno = e;
		return fail_sys(err, "cannot start the decompression thread");
	}
	*out = p;
	return 0;
}

int blockpipe_read(struct blockpipe *p, const void **block, size_t *len)
{
	int r;

	pthread_mutex_lock(&p->lock);
	if (p->held) {
		p->held = false;
		pthread_cond_broadcast(&p->changed);
	}
	while (!p->count && !p->end)
		pthread_cond_wait(&p->changed, &p->lock);
	if (p->count) {
		*block = p->slot[p->head];
		*len = p->len[p->head];
		p->head = (p->head + 1) % BLOCKPIPE_SLOTS;
		p->count--;
		p->held = true;
		r = 1;
	} else {
		r = p->end > 0 ? 0 : -1;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

void blockpipe_stop(struct blockpipe *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (unsigned i = 0; i < BLOCKPIPE_SLOTS; i++)
		free(p->slot[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	free(p);
}
