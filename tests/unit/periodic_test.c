/* runtime/periodic.c: the job `run --follow` starts on a timer. A result is logged only when
 * it differs from the last one logged; the judge sees the job's last output line; a job past
 * its deadline is killed and reported as such; nothing starts while stopping. */
#include <criterion/criterion.h>

#include "runtime/logsink.h"
#include "runtime/periodic.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char judged[512];

static int judge(const char *last, int ws, char *out, size_t cap)
{
	snprintf(judged, sizeof(judged), "%s", last);
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
		snprintf(out, cap, "fine: %s", last);
		return 1;
	}
	snprintf(out, cap, "failed (exit %d): %s", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, last);
	return 0;
}

/* One run: due at `now`, reaped as the supervisor's SIGCHLD handler would. */
static void run_once(struct periodic *p, uint64_t now, struct logsink *log)
{
	int ws;
	pid_t pid;

	periodic_tick(p, now, 0, log);
	cr_assert(periodic_running(p), "the job did not start at %llu", (unsigned long long)now);
	pid = p->pid;
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert_eq(periodic_reaped(p, pid, ws, log), 1);
	cr_assert(!periodic_running(p));
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

Test(periodic, same_failure_is_logged_once_and_a_new_result_again)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct logsink log = {.out = f, .width = 7};
	char *fail_argv[] = {"/bin/sh", "-c",
	                     "echo progress; echo 'slipway: pull: refused'; exit 1", NULL};
	char *ok_argv[] = {"/bin/sh", "-c", "echo '{\"up_to_date\":true}'", NULL};
	struct periodic_spec spec = {.argv = fail_argv,
	                             .name = "follow",
	                             .source = "http://x/",
	                             .every_ms = 1000,
	                             .deadline_ms = 60000,
	                             .judge = judge};
	struct periodic p;

	periodic_init(&p, &spec, 100);
	cr_assert_eq(periodic_next_wakeup(&p, 100), 0, "the first run is due at once");
	run_once(&p, 100, &log);
	cr_assert_str_eq(judged, "slipway: pull: refused", "the judge sees the last line");
	cr_assert_eq(periodic_next_wakeup(&p, 600), 500,
	             "the next run is every_ms after the start");
	periodic_tick(&p, 600, 0, &log);
	cr_assert(!periodic_running(&p), "a run started before it was due");
	run_once(&p, 1100, &log);
	run_once(&p, 2100, &log);
	fflush(f);
	cr_assert_eq(count(buf, "follow: failed (exit 1): slipway: pull: refused"), 1, "log: %s",
	             buf);
	cr_assert_eq(p.result.checks, 3);
	cr_assert_eq(p.result.ok, 0);
	cr_assert_eq(strlen(p.result.at), 20);

	spec.argv = ok_argv;
	run_once(&p, 3100, &log);
	run_once(&p, 4100, &log);
	fflush(f);
	cr_assert_eq(count(buf, "follow: fine: {\"up_to_date\":true}"), 1, "log: %s", buf);
	cr_assert_eq(p.result.ok, 1);
	cr_assert_eq(p.result.checks, 5);
	spec.argv = fail_argv;
	run_once(&p, 5100, &log);
	fflush(f);
	cr_assert_eq(count(buf, "follow: failed"), 2, "a failure after a success is news: %s", buf);
	periodic_release(&p);
	fclose(f);
	free(buf);
}

Test(periodic, a_job_past_its_deadline_is_killed_and_reported)
{
	FILE *f = fopen("/dev/null", "w");
	struct logsink log = {.out = f, .width = 7};
	char *argv[] = {"/bin/sleep", "30", NULL};
	struct periodic_spec spec = {.argv = argv,
	                             .name = "follow",
	                             .source = "s",
	                             .every_ms = 1000,
	                             .deadline_ms = 200,
	                             .judge = judge};
	struct periodic p;
	int ws;
	pid_t pid;

	periodic_init(&p, &spec, 0);
	periodic_tick(&p, 0, 0, &log);
	pid = p.pid;
	cr_assert_gt(pid, 0);
	cr_assert_eq(periodic_next_wakeup(&p, 50), 150, "the deadline is a wake-up");
	periodic_tick(&p, 199, 0, &log);
	cr_assert_eq(kill(pid, 0), 0, "killed before its deadline");
	periodic_tick(&p, 200, 0, &log);
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	periodic_reaped(&p, pid, ws, &log);
	cr_assert_str_eq(p.result.summary, "no answer within 0.2s; stopped");
	cr_assert_eq(p.result.ok, 0);
	fclose(f);
}

Test(periodic, nothing_starts_while_stopping_and_other_pids_are_not_its)
{
	char *argv[] = {"/bin/true", NULL};
	struct periodic_spec spec = {.argv = argv,
	                             .name = "follow",
	                             .source = "s",
	                             .every_ms = 1000,
	                             .deadline_ms = 1000,
	                             .judge = judge};
	struct logsink log = {.out = stderr, .width = 7};
	struct periodic p, none;

	periodic_init(&p, &spec, 0);
	periodic_tick(&p, 0, 1, &log);
	cr_assert(!periodic_running(&p));
	cr_assert_eq(periodic_reaped(&p, 12345, 0, &log), 0);
	periodic_init(&none, NULL, 0);
	cr_assert_eq(periodic_next_wakeup(&none, 0), -1, "no job, no wake-up");
	cr_assert_eq(periodic_tick(&none, 0, 0, &log), 0);
}
