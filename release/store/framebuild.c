/* A release tree placed and written by workers, one per core (see framebuild.h). */
#include "release/store/framebuild.h"
#include "release/store/coldread.h"
#include "release/store/extract.h"
#include "release/store/reuse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int frame_groups(const struct frame_map *fm, const struct tar_layout *l, const struct manifest *m,
                 size_t **first, size_t *n_groups, struct err *err)
{
	bool *cont = calloc(fm->n + 1, sizeof(bool));
	size_t *g, n = 0, f = 0;

	*first = NULL;
	*n_groups = 0;
	if (!cont)
		return fail_oom(err);
	/* Entry 0, the manifest, is never written by a worker: only files' data counts. */
	for (size_t e = 1; e < l->n; e++) {
		uint64_t size = m->files[e - 1].type == MANIFEST_FILE ? m->files[e - 1].size : 0;
		uint64_t end = l->data[e] + size;

		if (size == 0)
			continue;
		if (end > fm->doff[fm->n]) {
			free(cont);
			return fail(err, "%.200s ends past the archive's frames",
			            m->files[e - 1].path);
		}
		while (fm->doff[f + 1] <= l->data[e])
			f++;
		for (size_t k = f + 1; k < fm->n && fm->doff[k] < end; k++)
			cont[k] = true;
	}
	if (!(g = calloc(fm->n + 1, sizeof(*g)))) {
		free(cont);
		return fail_oom(err);
	}
	for (size_t k = 0; k < fm->n; k++)
		if (!cont[k])
			g[n++] = k;
	g[n] = fm->n;
	free(cont);
	*first = g;
	*n_groups = n;
	return 0;
}

/* Linking alone, the entries a worker takes at a time: enough to make taking one cheap, few
 * enough that the workers finish together. */
#define LINK_CHUNK 64

/* The units of work: groups of frames (frame_tree_build; with plan, frame_tree_write_all), or
 * chunks of LINK_CHUNK entries (fm NULL: frame_tree_link_all). */
struct build_job {
	int fd, stagingfd;
	const struct frame_map *fm;
	const struct tar_layout *l;
	const struct frame_plan *plan; /* the tree is placed: only write, from these frames */
	const struct manifest *m;
	struct delta *d;
	struct coldread *cold; /* installed files read ahead when they are not in memory */
	bool *need;
	uint8_t *state; /* enum frame_entry, m->n_files + 1 entries */
	const size_t *group;
	size_t n_groups;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool manifest_taken; /* a worker writes the manifest file while the skeleton is made */
	bool skeleton_done;  /* directories and symlinks are there: groups may start */
	size_t next;         /* the next group to take */
	bool failed;         /* a worker failed: the others stop */
	struct err err;      /* the first failure */
	struct frame_build_stats st;
	struct frame_build_watch watch; /* progress under mu */
	struct extract_progress done;   /* regular files placed so far, of the manifest's */
};

