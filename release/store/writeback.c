/* Writeback and close in a thread of their own (see writeback.h). */
#include "release/store/writeback.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUEUE 256

struct item {
	int fd;
	char *name;
};

struct writeback {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct item q[QUEUE];
	unsigned head, count;
	bool done;
	int close_errno; /* the first close that failed */
	char *close_name;
};

/* The work itself; returns the errno of a failed close, else 0. */
static int flush_and_close(int fd)
{
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return close(fd) < 0 ? errno : 0;
}

static void *run(void *arg)
{
	struct writeback *w = arg;

	for (;;) {
		struct item it;
		int e;

		pthread_mutex_lock(&w->lock);
		while (!w->count && !w->done)
			pthread_cond_wait(&w->changed, &w->lock);
		if (!w->count) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		it = w->q[w->head];
		w->head = (w->head + 1) % QUEUE;
		w->count--;
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
		e = flush_and_close(it.fd);
		pthread_mutex_lock(&w->lock);
		if (e && !w->close_errno) {
			w->close_errno = e;
			w->close_name = it.name;
			it.name = NULL;
		}
		pthread_mutex_unlock(&w->lock);
		free(it.name);
	}
}

int writeback_start(struct writeback **out, struct err *err)
{
	struct writeback *w = calloc(1, sizeof(*w));
	int e;

	*out = NULL;
	if (!w)
		return fail_oom(err);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->changed, NULL);
	e = pthread_create(&w->thread, NULL, run, w);
	if (e) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->changed);
		free(w);
		errno = e;
		return fail_sys(err, "cannot start the writeback thread");
	}
	*out = w;
	return 0;
}

int writeback_add(struct writeback *w, int fd, const char *name, struct err *err)
{
	char *copy = w ? strdup(name) : NULL;

	if (!copy) {
		/* No thread (or no memory for the name): done here. */
		int e = flush_and_close(fd);

		if (!e)
			return 0;
		errno = e;
		return fail_sys(err, "cannot write %.200s", name);
	}
	pthread_mutex_lock(&w->lock);
	while (w->count == QUEUE)
		pthread_cond_wait(&w->changed, &w->lock);
	w->q[(w->head + w->count) % QUEUE] = (struct item){.fd = fd, .name = copy};
	w->count++;
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int writeback_finish(struct writeback *w, struct err *err)
{
	int rc = 0;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (w->close_errno) {
		errno = w->close_errno;
		rc = fail_sys(err, "cannot write %.200s", w->close_name ? w->close_name : "a file");
	}
	free(w->close_name);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->changed);
	free(w);
	return rc;
}
