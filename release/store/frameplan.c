/* Frame selection (see frameplan.h). */
#include "release/store/frameplan.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

int frame_map_build(const struct seek_frame *v, size_t n, uint64_t archive_size, uint64_t tail_size,
                    struct frame_map *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	if (n == 0 || tail_size > archive_size)
		return fail(err, "seek table: no frames, or larger than the archive");
	out->coff = malloc((n + 1) * sizeof(uint64_t));
	out->doff = malloc((n + 1) * sizeof(uint64_t));
	if (!out->coff || !out->doff) {
		frame_map_release(out);
		return fail_oom(err);
	}
	out->n = n;
	out->coff[0] = out->doff[0] = 0;
	for (size_t i = 0; i < n; i++) {
		/* A frame is never larger than zstd's bound for its content: what is fetched for
		 * it is bounded by what it decompresses to. */
		if (v[i].csize == 0 || v[i].dsize == 0 || v[i].dsize > FRAME_DSIZE_MAX ||
		    v[i].csize > ZSTD_compressBound(v[i].dsize)) {
			frame_map_release(out);
			return fail(err,
			            "seek table: frame %zu of %u bytes decompresses to %u (1..%u)",
			            i, v[i].csize, v[i].dsize, FRAME_DSIZE_MAX);
		}
		out->coff[i + 1] = out->coff[i] + v[i].csize;
		out->doff[i + 1] = out->doff[i] + v[i].dsize;
	}
	if (out->coff[n] != archive_size - tail_size) {
		uint64_t sum = out->coff[n];

		frame_map_release(out);
		return fail(err,
		            "seek table: frames of %llu bytes in an archive of %llu with a "
		            "%llu-byte table",
		            (unsigned long long)sum, (unsigned long long)archive_size,
		            (unsigned long long)tail_size);
	}
	return 0;
}

void frame_map_release(struct frame_map *fm)
{
	free(fm->coff);
	free(fm->doff);
	memset(fm, 0, sizeof(*fm));
}

size_t frame_map_find(const struct frame_map *fm, uint64_t pos)
{
	size_t lo = 0, hi = fm->n; /* doff[lo] <= pos < doff[hi] */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (fm->doff[mid] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Counts the frames out->frame marks and groups them into runs. */
static int plan_runs(const struct frame_map *fm, struct frame_plan *out, struct err *err)
{
	for (size_t f = 0; f < fm->n; f++) {
		if (!out->frame[f])
			continue;
		out->frames++;
		out->bytes += fm->coff[f + 1] - fm->coff[f];
		if (f == 0 || !out->frame[f - 1])
			out->n_runs++;
	}
	out->run = calloc(out->n_runs ? out->n_runs : 1, sizeof(*out->run));
	if (!out->run) {
		frame_plan_release(out);
		return fail_oom(err);
	}
	for (size_t f = 0, r = 0; f < fm->n; f++) {
		struct frame_run *run;

		if (!out->frame[f])
			continue;
		if (f == 0 || !out->frame[f - 1]) {
			out->run[r].first = f;
			out->run[r].offset = fm->coff[f];
			r++;
		}
		run = &out->run[r - 1];
		run->count++;
		run->length = fm->coff[f + 1] - run->offset;
	}
	return 0;
}

int frame_plan_make(const struct tar_layout *l, const struct frame_map *fm, const bool *need,
                    struct frame_plan *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	if (l->total != fm->doff[fm->n])
		return fail(err,
		            "the archive's tar stream is %llu bytes, its manifest's layout %llu: "
		            "not written by this tar rule",
		            (unsigned long long)fm->doff[fm->n], (unsigned long long)l->total);
	out->frame = calloc(fm->n, sizeof(bool));
	if (!out->frame)
		return fail_oom(err);
	for (size_t i = 0; i < l->n; i++) {
		uint64_t end = i + 1 < l->n ? l->header[i + 1] : l->trailer;

		if (!need[i] || end == l->data[i])
			continue;
		for (size_t f = frame_map_find(fm, l->data[i]); f < fm->n && fm->doff[f] < end; f++)
			out->frame[f] = true;
	}
	return plan_runs(fm, out, err);
}

void frame_plan_release(struct frame_plan *p)
{
	free(p->frame);
	free(p->run);
	memset(p, 0, sizeof(*p));
}