static void job_fail(struct build_job *j, const struct err *err)
{
	pthread_mutex_lock(&j->mu);
	if (!j->failed) {
		j->failed = true;
		j->err = *err;
	}
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* The first worker here writes the manifest file; every worker then waits for the skeleton.
 * False when a worker failed. */
static bool job_start(struct build_job *j, struct err *err)
{
	bool mine, ok;

	pthread_mutex_lock(&j->mu);
	mine = !j->manifest_taken;
	j->manifest_taken = true;
	pthread_mutex_unlock(&j->mu);
	if (mine && extract_write_manifest(j->m, j->stagingfd, true, err) < 0)
		return false;
	pthread_mutex_lock(&j->mu);
	while (!j->skeleton_done && !j->failed)
		pthread_cond_wait(&j->cv, &j->mu);
	ok = !j->failed;
	pthread_mutex_unlock(&j->mu);
	if (!ok)
		fail(err, "stopped: another worker failed");
	return ok;
}

/* The next group to build; false when none is left or a worker failed. */
static bool take_group(struct build_job *j, size_t *g)
{
	bool ok;

	pthread_mutex_lock(&j->mu);
	ok = !j->failed && j->next < j->n_groups;
	if (ok)
		*g = j->next++;
	pthread_mutex_unlock(&j->mu);
	return ok;
}

/* Entries [e0, e1) are placed: the progress line moves on (one caller at a time). */
static void report_group(struct build_job *j, size_t e0, size_t e1)
{
	pthread_mutex_lock(&j->mu);
	for (size_t e = e0; e < e1; e++) {
		const struct manifest_file *f = &j->m->files[e - 1];

		if (f->type != MANIFEST_FILE)
			continue;
		j->done.files++;
		j->done.bytes += f->size;
		j->done.linked += !j->need[e];
	}
	j->watch.progress(j->watch.progress_ctx, &j->done);
	pthread_mutex_unlock(&j->mu);
}

/* Entries [e0, e1) placed: need[] and the counts of files linked; the read ahead may go on. */
static void account(struct build_job *j, size_t e0, size_t e1, struct frame_build_stats *st)
{
	for (size_t e = e0; e < e1; e++) {
		j->need[e] = j->state[e] == FRAME_ENTRY_WRITE || j->state[e] == FRAME_ENTRY_WRITTEN;
		if (j->state[e] == FRAME_ENTRY_LINKED) {
			st->linked++;
			st->linked_bytes += j->m->files[e - 1].size;
		}
	}
	coldread_reached(j->cold, e1 - 1);
}

/* Whether an entry of [e0, e1) is left to write. */
static bool left_to_write(const struct build_job *j, size_t e0, size_t e1)
{
	for (size_t e = e0; e < e1; e++)
		if (j->state[e] == FRAME_ENTRY_WRITE)
			return true;
	return false;
}

/* A group of a whole archive's frames (frame_tree_build): the files an installed release's
 * manifest lists as they are (delta_probe) are compared with the bytes decoded for the others
 * (frame_writer_new), or, where none were decoded, hashed (frame_tree_link); one the hashing
 * refuses is written from its frames, decoded again. */
static int build_group(struct build_job *j, struct reuse *r, struct frame_writer *w, size_t f0,
                       size_t f1, size_t e0, size_t e1, struct err *err)
{
	for (size_t e = e0; e < e1; e++) {
		const struct manifest_file *f = &j->m->files[e - 1];

		j->state[e] = f->type != MANIFEST_FILE       ? FRAME_ENTRY_SKIP
		              : j->d && delta_probe(j->d, f) ? FRAME_ENTRY_COMPARE
		                                             : FRAME_ENTRY_WRITE;
	}
	if (frame_writer_frames(w, NULL, f0, f1, err) < 0 ||
	    frame_tree_link(j->stagingfd, j->m, j->d, r, e0, e1, j->state, err) < 0)
		return -1;
	if (left_to_write(j, e0, e1) && frame_writer_frames(w, NULL, f0, f1, err) < 0)
		return -1;
	return 0;
}

static int build_groups(struct build_job *j, struct reuse *r, struct frame_writer *w,
                        struct frame_build_stats *st, struct err *err)
{
	size_t g;

	while (take_group(j, &g)) {
		size_t f0, f1, e0, e1;

		if (!w) { /* linking alone: LINK_CHUNK entries at a time */
			e0 = 1 + g * LINK_CHUNK;
			e1 = e0 + LINK_CHUNK < j->m->n_files + 1 ? e0 + LINK_CHUNK
			                                         : j->m->n_files + 1;
			for (size_t e = e0; e < e1; e++)
				j->state[e] = j->m->files[e - 1].type == MANIFEST_FILE
				                  ? FRAME_ENTRY_COMPARE
				                  : FRAME_ENTRY_SKIP;
			if (frame_tree_link(j->stagingfd, j->m, j->d, r, e0, e1, j->state, err) < 0)
				return -1;
			account(j, e0, e1, st);
			continue;
		}
		f0 = j->group[g];
		f1 = j->group[g + 1];
		e0 = tar_layout_first_at(j->l, j->fm->doff[f0]);
		e0 = e0 ? e0 : 1; /* entry 0, the manifest, is never a worker's */
		e1 = f1 < j->fm->n ? tar_layout_first_at(j->l, j->fm->doff[f1]) : j->l->n;
		if (j->plan ? frame_writer_frames(w, j->plan, f0, f1, err) < 0
		            : build_group(j, r, w, f0, f1, e0, e1, err) < 0)
			return -1;
		if (frame_writer_empty(w, e0, e1, err) < 0)
			return -1;
		if (!j->plan)
			account(j, e0, e1, st);
		if (j->watch.progress)
			report_group(j, e0, e1);
	}
	return 0;
}

static void *build_worker(void *arg)
{
	struct build_job *j = arg;
	struct frame_build_stats st = {0};
	struct frame_writer *w = NULL;
	struct reuse *r = NULL;
	struct err err;
	int rc = -1;

	if (job_start(j, &err) && reuse_new(&r, &err) == 0 &&
	    (!j->fm || frame_writer_new(&w, j->fd, j->fm, j->l, j->m, j->state,
	                                j->plan ? NULL : j->d, j->stagingfd, &err) == 0))
		rc = build_groups(j, r, w, &st, &err);
	if (rc < 0)
		job_fail(j, &err);
	pthread_mutex_lock(&j->mu);
	j->st.linked += st.linked;
	j->st.linked_bytes += st.linked_bytes;
	if (w)
		frame_writer_add_stats(w, &j->st.written);
	pthread_mutex_unlock(&j->mu);
	frame_writer_free(w);
	reuse_free(r);
	return NULL;
}

/* Each worker decodes with a window of up to a frame's size (2 MiB for pack's 8 MiB frames at
 * level 3) and hashes through a 1 MiB buffer: four keep a host's peak memory under 64 MB. */
#define MAX_WORKERS 4

/* One per core, at most MAX_WORKERS. */
static unsigned worker_count(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return cores < 1 ? 1 : cores > MAX_WORKERS ? MAX_WORKERS : (unsigned)cores;
}

static bool probe_wanted(void *d, const struct manifest_file *f)
{
	return delta_probe(d, f);
}

/* Starts the workers, makes the skeleton on this thread while one of them writes the manifest
 * file, then works beside them until every unit is done. The files to link are read ahead
 * meanwhile when they are not in memory (coldread.h). */
static int run_job(struct build_job *j, struct err *err)
{
	unsigned workers = worker_count();
	pthread_t t[MAX_WORKERS];
	size_t started = 0;
	struct err serr;

	if (!(j->state = calloc(j->m->n_files + 1, 1)))
		return fail_oom(err);
	/* Writing alone: what the caller needs written. */
	for (size_t e = 1; j->plan && e <= j->m->n_files; e++)
		j->state[e] = j->need[e] ? FRAME_ENTRY_WRITE : FRAME_ENTRY_SKIP;
	if (!j->plan)
		j->need[0] = false;
	/* Writing alone: the manifest, the skeleton and the links are there already. */
	j->manifest_taken = j->skeleton_done = j->plan != NULL;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	while (started + 1 < workers) {
		int e = pthread_create(&t[started], NULL, build_worker, j);

		if (e != 0)
			break; /* fewer threads: the units are shared by those there are */
		started++;
	}
	if (j->d && !j->plan)
		j->cold = coldread_start(delta_source_dirs(j->d), delta_sources(j->d), j->m,
		                         probe_wanted, j->d, COLDREAD_LEAD);
	if (j->plan) {
		/* nothing to place */
	} else if (frame_tree_skeleton(j->stagingfd, j->m, &serr) < 0) {
		job_fail(j, &serr);
	} else {
		if (j->watch.placed)
			j->watch.placed(j->watch.placed_ctx);
		pthread_mutex_lock(&j->mu);
		j->skeleton_done = true;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
	build_worker(j);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	coldread_stop(j->cold);
	j->cold = NULL;
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j->state);
	j->state = NULL;
	if (!j->failed)
		return 0;
	*err = j->err;
	return -1;
}

/* run_job over the groups of j's frames. */
static int run_groups(struct build_job *j, struct err *err)
{
	size_t *group = NULL;
	int rc;

	if (frame_groups(j->fm, j->l, j->m, &group, &j->n_groups, err) < 0)
		return -1;
	j->group = group;
	rc = run_job(j, err);
	free(group);
	return rc;
}

int frame_tree_build(int fd, const struct frame_map *fm, const struct tar_layout *l,
                     const struct manifest *m, struct delta *d, bool *need, int stagingfd,
                     const struct frame_build_watch *watch, struct frame_build_stats *st,
                     struct err *err)
{
	struct build_job j = {.fd = fd,
	                      .stagingfd = stagingfd,
	                      .fm = fm,
	                      .l = l,
	                      .m = m,
	                      .d = d,
	                      .need = need,
	                      .watch = watch ? *watch : (struct frame_build_watch){0}};
	int rc;

	for (size_t i = 0; i < m->n_files; i++)
		if (m->files[i].type == MANIFEST_FILE) {
			j.done.files_total++;
			j.done.bytes_total += m->files[i].size;
		}
	delta_probe_ready(d);
	rc = run_groups(&j, err);
	*st = j.st;
	return rc;
}

int frame_tree_link_all(const struct manifest *m, struct delta *d, bool *need, int stagingfd,
                        uint64_t *linked, uint64_t *linked_bytes, struct err *err)
{
	struct build_job j = {.fd = -1, .stagingfd = stagingfd, .m = m, .d = d, .need = need};
	int rc;

	j.n_groups = (m->n_files + LINK_CHUNK - 1) / LINK_CHUNK;
	rc = run_job(&j, err);
	*linked = j.st.linked;
	*linked_bytes = j.st.linked_bytes;
	return rc;
}

int frame_tree_write_all(int fd, const struct frame_map *fm, const struct frame_plan *p,
                         const struct tar_layout *l, const struct manifest *m, bool *need,
                         int stagingfd, struct frame_write_stats *st, struct err *err)
{
	struct build_job j = {
	    .fd = fd, .stagingfd = stagingfd, .fm = fm, .l = l, .plan = p, .m = m, .need = need};
	int rc = run_groups(&j, err);

	*st = j.st.written;
	return rc;
}
