/* The append-only history (specs/store.md "History"). */
#include "release/store/history.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/store/store_meta.h"
#include "release/base/clock.h"
#include "release/base/json_get.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HISTORY_MAX_BYTES (256u << 20)
#define LINE_MAX_BYTES    (64u << 10) /* a longer line is not one slipway wrote */
#define CHUNK             4096

static bool is_switch(const char *action)
{
	return action && (!strcmp(action, "activate") || !strcmp(action, "rollback"));
}

/* The stack fields: "top" an offset, "below" an offset or null. */
static void parse_stack(json_object *obj, struct history_event *ev)
{
	json_object *t, *b;

	if (!json_object_object_get_ex(obj, "top", &t) || !json_object_is_type(t, json_type_int) ||
	    !json_object_object_get_ex(obj, "below", &b) ||
	    (b && !json_object_is_type(b, json_type_int)))
		return;
	ev->top = json_object_get_int64(t);
	ev->below = b ? json_object_get_int64(b) : -1;
	ev->has_stack = ev->top >= 0 && ev->below >= -1;
}

/* The event's strings, copied into one owned block (ev->strings_) the fields point into. */
static int copy_strings(json_object *obj, struct history_event *ev)
{
	static const char *const keys[] = {"time", "action",          "version", "from",
	                                   "to",   "archive_blake2b", "reason"};
	const char **fields[] = {&ev->time, &ev->action,       &ev->version, &ev->from,
	                         &ev->to,   &ev->archive_hash, &ev->reason};
	const char *v[sizeof(keys) / sizeof(keys[0])];
	size_t total = 1, i;
	char *p;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v[i] = json_get_str(obj, keys[i])))
			total += strlen(v[i]) + 1;
	if (!(p = ev->strings_ = malloc(total)))
		return -1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (v[i]) {
			*fields[i] = memcpy(p, v[i], strlen(v[i]) + 1);
			p += strlen(v[i]) + 1;
		}
	return 0;
}

static int parse_line(const char *line, size_t len, struct history_event *ev, struct err *err)
{
	json_object *obj;
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
	json_get_u64(obj, "seq", &ev->seq);
	json_get_u64(obj, "serial", &ev->serial);
	ev->downgrade = json_get_bool(obj, "downgrade");
	if (copy_strings(obj, ev) < 0) {
		json_object_put(obj);
		return fail_oom(err);
	}
	if (is_switch(ev->action))
		parse_stack(obj, ev);
	json_object_put(obj);
	if (!ev->action || !ev->time)
		return fail_kind(err, ERR_SYSTEM, "event without action or time");
	return 0;
}

static void event_release(struct history_event *ev)
{
	free(ev->strings_);
	memset(ev, 0, sizeof(*ev));
}

void history_release(struct history *h)
{
	for (size_t i = 0; i < h->n; i++)
		event_release(&h->ev[i]);
	free(h->ev);
	h->ev = NULL;
	h->n = 0;
}

/* ---- reading the whole file ---- */

static int read_text(struct store *st, char **text, size_t *len, struct err *err)
{
	if (faccessat(st->rootfd, STORE_HISTORY, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		*text = strdup("");
		*len = 0;
		return *text ? 0 : fail_oom(err);
	}
	/* The store's own file: whatever is wrong with it, the store is damaged (exit 3). */
	if (read_file_at(st->rootfd, STORE_HISTORY, HISTORY_MAX_BYTES, 1, text, len, err) < 0)
		return fail_recast(err, ERR_SYSTEM);
	return 0;
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
		bool last = !nl || nl + 1 == text + len;

		lineno++;
		if (!nl)
			break; /* an append cut short: not an event yet */
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
				if (last)
					break; /* torn by a crash: ignored */
				free(text);
				history_release(h);
				return fail_prefix(err, STORE_HISTORY " line %zu", lineno);
			}
			h->ev[h->n].offset = (int64_t)(p - text);
			h->n++;
		}
		p += n + 1;
	}
	free(text);
	return 0;
}

/* ---- reading lines by offset, backwards from the end ---- */

