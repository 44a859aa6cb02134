#include "cmd/support/progress.h"
#include "release/base/clock.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static double seconds_since(uint64_t ms)
{
	return (double)(clock_mono_ms() - ms) / 1e3;
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
	p->start_ms = clock_mono_ms();
	p->last_ms = 0;
}

void progress_update(struct progress *p, uint64_t files, uint64_t bytes, const char *note)
{
	double elapsed;

	if (!p->on)
		return;
	if (p->last_ms && seconds_since(p->last_ms) < 0.1 &&
	    (files < p->total_files || !p->total_files))
		return;
	p->last_ms = clock_mono_ms();
	elapsed = seconds_since(p->start_ms);
	fprintf(stderr, "\r\033[Kslipway: %s: %s", p->cmd, p->phase ? p->phase : "");
	if (p->total_files)
		fprintf(stderr, " %llu/%llu files,", (unsigned long long)files,
		        (unsigned long long)p->total_files);
	fprintf(stderr, " %.1f/%.1f MB, %.1f MB/s%s%s", (double)bytes / 1e6,
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
