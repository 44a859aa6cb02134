/* The state file's one typed form: what the writer writes is what the reader (status,
 * status --json, --wait) gets, field by field. */
#include "runtime/statefile.h"
#include "runtime/outtail.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/statefile_test.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void remove_root(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

#define ESC_LINE "C:\\app \x1b[31mUnknown file extension \".ts\""

/* Every field set, none to its zero value, so a field the reader drops shows. */
static void full(struct state_file *sf, struct state_service *svc)
{
	memset(sf, 0, sizeof(*sf));
	memset(svc, 0, sizeof(*svc));
	sf->format = STATEFILE_FORMAT;
	sf->pid = 4242;
	snprintf(sf->updated, sizeof(sf->updated), "2026-01-02T03:04:05Z");
	sf->phase = GEN_SWITCHING;
	sf->generation = 7;
	snprintf(sf->release, sizeof(sf->release), "1.2.3");
	sf->sw.seq = 5;
	snprintf(sf->sw.from, sizeof(sf->sw.from), "1.2.2");
	snprintf(sf->sw.to, sizeof(sf->sw.to), "1.2.3");
	sf->sw.result = GEN_ROLLED_BACK;
	snprintf(sf->sw.reason, sizeof(sf->sw.reason), "web exited with status 1");
	sf->sw.settled = 1;
	snprintf(svc->name, sizeof(svc->name), "web");
	svc->generation = 6;
	snprintf(svc->release, sizeof(svc->release), "1.2.2");
	svc->state = SVC_BACKOFF;
	svc->pid = 99;
	svc->port = 5000;
	svc->health_port = 8081;
	svc->restarts = 3;
	svc->failures = 2;
	snprintf(svc->last_exit, sizeof(svc->last_exit), "killed by signal 9 (SIGKILL)");
	snprintf(svc->since, sizeof(svc->since), "2026-01-02T03:04:00Z");
	svc->retiring = 1;
	svc->serving = 1;
	svc->warm = 1;
	svc->restarts_last_minute = 4;
	svc->crash_looping = 1;
	outtail_add(&svc->last_output, "node:internal/modules/esm/get_format:218",
	            strlen("node:internal/modules/esm/get_format:218"));
	outtail_add(&svc->last_output, ESC_LINE, strlen(ESC_LINE));
	snprintf(sf->failures[0].service, sizeof(sf->failures[0].service), "agent");
	snprintf(sf->failures[0].release, sizeof(sf->failures[0].release), "1.2.3");
	sf->failures[0].generation = 7;
	snprintf(sf->failures[0].reason, sizeof(sf->failures[0].reason), "exited with status 1");
	snprintf(sf->failures[0].at, sizeof(sf->failures[0].at), "2026-01-02T03:04:03Z");
	outtail_add(&sf->failures[0].output, "Error [ERR_UNKNOWN_FILE_EXTENSION]", 34);
	sf->n_failures = 1;
	sf->services = svc;
	sf->n_services = 1;
	snprintf(sf->follow.source, sizeof(sf->follow.source), "https://releases.example/app");
	sf->follow.every_s = 60;
	sf->follow.last.checks = 12;
	snprintf(sf->follow.last.at, sizeof(sf->follow.last.at), "2026-01-02T03:04:01Z");
	sf->follow.last.ok = 1;
	snprintf(sf->follow.last.summary, sizeof(sf->follow.last.summary),
	         "up to date: mediai 1.2.3 (index serial 9)");
}

Test(statefile, every_field_written_is_read_back)
{
	struct state_file in, out;
	struct state_service svc, *read;
	struct err err;

	make_root();
	full(&in, &svc);
	cr_assert_eq(statefile_write(root, &in, &err), 0, "%s", err.msg);
	cr_assert_eq(statefile_read(root, &out, &err), 0, "%s", err.msg);
	cr_assert_eq(out.n_services, 1);
	cr_assert_eq(memcmp(&out.services[0], &svc, sizeof(svc)), 0, "a service field was lost");
	read = out.services;
	out.services = in.services; /* the pointers differ, nothing else may */
	cr_assert_eq(memcmp(&out, &in, sizeof(in)), 0, "a top-level or switch field was lost");
	out.services = read;
	statefile_free(&out);
	remove_root();
}

/* `status --json` prints statefile_to_json of what statefile_read parsed: it must be the
 * very object the writer wrote, so a field added to the writer appears in status --json. */