static int pread_full(int fd, char *buf, size_t len, int64_t off, struct err *err)
{
	while (len > 0) {
		ssize_t r = pread(fd, buf, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail_sys(err, "cannot read " STORE_HISTORY);
		if (r == 0)
			return fail_kind(err, ERR_SYSTEM,
			                 "cannot read " STORE_HISTORY ": it shrank");
		buf += r;
		len -= (size_t)r;
		off += r;
	}
	return 0;
}

/* The offset of the last newline before `pos`, -1 when there is none. With `bounded`, a
 * line longer than LINE_MAX_BYTES is an error; without, the search goes back as far as the
 * file does (a torn tail is as long as whatever reached the disk). */
static int last_newline(int fd, int64_t pos, bool bounded, int64_t *nl, struct err *err)
{
	char buf[CHUNK];
	int64_t from = pos;

	while (from > 0) {
		size_t want = from > CHUNK ? CHUNK : (size_t)from;

		from -= (int64_t)want;
		if (pread_full(fd, buf, want, from, err) < 0)
			return -1;
		for (size_t i = want; i > 0; i--)
			if (buf[i - 1] == '\n') {
				*nl = from + (int64_t)i - 1;
				return 0;
			}
		if (bounded && pos - from > (int64_t)LINE_MAX_BYTES)
			return fail_kind(err, ERR_SYSTEM,
			                 STORE_HISTORY ": a line longer than %u bytes",
			                 LINE_MAX_BYTES);
	}
	*nl = -1;
	return 0;
}

/* Parses the line [start, end - 1) (end - 1 is its newline). */
static int parse_at(int fd, int64_t start, int64_t end, struct history_event *ev, struct err *err)
{
	size_t len = (size_t)(end - 1 - start);
	char *buf;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (end - start > (int64_t)LINE_MAX_BYTES)
		return fail_kind(err, ERR_SYSTEM, STORE_HISTORY ": a line longer than %u bytes",
		                 LINE_MAX_BYTES);
	buf = malloc(len + 1);
	if (!buf)
		return fail_oom(err);
	rc = pread_full(fd, buf, len, start, err);
	if (rc == 0)
		rc = parse_line(buf, len, ev, err);
	free(buf);
	if (rc == 0)
		ev->offset = start;
	return rc;
}

/* Where the intact history ends: after the last newline, and before a last line that does
 * not parse (both what an interrupted append leaves). */
static int intact_end(int fd, int64_t size, int64_t *end, struct err *err)
{
	struct history_event ev;
	int64_t nl, e = size;
	char c;

	*end = 0;
	if (size == 0)
		return 0;
	if (pread_full(fd, &c, 1, size - 1, err) < 0)
		return -1;
	/* Both searches unbounded: a torn line of any length is cut off, never an error. */
	if (c != '\n') {
		if (last_newline(fd, size - 1, false, &nl, err) < 0)
			return -1;
		e = nl + 1;
	}
	if (e > 0) {
		struct err e2;

		if (last_newline(fd, e - 1, false, &nl, err) < 0)
			return -1;
		if (parse_at(fd, nl + 1, e, &ev, &e2) < 0)
			e = nl + 1;
		event_release(&ev);
	}
	*end = e;
	return 0;
}

/* Walks back from `pos` (the start of a line, or the intact end): the previous event and
 * its start in *pos. Returns 1 with an event, 0 at the start of the file, -1 on error. */
static int previous_event(int fd, int64_t *pos, struct history_event *ev, struct err *err)
{
	int64_t nl, p = *pos; /* byte p - 1 is the newline of the line wanted */

	while (p > 0) {
		if (last_newline(fd, p - 1, true, &nl, err) < 0)
			return -1;
		if (p - 1 > nl + 1) {
			if (parse_at(fd, nl + 1, p, ev, err) < 0) {
				event_release(ev);
				return fail_prefix(err, STORE_HISTORY " at byte %lld",
				                   (long long)(nl + 1));
			}
			*pos = nl + 1;
			return 1;
		}
		p = nl + 1; /* an empty line */
	}
	*pos = 0;
	return 0;
}

static int open_history(struct store *st, int flags, int *fd, int64_t *end, struct err *err)
{
	struct stat sb;

	/* Never waited for (a FIFO in its place would hold the lock forever), never followed. */
	*fd = open_regular(st->rootfd, STORE_HISTORY, flags | O_NOFOLLOW, 0644, &sb, err);
	if (*fd < 0) {
		fail_recast(err, ERR_SYSTEM); /* the store's own file: a damaged store */
		return fail_prefix(err, "%s", st->root);
	}
	if (intact_end(*fd, (int64_t)sb.st_size, end, err) < 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

/* The last activate/rollback event before `pos` (found is false when there is none). */
static int last_switch(int fd, int64_t pos, struct history_event *sw, bool *found, struct err *err)
{
	int r;

	*found = false;
	while ((r = previous_event(fd, &pos, sw, err)) == 1) {
		if (is_switch(sw->action) && sw->to) {
			*found = true;
			return 0;
		}
		event_release(sw);
	}
	return r;
}

/* The stack entry whose line starts at `off`: its event pushed its `to` and stored itself
 * as the top. 0 with the entry, 1 when the line is not such an entry, -1 on error. */
static int stack_node(int fd, int64_t off, int64_t end, struct history_event *node, struct err *err)
{
	int64_t nl;

	if (off < 0 || off >= end)
		return 1;
	if (off > 0) {
		char c;

		if (pread_full(fd, &c, 1, off - 1, err) < 0)
			return -1;
		if (c != '\n')
			return 1;
	}
	{
		/* Its end: the next newline. */
		char buf[CHUNK];
		int64_t p = off;

		nl = -1;
		while (nl < 0 && p < end && p - off <= (int64_t)LINE_MAX_BYTES) {
			size_t want = end - p > CHUNK ? CHUNK : (size_t)(end - p);
			char *hit;

			if (pread_full(fd, buf, want, p, err) < 0)
				return -1;
			hit = memchr(buf, '\n', want);
			if (hit)
				nl = p + (hit - buf);
			p += (int64_t)want;
		}
		if (nl < 0)
			return 1;
	}
	if (parse_at(fd, off, nl + 1, node, err) < 0) {
		event_release(node);
		return 1;
	}
	if (!is_switch(node->action) || !node->to || !node->has_stack || node->top != off ||
	    node->below >= off) {
		event_release(node);
		return 1;
	}
	return 0;
}

/* ---- the activation stack ---- */

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

/* The replay of specs/store.md "Rollback target" without the final reconciliation; with
 * `offsets`, also the line offset of the event that pushed each entry. */
static int replay(const struct history *h, char ***stack, int64_t **offsets, size_t *n,
                  struct err *err)
{
	size_t cap = 0;

	*stack = NULL;
	*n = 0;
	if (offsets)
		*offsets = NULL;
	for (size_t i = 0; i < h->n; i++) {
		const struct history_event *ev = &h->ev[i];
		bool rollback = !strcmp(ev->action, "rollback");

		if (!ev->to || (!rollback && strcmp(ev->action, "activate")))
			continue;
		/* A rollback leaves the release it rolled back from. */
		if (rollback && *n && ev->from && !strcmp((*stack)[*n - 1], ev->from))
			free((*stack)[--*n]);
		if (*n && !strcmp((*stack)[*n - 1], ev->to))
			continue;
		if (push(stack, n, ev->to) < 0)
			goto oom;
		if (offsets) {
			if (*n > cap) {
				int64_t *grown =
				    realloc(*offsets, (cap = *n * 2) * sizeof(int64_t));

				if (!grown)
					goto oom;
				*offsets = grown;
			}
			(*offsets)[*n - 1] = ev->offset;
		}
	}
	return 0;
oom:
	for (size_t i = 0; i < *n; i++)
		free((*stack)[i]);
	free(*stack);
	*stack = NULL;
	*n = 0;
	if (offsets) {
		free(*offsets);
		*offsets = NULL;
	}
	return fail_oom(err);
}

int history_activation_stack(const struct history *h, const char *current, char ***stack, size_t *n,
                             struct err *err)
{
	if (replay(h, stack, NULL, n, err) < 0)
		return -1;
	/* `current` is the truth: a crash between the switch and the history write leaves an
	 * activation the history does not show yet. */
	if (current && (!*n || strcmp((*stack)[*n - 1], current)) && push(stack, n, current) < 0) {
		for (size_t i = 0; i < *n; i++)
			free((*stack)[i]);
		free(*stack);
		*stack = NULL;
		*n = 0;
		return fail_oom(err);
	}
	return 0;
}

static void free_stack(char **stack, int64_t *offsets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(stack[i]);
	free(stack);
	free(offsets);
}

/* The stack fields of a new switch event at offset `self`, from the whole history. */
static int stack_by_replay(struct store *st, const struct history_event *ev, int64_t self,
                           int64_t *top, int64_t *below, struct err *err)
{
	struct history h;
	char **stack = NULL;
	int64_t *off = NULL;
	size_t n = 0;

	if (history_load(st, &h, err) < 0)
		return -1;
	if (replay(&h, &stack, &off, &n, err) < 0) {
		history_release(&h);
		return -1;
	}
	history_release(&h);
	if (!strcmp(ev->action, "rollback") && n && ev->from && !strcmp(stack[n - 1], ev->from))
		n--, free(stack[n]);
	if (n && !strcmp(stack[n - 1], ev->to)) {
		*top = off[n - 1];
		*below = n > 1 ? off[n - 2] : -1;
	} else {
		*top = self;
		*below = n ? off[n - 1] : -1;
	}
	free_stack(stack, off, n);
	return 0;
}

/* The stack fields of a new switch event at offset `self` (= end), reading only the last
 * switch event and, when a rollback pops, the entry under it. */
static int stack_after(struct store *st, int fd, int64_t end, const struct history_event *ev,
                       int64_t *top, int64_t *below, struct err *err)
{
	struct history_event last, node = {0};
	const char *top_version;
	bool found;
	int r;

	if (last_switch(fd, end, &last, &found, err) < 0)
		return -1;
	if (!found) {
		*top = end;
		*below = -1;
		return 0;
	}
	if (!last.has_stack) {
		event_release(&last);
		return stack_by_replay(st, ev, end, top, below, err);
	}
	*top = last.top;
	*below = last.below;
	top_version = last.to;
	if (!strcmp(ev->action, "rollback") && ev->from && !strcmp(last.to, ev->from)) {
		/* Pop: the entry under the top becomes the top. */
		if (last.below < 0) {
			event_release(&last);
			*top = end;
			*below = -1;
			return 0;
		}
		r = stack_node(fd, last.below, end, &node, err);
		if (r != 0) {
			event_release(&last);
			return r < 0 ? -1 : stack_by_replay(st, ev, end, top, below, err);
		}
		*top = last.below;
		*below = node.below;
		top_version = node.to;
	}
	if (strcmp(top_version, ev->to)) {
		*below = *top;
		*top = end;
	}
	event_release(&node);
	event_release(&last);
	return 0;
}

/* ---- appending ---- */

static void add_str(json_object *obj, const char *key, const char *val)
{
	if (val)
		json_object_object_add(obj, key, json_object_new_string(val));
}

static char *format_line(const struct history_event *ev, uint64_t seq, int64_t top, int64_t below)
{
	json_object *obj = json_object_new_object();
	char now[CLOCK_ISO_SIZE], *out = NULL;

	if (!obj)
		return NULL;
	clock_iso_utc(time(NULL), now);
	json_object_object_add(obj, "seq", json_object_new_int64((int64_t)seq));
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
	if (is_switch(ev->action) && ev->to) {
		json_object_object_add(obj, "top", json_object_new_int64(top));
		json_object_object_add(obj, "below",
		                       below >= 0 ? json_object_new_int64(below) : NULL);
	}
	if (asprintf(&out, "%s\n",
	             json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                                     JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		out = NULL;
	json_object_put(obj);
	return out;
}

int history_append(struct store *st, const struct history_event *ev, struct err *err)
{
	struct history_event last;
	int64_t end, top = -1, below = -1, pos;
	uint64_t seq = 1;
	char *line = NULL;
	size_t len, done = 0;
	int fd, r, rc = -1;

	if (open_history(st, O_RDWR | O_CREAT, &fd, &end, err) < 0)
		return -1;
	pos = end;
	r = previous_event(fd, &pos, &last, err);
	if (r < 0)
		goto out;
	if (r == 1) {
		seq = last.seq + 1;
		event_release(&last);
	}
	if (is_switch(ev->action) && ev->to && stack_after(st, fd, end, ev, &top, &below, err) < 0)
		goto out;
	line = format_line(ev, seq, top, below);
	if (!line) {
		fail_oom(err);
		goto out;
	}
	/* What follows the intact end is a torn line: cut it off, then write the new one. */
	if (ftruncate(fd, (off_t)end) < 0) {
		fail_sys(err, "cannot write %s/" STORE_HISTORY, st->root);
		goto out;
	}
	len = strlen(line);
	while (done < len) {
		ssize_t w = pwrite(fd, line + done, len - done, (off_t)(end + (int64_t)done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fail_sys(err, "cannot write %s/" STORE_HISTORY, st->root);
			if (ftruncate(fd, (off_t)end) == 0)
				fdatasync(fd);
			goto out;
		}
		done += (size_t)w;
	}
	if (fdatasync(fd) < 0) {
		fail_sys(err, "cannot sync %s/" STORE_HISTORY, st->root);
		goto out;
	}
	rc = 0;
out:
	free(line);
	close(fd);
	return rc;
}

/* ---- the rollback target's walk ---- */

int history_stack_visit(struct store *st, const char *current,
                        int (*visit)(void *ctx, const char *version), void *ctx, struct err *err)
{
	struct history_event last, node;
	struct history h;
	char **stack = NULL;
	int64_t end, below;
	size_t n = 0, visited = 0; /* entries the stored stack gave before it broke off */
	bool found;
	int fd, r, rc = -1;

	if (faccessat(st->rootfd, STORE_HISTORY, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* no history: the stack holds at most `current` */
	if (open_history(st, O_RDONLY, &fd, &end, err) < 0)
		return -1;
	if (last_switch(fd, end, &last, &found, err) < 0)
		goto out;
	if (!found) {
		rc = 0;
		goto out;
	}
	if (!last.has_stack) {
		event_release(&last);
		goto replay;
	}
	/* After a switch the history does not show, `current` sits on top of last.to. */
	if (current && strcmp(current, last.to)) {
		if (visit(ctx, last.to)) {
			event_release(&last);
			rc = 0;
			goto out;
		}
		visited++;
	}
	below = last.below;
	while (below >= 0) {
		int stop;

		r = stack_node(fd, below, end, &node, err);
		if (r < 0) {
			event_release(&last);
			goto out;
		}
		if (r > 0) {
			event_release(&last);
			goto replay;
		}
		stop = visit(ctx, node.to);
		visited++;
		below = node.below;
		event_release(&node);
		if (stop)
			break;
	}
	event_release(&last);
	rc = 0;
	goto out;
replay:
	/* Written by an older slipway, or damaged: the whole history, replayed. */
	if (history_load(st, &h, err) < 0)
		goto out;
	r = history_activation_stack(&h, current, &stack, &n, err);
	history_release(&h);
	if (r < 0)
		goto out;
	for (size_t i = n > 0 ? n - 1 : 0; i > 0; i--)
		if (n - 1 - i >= visited && visit(ctx, stack[i - 1]))
			break;
	free_stack(stack, NULL, n);
	rc = 0;
out:
	close(fd);
	return rc;
}

uint64_t history_install_seq(const struct history *h, const char *version)
{
	for (size_t i = h->n; i > 0; i--)
		if (!strcmp(h->ev[i - 1].action, "install") && h->ev[i - 1].version &&
		    !strcmp(h->ev[i - 1].version, version))
			return h->ev[i - 1].seq;
	return 0;
}
