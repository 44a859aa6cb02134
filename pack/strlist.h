/* A growable list of heap strings, owned by the list. */
#ifndef SLIPWAY_PACK_STRLIST_H
#define SLIPWAY_PACK_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v; /* n strings, then a NULL */
	size_t n;
	size_t cap;
};

/* Appends a copy of s. Returns 0, or -1 when out of memory. */
int strlist_push(struct strlist *l, const char *s);
/* Appends s itself; the list takes ownership (freed on failure too). */
int strlist_push_owned(struct strlist *l, char *s);
/* 1 when the list holds a string equal to s. */
int strlist_has(const struct strlist *l, const char *s);
/* Frees every string and resets the list to empty. */
void strlist_clear(struct strlist *l);
/* Sorts the strings by strcmp. */
void strlist_sort(struct strlist *l);

#endif
