/* Frames compressed in parallel, written in order (see frames.h). */
#include "pack/frames.h"
#include "release/base/seektable.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define MAX_THREADS 16

enum job_state { JOB_FREE, JOB_QUEUED, JOB_WORKING, JOB_DONE };

struct job {
	enum job_state state;
	unsigned char *in, *out;
	size_t in_len, in_cap, out_len, out_cap;
	size_t zerr; /* ZSTD error code of a failed frame, 0 */
	bool nomem;  /* the worker had no compression context */
};

struct framer {
	struct sink *sink;
	unsigned nthreads, nslots;
	pthread_t thread[MAX_THREADS];
	unsigned started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct job *slot;
	uint64_t submitted, taken, retired; /* frame sequence numbers */
	bool stopping;
	struct job *cur; /* the open frame's slot (not yet submitted), NULL */
	struct seek_frame *table;
	size_t nframes, table_cap;
};

static void *worker(void *arg)
{
	struct framer *f = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();

	if (cctx) {
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, FRAME_LEVEL);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	}
	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct job *j;
		size_t r;

		while (f->taken == f->submitted && !f->stopping)
			pthread_cond_wait(&f->changed, &f->lock);
		if (f->taken == f->submitted)
			break;
		j = &f->slot[f->taken++ % f->nslots];
		j->state = JOB_WORKING;
		pthread_mutex_unlock(&f->lock);
		r = cctx ? ZSTD_compress2(cctx, j->out, j->out_cap, j->in, j->in_len) : 0;
		pthread_mutex_lock(&f->lock);
		j->nomem = !cctx;
		j->zerr = ZSTD_isError(r) ? r : 0;
		j->out_len = ZSTD_isError(r) ? 0 : r;
		j->state = JOB_DONE;
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->lock);
	ZSTD_freeCCtx(cctx);
	return NULL;
}

static int record(struct framer *f, const struct job *j)
{
	if (f->nframes == f->table_cap) {
		size_t cap = f->table_cap ? f->table_cap * 2 : 256;
		struct seek_frame *t = realloc(f->table, cap * sizeof(*t));

		if (!t)
			return -1;
		f->table = t;
		f->table_cap = cap;
	}
	f->table[f->nframes].csize = (uint32_t)j->out_len;
	f->table[f->nframes].dsize = (uint32_t)j->in_len;
	f->nframes++;
	return 0;
}

/* Waits for the oldest submitted frame and writes it. */
static int retire(struct framer *f, struct err *err)
{
	struct job *j = &f->slot[f->retired % f->nslots];

	pthread_mutex_lock(&f->lock);
	while (j->state != JOB_DONE)
		pthread_cond_wait(&f->changed, &f->lock);
	pthread_mutex_unlock(&f->lock);
	if (j->nomem)
		return fail_oom(err);
	if (j->zerr)
		return fail_kind(err, ERR_SYSTEM, "cannot compress the archive: %s",
		                 ZSTD_getErrorName(j->zerr));
	if (record(f, j) < 0)
		return fail_oom(err);
	if (sink_push(f->sink, j->out, j->out_len) < 0)
		return fail_sys(err, "cannot write the archive");
	j->state = JOB_FREE;
	j->in_len = 0;
	f->retired++;
	return 0;
}

/* The slot for the next frame, its oldest occupant written first. */
static struct job *open_frame(struct framer *f, struct err *err)
{
	if (f->submitted - f->retired == f->nslots && retire(f, err) < 0)
		return NULL;
	f->cur = &f->slot[f->submitted % f->nslots];
	f->cur->in_len = 0;
	return f->cur;
}

static void stop_workers(struct framer *f)
{
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
	for (unsigned i = 0; i < f->started; i++)
		pthread_join(f->thread[i], NULL);
	f->started = 0;
}

static void free_framer(struct framer *f)
{
	if (f->started)
		stop_workers(f);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->changed);
	for (unsigned i = 0; i < f->nslots; i++) {
		free(f->slot[i].in);
		free(f->slot[i].out);
	}
	free(f->slot);
	free(f->table);
	free(f);
}

int framer_start(struct sink *sink, unsigned threads, struct framer **out, struct err *err)
{
	struct framer *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f)
		return fail_oom(err);
	f->sink = sink;
	f->nthreads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
	f->nslots = 2 * f->nthreads;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->changed, NULL);
	f->slot = calloc(f->nslots, sizeof(*f->slot));
	if (!f->slot) {
		free_framer(f);
		return fail_oom(err);
	}
	for (unsigned i = 0; i < f->nthreads; i++) {
		int e = pthread_create(&f->thread[i], NULL, worker, f);

		if (e) {
			free_framer(f);
			errno = e;
			return fail_sys(err, "cannot start a compressing thread");
		}
		f->started++;
	}
	if (!open_frame(f, err)) {
		free_framer(f);
		return -1;
	}
	*out = f;
	return 0;
}

int framer_add(struct framer *f, const void *buf, size_t len)
{
	struct job *j = f->cur;

	if (len > SIZE_MAX / 2 - j->in_len) {
		errno = EOVERFLOW;
		return -1;
	}
	if (j->in_len + len > j->in_cap) {
		size_t cap = j->in_cap ? j->in_cap : FRAME_TARGET + 64 * 1024;
		unsigned char *p;

		while (cap < j->in_len + len)
			cap *= 2;
		p = realloc(j->in, cap);
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		j->in = p;
		j->in_cap = cap;
	}
	memcpy(j->in + j->in_len, buf, len);
	j->in_len += len;
	return 0;
}

size_t framer_pending(const struct framer *f)
{
	return f->cur->in_len;
}

int framer_cut(struct framer *f, struct err *err)
{
	struct job *j = f->cur;
	size_t bound;

	if (j->in_len == 0)
		return 0;
	if (j->in_len > UINT32_MAX)
		return fail_kind(err, ERR_SYSTEM, "an archive frame exceeds 4 GiB");
	bound = ZSTD_compressBound(j->in_len);
	if (bound > j->out_cap) {
		unsigned char *p = realloc(j->out, bound);

		if (!p)
			return fail_oom(err);
		j->out = p;
		j->out_cap = bound;
	}
	pthread_mutex_lock(&f->lock);
	j->state = JOB_QUEUED;
	f->submitted++;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
	return open_frame(f, err) ? 0 : -1;
}

int framer_finish(struct framer *f, struct err *err)
{
	uint8_t *table = NULL;
	size_t size;
	int r = -1;

	if (framer_cut(f, err) < 0)
		goto out;
	while (f->retired < f->submitted)
		if (retire(f, err) < 0)
			goto out;
	size = seektable_size(f->nframes);
	table = malloc(size);
	if (!table) {
		fail_oom(err);
		goto out;
	}
	seektable_encode(f->table, f->nframes, table);
	if (sink_push(f->sink, table, size) < 0) {
		fail_sys(err, "cannot write the archive");
		goto out;
	}
	r = 0;
out:
	free(table);
	free_framer(f);
	return r;
}

void framer_abort(struct framer *f)
{
	if (f)
		free_framer(f);
}
