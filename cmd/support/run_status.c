#include "cmd/support/run_status.h"
#include "release/base/escape.h"
#include "release/base/error.h"
#include "runtime/statefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *run_status_json(const char *root)
{
	json_object *o;
	struct state_file sf;
	struct err err;
	int alive = statefile_supervisor_alive(root, &err);

	if (statefile_read(root, &sf, &err) < 0) {
		o = json_object_new_object();
		json_object_object_add(o, "running", json_object_new_boolean(alive == 1));
		return o;
	}
	/* What the supervisor wrote, every field of it, and whether it still runs. */
	o = statefile_to_json(&sf);
	statefile_free(&sf);
	json_object_object_add(o, "running", json_object_new_boolean(alive == 1));
	return o;
}

static const char *get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

/* The lines a failed process printed last: already escaped by the state file's reader. */
static void print_output(json_object *s, const char *key, const char *indent)
{
	json_object *arr;

	if (!json_object_object_get_ex(s, key, &arr) || !json_object_is_type(arr, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		printf("%s| %s\n", indent,
		       json_object_get_string(json_object_array_get_idx(arr, i)));
}

static int has_output(json_object *s)
{
	json_object *arr;

	return json_object_object_get_ex(s, "last_output", &arr) &&
	       json_object_is_type(arr, json_type_array) && json_object_array_length(arr) > 0;
}

/* Loud for a crash loop (runtime/crashloop.h); the output of its last failure whenever the
 * service is not ready, so the reason is on screen, not only in the log. */
static void print_failure(json_object *s)
{
	int looping = json_object_get_boolean(json_object_object_get(s, "crash_looping"));

	if (looping) {
		printf("  !! %s is CRASH-LOOPING: %s failures in the last minute, last exit: ",
		       get(s, "name"), get(s, "restarts_last_minute"));
		esc_fputs(get(s, "last_exit"), stdout);
		printf("\n");
	}
	if (has_output(s) && (looping || strcmp(get(s, "state"), "ready"))) {
		printf("     %s printed last, before it failed:\n", get(s, "name"));
		print_output(s, "last_output", "       ");
	}
}

void run_status_print(json_object *o)
{
	json_object *arr, *sw;
	int running = json_object_get_boolean(json_object_object_get(o, "running"));

	if (!json_object_object_get_ex(o, "services", &arr)) {
		printf("supervisor:   %s\n", running ? "running (no state yet)" : "not running");
		return;
	}
	if (running)
		printf("supervisor:   running (pid %s), %s, release %s, generation %s\n",
		       get(o, "pid"), get(o, "phase"), *get(o, "release") ? get(o, "release") : "-",
		       get(o, "generation"));
	else
		printf("supervisor:   not running (last seen %s, pid %s)\n", get(o, "updated"),
		       get(o, "pid"));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		printf("  %-10s %-9s pid %-7s release %s (gen %s), restarts %s", get(s, "name"),
		       get(s, "state"), get(s, "pid"), get(s, "release"), get(s, "generation"),
		       get(s, "restarts"));
		if (*get(s, "restarts_last_minute") && strcmp(get(s, "restarts_last_minute"), "0"))
			printf(" (%s failures in the last minute)", get(s, "restarts_last_minute"));
		if (*get(s, "health_port") && strcmp(get(s, "health_port"), "0"))
			printf(", health port %s", get(s, "health_port"));
		if (*get(s, "last_exit")) {
			fputs(", last exit: ", stdout);
			esc_fputs(get(s, "last_exit"), stdout);
		}
		if (json_object_get_boolean(json_object_object_get(s, "serving")))
			printf(", serving port %s", get(s, "port"));
		if (json_object_get_boolean(json_object_object_get(s, "warm")))
			printf(", warm (a rollback promotes it)");
		else if (json_object_get_boolean(json_object_object_get(s, "retiring")))
			printf(", retiring");
		printf(", since %s\n", get(s, "since"));
		print_failure(s);
	}
	if (json_object_object_get_ex(o, "switch", &sw) && strcmp(get(sw, "seq"), "0")) {
		printf("last switch:  %s -> %s: %s", *get(sw, "from") ? get(sw, "from") : "-",
		       get(sw, "to"), get(sw, "result"));
		/* A reason can quote what another process is called (the holder of a port). */
		if (*get(sw, "reason")) {
			fputs(" (", stdout);
			esc_fputs(get(sw, "reason"), stdout);
			fputs(")", stdout);
		}
		printf("\n");
	}
	if (json_object_object_get_ex(o, "follow", &sw)) {
		fputs("follow:       ", stdout);
		esc_fputs(get(sw, "source"), stdout);
		printf(" every %ss", get(sw, "every"));
		if (strcmp(get(sw, "checks"), "0")) {
			printf(", last check %s: %s: ", get(sw, "last_check"),
			       json_object_get_boolean(json_object_object_get(sw, "ok"))
			           ? "ok"
			           : "failed");
			esc_fputs(get(sw, "result"), stdout);
		} else {
			fputs(", no check finished yet", stdout);
		}
		printf("\n");
	}
}
