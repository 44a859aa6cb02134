/* Text that may carry attacker bytes (archive entry names, manifest strings, signed comments)
 * made safe for a terminal or a log line: the one escaping rule of every message.
 *
 * Kept as they are: printable ASCII except '\\', and valid UTF-8 sequences of printable
 * characters. Escaped: '\\' as "\\\\"; '\n', '\r', '\t' as "\\n", "\\r", "\\t"; every other
 * byte of a C0 control, DEL, a C1 control (U+0080..U+009F), a bidirectional or line/paragraph
 * separator format character (U+061C, U+200E-U+200F, U+2028-U+202E, U+2066-U+2069), and every
 * byte that is not part of a valid UTF-8 sequence (overlong forms, surrogates, beyond
 * U+10FFFF, truncated) as "\\xNN". The result has no control byte and is valid UTF-8, so it
 * can neither move the cursor, nor start a new line, nor reorder what follows it. */
#ifndef SLIPWAY_ESCAPE_H
#define SLIPWAY_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Escapes `len` bytes of `s` into `out` (`cap` > 0 bytes, always NUL-terminated). When the
 * escaped text does not fit, it is cut before the escape or character that would not fit.
 * Returns the length of the complete escaped text (which may exceed cap - 1, as snprintf). */
size_t esc_text(char *out, size_t cap, const char *s, size_t len);

/* The escaped form of the NUL-terminated `s`, written to `f`. */
void esc_fputs(const char *s, FILE *f);

#endif