Test(statefile, status_json_is_what_the_writer_wrote)
{
	struct state_file in, out;
	struct state_service svc;
	struct err err;
	char path[PATH_MAX + 32];
	json_object *written, *shown;

	make_root();
	full(&in, &svc);
	cr_assert_eq(statefile_write(root, &in, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/run/state.json", root);
	written = json_object_from_file(path);
	cr_assert_not_null(written);
	cr_assert_eq(statefile_read(root, &out, &err), 0, "%s", err.msg);
	shown = statefile_to_json(&out);
	cr_assert(json_object_equal(written, shown), "status --json: %s\nstate.json: %s",
	          json_object_to_json_string(shown), json_object_to_json_string(written));
	cr_assert_str_eq(json_object_get_string(json_object_object_get(
	                     json_object_object_get(shown, "switch"), "result")),
	                 "rolled_back");
	json_object_put(written);
	json_object_put(shown);
	statefile_free(&out);
	remove_root();
}

Test(statefile, missing_and_malformed_files_fail_clearly)
{
	struct state_file out;
	struct err err;
	char path[PATH_MAX + 32];
	FILE *f;

	make_root();
	cr_assert_eq(statefile_read(root, &out, &err), -1);
	cr_assert(strstr(err.msg, "no state file"), "%s", err.msg);
	snprintf(path, sizeof(path), "%s/run", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/run/state.json", root);
	f = fopen(path, "w");
	fputs("[1, 2", f);
	fclose(f);
	cr_assert_eq(statefile_read(root, &out, &err), -1);
	cr_assert(strstr(err.msg, "is not valid JSON"), "%s", err.msg);
	/* Unknown names read as the neutral value; absent fields as zero. */
	f = fopen(path, "w");
	fputs("{\"phase\": \"dancing\", \"switch\": {\"result\": \"maybe\"}}", f);
	fclose(f);
	cr_assert_eq(statefile_read(root, &out, &err), 0, "%s", err.msg);
	cr_assert_eq(out.phase, GEN_RUNNING);
	cr_assert_eq(out.sw.result, GEN_PENDING);
	cr_assert_eq(out.n_services, 0);
	statefile_free(&out);
	remove_root();
}

static void write_text(const char *text)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/run", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/run/state.json", root);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static int has_control_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* The tail as the writer keeps it: escaped control bytes, round trip unchanged (a backslash
 * is not doubled on the way back). */
Test(statefile, output_tail_keeps_escapes_through_a_round_trip)
{
	struct state_file in, out;
	struct state_service svc;
	struct err err;

	make_root();
	full(&in, &svc);
	cr_assert_str_eq(outtail_line(&svc.last_output, 1),
	                 "C:\\\\app \\x1b[31mUnknown file extension \".ts\"");
	cr_assert_eq(statefile_write(root, &in, &err), 0, "%s", err.msg);
	cr_assert_eq(statefile_read(root, &out, &err), 0, "%s", err.msg);
	cr_assert_eq(out.services[0].last_output.n, 2);
	cr_assert_str_eq(outtail_line(&out.services[0].last_output, 1),
	                 outtail_line(&svc.last_output, 1));
	cr_assert_eq(out.services[0].crash_looping, 1);
	cr_assert_eq(out.services[0].restarts_last_minute, 4);
	cr_assert_str_eq(out.failures[0].service, "agent");
	cr_assert_str_eq(outtail_line(&out.failures[0].output, 0),
	                 "Error [ERR_UNKNOWN_FILE_EXTENSION]");
	statefile_free(&out);
	remove_root();
}

/* A state file written by hand (or by a hostile local user) cannot make `status` print a
 * control byte or more than the bounds. */
Test(statefile, reader_bounds_and_escapes_output_it_did_not_write)
{
	struct state_file out;
	struct err err;
	char text[8192], big[1001];
	const struct outtail *t;

	make_root();
	memset(big, 'A', 1000);
	big[1000] = '\0';
	snprintf(text, sizeof(text),
	         "{\"services\": [{\"name\": \"web\", \"last_output\": [\"one\", \"two\", "
	         "\"three\", \"four\", \"\\u001b]0;evil\\u0007\", \"%s\", 7, "
	         "\"\\u202eabc\", \"last\"]}], "
	         "\"failures\": [{\"service\": \"web\", \"output\": [\"\\r\\nx\"]}]}",
	         big);
	write_text(text);
	cr_assert_eq(statefile_read(root, &out, &err), 0, "%s", err.msg);
	t = &out.services[0].last_output;
	cr_assert_eq(t->n, OUTTAIL_LINES, "%u lines", t->n);
	for (unsigned i = 0; i < t->n; i++) {
		cr_assert_leq(strlen(outtail_line(t, i)), OUTTAIL_LINE_MAX);
		cr_assert(!has_control_byte(outtail_line(t, i)), "%s", outtail_line(t, i));
	}
	cr_assert_str_eq(outtail_line(t, 0), "four");
	cr_assert_str_eq(outtail_line(t, 1), "\\x1b]0;evil\\x07");
	cr_assert_eq(strspn(outtail_line(t, 2), "A"), OUTTAIL_LINE_MAX);
	cr_assert_str_eq(outtail_line(t, 3), "\\xe2\\x80\\xaeabc");
	cr_assert_str_eq(outtail_line(t, 4), "last");
	cr_assert_str_eq(outtail_line(&out.failures[0].output, 0), "\\r\\nx");
	statefile_free(&out);
	remove_root();
}

static struct state_failure failure(const char *service, const char *release, const char *why)
{
	struct state_failure f;

	memset(&f, 0, sizeof(f));
	snprintf(f.service, sizeof(f.service), "%s", service);
	snprintf(f.release, sizeof(f.release), "%s", release);
	snprintf(f.reason, sizeof(f.reason), "%s", why);
	return f;
}

/* A crash-looping service of one release must not push out the failure of another: each
 * (service, release) keeps one entry, the most recent first, at most STATEFILE_FAILURES. */
Test(statefile, failures_keep_one_entry_per_service_and_release)
{
	struct state_failure list[STATEFILE_FAILURES], f;
	size_t n = 0;

	f = failure("web", "B", "exited with status 1");
	statefile_note_failure(list, &n, &f);
	for (int i = 0; i < 10; i++) {
		f = failure("agent", "A", i % 2 ? "exited with status 1" : "exited with status 2");
		statefile_note_failure(list, &n, &f);
	}
	cr_assert_eq(n, 2);
	cr_assert_str_eq(list[0].service, "agent");
	cr_assert_str_eq(list[0].reason, "exited with status 1");
	cr_assert_str_eq(list[1].release, "B");
	for (int i = 0; i < 5; i++) {
		char r[8];

		snprintf(r, sizeof(r), "r%d", i);
		f = failure("web", r, "x");
		statefile_note_failure(list, &n, &f);
	}
	cr_assert_eq(n, STATEFILE_FAILURES);
	cr_assert_str_eq(list[0].release, "r4");
	cr_assert_str_eq(list[STATEFILE_FAILURES - 1].release, "r1");
}
