/* The append-only history (specs/store.md "History"). */
#include "release/store/history.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/store_meta.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define HISTORY_MAX_BYTES (256u << 20)

static char *opt_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

static int parse_line(const char *line, size_t len, struct history_event *ev, struct err *err)
{
	json_object *obj, *v;
	struct json_tokener *tok = json_tokener_new();

	memset(ev, 0, sizeof(*ev));
	if (!tok)
		return fail_oom(err);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		json_tokener_free(tok);
		return fail_kind(err, ERR_SYSTEM, "not a JSON object");
	}
	json_tokener_free(tok);
	if (json_object_object_get_ex(obj, "seq", &v))
		ev->seq = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(obj, "serial", &v))
		ev->serial = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(obj, "downgrade", &v))
		ev->downgrade = json_object_get_boolean(v);
	ev->time = opt_str(obj, "time");
	ev->action = opt_str(obj, "action");
	ev->version = opt_str(obj, "version");
	ev->from = opt_str(obj, "from");
	ev->to = opt_str(obj, "to");
	ev->archive_hash = opt_str(obj, "archive_blake2b");
	ev->reason = opt_str(obj, "reason");
	json_object_put(obj);
	if (!ev->action || !ev->time)
		return fail_kind(err, ERR_SYSTEM, "event without action or time");
	return 0;
}

static void event_release(struct history_event *ev)
{
	free(ev->time);
	free(ev->action);
	free(ev->version);
	free(ev->from);
	free(ev->to);
	free(ev->archive_hash);
	free(ev->reason);
}

void history_release(struct history *h)
{
	for (size_t i = 0; i < h->n; i++)
		event_release(&h->ev[i]);
	free(h->ev);
	h->ev = NULL;
	h->n = 0;
}

static int read_text(struct store *st, char **text, size_t *len, struct err *err)
{
	if (faccessat(st->rootfd, STORE_HISTORY, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		*text = strdup("");
		*len = 0;
		return *text ? 0 : fail_oom(err);
	}
	return read_file_at(st->rootfd, STORE_HISTORY, HISTORY_MAX_BYTES, 1, text, len, err);
}

int history_load(struct store *st, struct history *h, struct err *err)
{
	char *text = NULL, *p;
	size_t len = 0, cap = 0, lineno = 0;

	h->ev = NULL;
	h->n = 0;
	if (read_text(st, &text, &len, err) < 0)
		return -1;
	for (p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);

		lineno++;
		if (n > 0) {
			if (h->n == cap) {
				struct history_event *grown;

				cap = cap ? cap * 2 : 64;
				grown = realloc(h->ev, cap * sizeof(*grown));
				if (!grown) {
					free(text);
					history_release(h);
					return fail_oom(err);
				}
				h->ev = grown;
			}
			if (parse_line(p, n, &h->ev[h->n], err) < 0) {
				event_release(&h->ev[h->n]);
				free(text);
				history_release(h);
				return fail_prefix(err, STORE_HISTORY " line %zu", lineno);
			}
			h->n++;
		}
		p += n + 1;
	}
	free(text);
	return 0;
}

static void add_str(json_object *obj, const char *key, const char *val)
{
	if (val)
		json_object_object_add(obj, key, json_object_new_string(val));
}

int history_append(struct store *st, const struct history_event *ev, struct err *err)
{
	struct history h;
	char *text = NULL, *out = NULL, now[21];
	size_t len = 0;
	json_object *obj = NULL;
	const char *line;
	int rc = -1;

	if (history_load(st, &h, err) < 0)
		return -1;
	if (read_text(st, &text, &len, err) < 0)
		goto out;
	store_now(now);
	obj = json_object_new_object();
	if (!obj) {
		fail_oom(err);
		goto out;
	}
	json_object_object_add(obj, "seq",
	                       json_object_new_int64(h.n ? (int64_t)h.ev[h.n - 1].seq + 1 : 1));
	json_object_object_add(obj, "time", json_object_new_string(now));
	add_str(obj, "action", ev->action);
	add_str(obj, "version", ev->version);
	if (ev->to)
		json_object_object_add(obj, "from",
		                       ev->from ? json_object_new_string(ev->from) : NULL);
	add_str(obj, "to", ev->to);
	if (!strcmp(ev->action, "install")) {
		json_object_object_add(obj, "serial", json_object_new_int64((int64_t)ev->serial));
		add_str(obj, "archive_blake2b", ev->archive_hash);
		json_object_object_add(obj, "downgrade", json_object_new_boolean(ev->downgrade));
	}
	add_str(obj, "reason", ev->reason);
	line = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
	/* A history written by an interrupted older tool may lack the final newline. */
	if (asprintf(&out, "%s%s%s\n", text, len && text[len - 1] != '\n' ? "\n" : "", line) < 0) {
		out = NULL;
		fail_oom(err);
		goto out;
	}
	rc = write_file_atomic(st->rootfd, STORE_HISTORY, out, strlen(out), 0644, 0, err);
out:
	json_object_put(obj);
	free(text);
	free(out);
	history_release(&h);
	return rc;
}

static int push(char ***stack, size_t *n, const char *v)
{
	char **grown = realloc(*stack, (*n + 1) * sizeof(char *));

	if (!grown)
		return -1;
	*stack = grown;
	if (!(grown[*n] = strdup(v)))
		return -1;
	(*n)++;
	return 0;
}

int history_activation_stack(const struct history *h, const char *current, char ***stack, size_t *n,
                             struct err *err)
{
	*stack = NULL;
	*n = 0;
	for (size_t i = 0; i < h->n; i++) {
		const struct history_event *ev = &h->ev[i];
		bool rollback = !strcmp(ev->action, "rollback");

		if (!ev->to || (!rollback && strcmp(ev->action, "activate")))
			continue;
		/* A rollback leaves the release it rolled back from. */
		if (rollback && *n && ev->from && !strcmp((*stack)[*n - 1], ev->from))
			free((*stack)[--*n]);
		if ((!*n || strcmp((*stack)[*n - 1], ev->to)) && push(stack, n, ev->to) < 0)
			goto oom;
	}
	/* `current` is the truth: a crash between the switch and the history write leaves an
	 * activation the history does not show yet. */
	if (current && (!*n || strcmp((*stack)[*n - 1], current)) && push(stack, n, current) < 0)
		goto oom;
	return 0;
oom:
	for (size_t i = 0; i < *n; i++)
		free((*stack)[i]);
	free(*stack);
	*stack = NULL;
	*n = 0;
	return fail_oom(err);
}

uint64_t history_install_seq(const struct history *h, const char *version)
{
	for (size_t i = h->n; i > 0; i--)
		if (!strcmp(h->ev[i - 1].action, "install") && h->ev[i - 1].version &&
		    !strcmp(h->ev[i - 1].version, version))
			return h->ev[i - 1].seq;
	return 0;
}
