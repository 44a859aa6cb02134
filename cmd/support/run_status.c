#include "cmd/support/run_status.h"
#include "release/base/escape.h"
#include "release/base/error.h"
#include "runtime/statefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_keys(json_object *from, json_object *to, const char *const *keys)
{
	json_object *v;

	for (; *keys; keys++)
		if (json_object_object_get_ex(from, *keys, &v))
			json_object_object_add(to, *keys, json_object_get(v));
}

json_object *run_status_json(const char *root)
{
	static const char *const top[] = {"pid", "phase", "release", "generation", "updated", NULL};
	static const char *const sw[] = {"seq", "from", "to", "result", "reason", "settled", NULL};
	static const char *const svc[] = {"name",     "generation", "release",     "state",
	                                  "pid",      "port",       "health_port", "restarts",
	                                  "failures", "last_exit",  "since",       "retiring",
	                                  "serving",  "warm",       NULL};
	json_object *o = json_object_new_object(), *st, *v, *arr;
	struct err err;
	int alive = statefile_supervisor_alive(root, &err);

	json_object_object_add(o, "running", json_object_new_boolean(alive == 1));
	if (statefile_read(root, &st, &err) < 0)
		return o;
	copy_keys(st, o, top);
	if (json_object_object_get_ex(st, "switch", &v)) {
		json_object *s = json_object_new_object();

		copy_keys(v, s, sw);
		json_object_object_add(o, "switch", s);
	}
	arr = json_object_new_array();
	if (json_object_object_get_ex(st, "services", &v) &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *s = json_object_new_object();

			copy_keys(json_object_array_get_idx(v, i), s, svc);
			json_object_array_add(arr, s);
		}
	json_object_object_add(o, "services", arr);
	json_object_put(st);
	return o;
}

static const char *get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
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
}
