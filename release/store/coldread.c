/* Installed files read ahead of a delta install's workers when they are cold (coldread.h). */
#include "release/store/coldread.h"
#include "release/base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#define SAMPLES 16 /* files looked at before deciding */
#define SPREAD  64 /* the sample is taken every n_files / SPREAD entries */

struct coldread {
	const int *dirs;
	size_t n_dirs;
	const struct manifest *m;
	coldread_wanted_fn wanted;
	void *ctx;
	uint64_t lead;
	uint64_t *before; /* before[i]: bytes of the files before m->files[i] */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t reached;    /* the workers have placed every file before it */
	size_t waiting_at; /* coldread_waiting_at */
	bool stop;
};

/* f opened in the first directory that holds it as a regular file; -1 when none does. */
static int open_source(const struct coldread *c, const struct manifest_file *f)
{
	struct err ignored;
	struct stat sb;

	for (size_t k = 0; k < c->n_dirs; k++) {
		int fd = open_regular_beneath(c->dirs[k], f->path, &sb, &ignored);

		if (fd >= 0)
			return fd;
	}
	return -1;
}

static bool wanted(const struct coldread *c, const struct manifest_file *f)
{
	return f->type == MANIFEST_FILE && f->size > 0 && c->wanted(c->ctx, f);
}

/* 1 when fd's first page is not in the page cache, 0 when it is, -1 when the kernel cannot
 * tell. mincore on a mapping of it: unlike a read that may not wait (RWF_NOWAIT), which starts
 * reading what it misses, looking reads nothing. */
static int is_cold(int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char in;
	void *map = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
	int r;

	if (map == MAP_FAILED)
		return -1;
	r = mincore(map, (size_t)page, &in) == 0 ? !(in & 1) : -1;
	munmap(map, (size_t)page);
	return r;
}

/* Whether at least a quarter of a sample of the files wanted are cold. */
static bool mostly_cold(const struct coldread *c)
{
	size_t step = c->m->n_files / SPREAD + 1, sampled = 0, cold = 0;

	for (size_t i = 0; i < c->m->n_files && sampled < SAMPLES; i += step) {
		const struct manifest_file *f = &c->m->files[i];
		int fd, r;

		if (!wanted(c, f) || (fd = open_source(c, f)) < 0)
			continue;
		r = is_cold(fd);
		close(fd);
		if (r < 0)
			return false;
		sampled++;
		cold += (size_t)r;
	}
	return sampled > 0 && cold * 4 >= sampled;
}

/* Waits while m->files[i] lies more than `lead` bytes beyond the workers; false once stopped. */
static bool may_read(struct coldread *c, size_t i)
{
	bool go;

	pthread_mutex_lock(&c->mu);
	while (!c->stop && c->before[i] > c->before[c->reached] + c->lead) {
		c->waiting_at = i;
		pthread_cond_wait(&c->cv, &c->mu);
	}
	c->waiting_at = SIZE_MAX;
	go = !c->stop;
	pthread_mutex_unlock(&c->mu);
	return go;
}

static void *read_ahead(void *arg)
{
	struct coldread *c = arg;
	size_t i;

	for (i = 0; i < c->m->n_files; i++) {
		const struct manifest_file *f = &c->m->files[i];
		int fd;

		if (!wanted(c, f))
			continue;
		if (!may_read(c, i))
			return NULL;
		if ((fd = open_source(c, f)) < 0)
			continue;
		/* Advice: a failure only leaves the reading to the workers. */
		readahead(fd, 0, (size_t)f->size);
		close(fd);
	}
	pthread_mutex_lock(&c->mu);
	c->waiting_at = i;
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct coldread *coldread_start(const int *dirs, size_t n_dirs, const struct manifest *m,
                                coldread_wanted_fn wanted_fn, void *ctx, uint64_t lead)
{
	struct coldread *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = (struct coldread){.dirs = dirs,
	                       .n_dirs = n_dirs,
	                       .m = m,
	                       .wanted = wanted_fn,
	                       .ctx = ctx,
	                       .lead = lead,
	                       .waiting_at = SIZE_MAX};
	if (n_dirs == 0 || !mostly_cold(c) ||
	    !(c->before = malloc((m->n_files + 1) * sizeof(*c->before)))) {
		free(c);
		return NULL;
	}
	c->before[0] = 0;
	for (size_t i = 0; i < m->n_files; i++)
		c->before[i + 1] =
		    c->before[i] + (m->files[i].type == MANIFEST_FILE ? m->files[i].size : 0);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, read_ahead, c) != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		free(c->before);
		free(c);
		return NULL;
	}
	return c;
}

void coldread_reached(struct coldread *c, size_t i)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	if (i > c->reached && i <= c->m->n_files) {
		c->reached = i;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

size_t coldread_waiting_at(struct coldread *c)
{
	size_t at;

	pthread_mutex_lock(&c->mu);
	at = c->waiting_at;
	pthread_mutex_unlock(&c->mu);
	return at;
}

void coldread_stop(struct coldread *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c->before);
	free(c);
}
