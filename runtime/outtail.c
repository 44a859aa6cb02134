#include "runtime/outtail.h"
#include "release/base/escape.h"

#include <string.h>

void outtail_reset(struct outtail *t)
{
	t->n = 0;
	t->head = 0;
}

static char *next_slot(struct outtail *t)
{
	char *slot;

	if (t->n < OUTTAIL_LINES)
		return t->line[(t->head + t->n++) % OUTTAIL_LINES];
	slot = t->line[t->head];
	t->head = (t->head + 1) % OUTTAIL_LINES;
	return slot;
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

void outtail_add(struct outtail *t, const char *text, size_t len)
{
	if (blank(text, len))
		return;
	esc_text(next_slot(t), OUTTAIL_LINE_MAX + 1, text, len);
}

const char *outtail_line(const struct outtail *t, unsigned i)
{
	return i < t->n ? t->line[(t->head + i) % OUTTAIL_LINES] : "";
}

/* Safe as it is: escaping it changes nothing but doubling each backslash. */
static int is_safe(const char *s)
{
	char buf[2 * OUTTAIL_LINE_MAX + 2];
	size_t len = strlen(s), j = 0;

	if (len > OUTTAIL_LINE_MAX || esc_text(buf, sizeof(buf), s, len) >= sizeof(buf))
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[j++] != s[i])
			return 0;
		if (s[i] == '\\' && buf[j++] != '\\')
			return 0;
	}
	return buf[j] == '\0';
}

void outtail_add_escaped(struct outtail *t, const char *text)
{
	size_t len = strlen(text);

	if (blank(text, len))
		return;
	if (is_safe(text))
		memcpy(next_slot(t), text, len + 1);
	else
		esc_text(next_slot(t), OUTTAIL_LINE_MAX + 1, text, len);
}
