/* The manifest's structure, bounded before any JSON tree is built (specs/manifest.md
 * "Encoding"): one lexical pass over the text, in constant memory, that knows the shape of
 * the format. It checks that the document is one object of the allowed keys (required keys
 * present, no key repeated or written with an escape), that every value has the kind its key
 * calls for (so containers appear only where the format has them: nesting is at most four
 * levels), and that no array or object exceeds its count limit. An unknown key or a
 * misplaced container is refused where it starts, so its contents are never walked.
 *
 * What it leaves to the reader (json-c): the exact JSON grammar of strings and numbers,
 * UTF-8 validity, value ranges and every rule on the values themselves. */
#ifndef SLIPWAY_MANIFEST_BOUNDS_H
#define SLIPWAY_MANIFEST_BOUNDS_H

#include "release/base/error.h"

#include <stddef.h>

struct manifest_bounds {
	size_t files_open;  /* offset of the '[' of the top-level "files" array */
	size_t files_close; /* offset of its ']' */
	size_t n_files;     /* number of elements in it */
};

/* Checks `len` bytes of `json` (no NUL byte in them). 0 and *b filled when the structure is
 * within bounds; -1 with a message naming the place ("services[2]: unknown key \"x\"",
 * "manifest: \"files\" has more than 1000000 elements", "manifest: invalid JSON at byte
 * 17: ...") otherwise. */
int manifest_bounds_check(const char *json, size_t len, struct manifest_bounds *b, struct err *err);

/* Writes "NAME[IDX]" into out (cap bytes, cut to fit) without printf: every entry of the
 * manifest gets one, for the messages that may name it. Returns its length. */
size_t manifest_name_index(char *out, size_t cap, const char *name, size_t idx);

#endif
