/* The state file's one typed form: what the writer writes is what the reader (status,
 * status --json, --wait) gets, field by field. */
#include "runtime/statefile.h"

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
	sf->services = svc;
	sf->n_services = 1;
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
