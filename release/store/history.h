/* The store's history: ROOT/history.jsonl, one JSON object per line, oldest first
 * (specs/store.md "History").
 *
 * The file is only ever appended to: an append writes one line at the end and fdatasyncs
 * it, whatever the history's length. A last line that lacks its newline, or does not parse,
 * is what a crash in the middle of an append leaves: readers ignore it and the next append
 * cuts it off, whatever its length. The file is opened with open_regular: a FIFO in its
 * place is refused (ERR_SYSTEM), never waited for. Activate and rollback events also record the
 * activation stack after them as a persistent linked list (`top`, `below`: byte offsets of lines in
 * the file), so that the next switch and the rollback target read a few lines, not the whole file.
 * Only append with the store lock held. */
#ifndef SLIPWAY_HISTORY_H
#define SLIPWAY_HISTORY_H

#include "release/base/error.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* One event. The strings are borrowed from the caller for history_append; in a loaded
 * history they point into strings_, which the event owns (history_release frees it). */
struct history_event {
	uint64_t seq;             /* 1, 2, 3, ... */
	const char *time;         /* RFC 3339 UTC */
	const char *action;       /* install, activate, rollback, prune, mark-bad */
	const char *version;      /* install, prune, mark-bad */
	const char *from;         /* activate, rollback: previous current, NULL when none */
	const char *to;           /* activate, rollback */
	uint64_t serial;          /* install */
	const char *archive_hash; /* install */
	bool downgrade;           /* install: accepted with --allow-downgrade */
	const char *reason;       /* mark-bad */
	char *strings_;           /* loaded events: the block the strings above live in */
	/* activate, rollback (set by history_append; absent in histories of older slipways): */
	bool has_stack;
	int64_t top;    /* offset of the line whose event pushed the version now on top */
	int64_t below;  /* offset of the line of the entry under it, -1 when none */
	int64_t offset; /* history_load: where this event's line starts */
};

struct history {
	struct history_event *ev;
	size_t n;
};

/* Loads the whole history (a missing file is an empty history), without the torn last line
 * an interrupted append may have left. Release with history_release. */
int history_load(struct store *st, struct history *h, struct err *err);
void history_release(struct history *h);

/* Appends one event; seq, time and the stack fields are filled in here (ev is not
 * modified). Reads only the end of the file (and, for a rollback, one more line). */
int history_append(struct store *st, const struct history_event *ev, struct err *err);

/* The activation stack (specs/store.md "Rollback target") replayed from a loaded history,
 * reconciled with `current`: heap strings in *stack (bottom first, *n entries), caller
 * frees each and the array. The reference the stored stack must always agree with. */
int history_activation_stack(const struct history *h, const char *current, char ***stack, size_t *n,
                             struct err *err);

/* Calls visit(ctx, version) for the entries of the reconciled activation stack that lie
 * below its top, nearest first, until visit returns non-zero. Follows the stored stack (a
 * few lines read); replays the whole history only when the stored stack is missing (a
 * history written by an older slipway) or inconsistent. */
int history_stack_visit(struct store *st, const char *current,
                        int (*visit)(void *ctx, const char *version), void *ctx, struct err *err);

/* The position of the latest install event of `version` (its seq), 0 when none. */
uint64_t history_install_seq(const struct history *h, const char *version);

#endif
