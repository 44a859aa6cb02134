/* The store's history: ROOT/history.jsonl, one JSON object per line, oldest first
 * (specs/store.md "History"). Appending rewrites the whole file to a temporary name and
 * renames it over the old one, so a crash leaves either the old or the new history, never a
 * torn line. Only append with the store lock held. */
#ifndef SLIPWAY_HISTORY_H
#define SLIPWAY_HISTORY_H

#include "release/base/error.h"
#include "release/store/store.h"

#include <stdbool.h>
#include <stdint.h>

struct history_event {
	uint64_t seq;       /* 1, 2, 3, ... */
	char *time;         /* RFC 3339 UTC */
	char *action;       /* install, activate, rollback, prune, mark-bad */
	char *version;      /* install, prune, mark-bad */
	char *from;         /* activate, rollback: previous current, NULL when none */
	char *to;           /* activate, rollback */
	uint64_t serial;    /* install */
	char *archive_hash; /* install */
	bool downgrade;     /* install: accepted with --allow-downgrade */
	char *reason;       /* mark-bad */
};

struct history {
	struct history_event *ev;
	size_t n;
};

/* Loads the history (a missing file is an empty history). Release with history_release. */
int history_load(struct store *st, struct history *h, struct err *err);
void history_release(struct history *h);

/* Appends one event; ev->seq and ev->time are filled in here (ev is not modified). */
int history_append(struct store *st, const struct history_event *ev, struct err *err);

/* The sequence of activations as a stack, replayed from the history (see specs/store.md
 * "Rollback target"), reconciled with `current`. Returns heap strings in *stack (bottom
 * first, *n entries), caller frees each and the array. */
int history_activation_stack(const struct history *h, const char *current, char ***stack, size_t *n,
                             struct err *err);

/* The position of the latest install event of `version` (its seq), 0 when none. */
uint64_t history_install_seq(const struct history *h, const char *version);

#endif
