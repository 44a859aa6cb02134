#include "cmd/support/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void progress_init(struct progress *p, const char *cmd, bool json)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->on = !json && isatty(STDERR_FILENO);
}

void progress_phase(struct progress *p, const char *phase, uint64_t files, uint64_t bytes)
{
	progress_end(p);
	p->phase = phase;
	p->total_files = files;
	p->total_bytes = bytes;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last.tv_sec = 0;
}

void progress_update(struct progress *p, uint64_t files, uint64_t bytes, const char *note)
{
	double elapsed;

	if (!p->on)
		return;
	if (p->last.tv_sec && seconds_since(&p->last) < 0.1 && files < p->total_files)
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	elapsed = seconds_since(&p->start);
	fprintf(stderr, "\r\033[Kslipway: %s: %s %llu/%llu files, %.1f/%.1f MB, %.1f MB/s%s%s",
	        p->cmd, p->phase ? p->phase : "", (unsigned long long)files,
	        (unsigned long long)p->total_files, (double)bytes / 1e6,
	        (double)p->total_bytes / 1e6, elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0.0,
	        note ? ", " : "", note ? note : "");
	p->shown = true;
}

void progress_end(struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
	p->shown = false;
}
