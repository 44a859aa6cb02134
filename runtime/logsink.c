#include "runtime/logsink.h"

static const char *const colors[] = {"\033[36m", "\033[32m", "\033[35m", "\033[33m", "\033[34m"};

void logsink_line(struct logsink *ls, const char *name, unsigned color, const char *text,
                  size_t len)
{
	if (ls->color)
		fprintf(ls->out, "%s%-*s |\033[0m %.*s\n", colors[color % 5], ls->width, name,
		        (int)len, text);
	else
		fprintf(ls->out, "%-*s | %.*s\n", ls->width, name, (int)len, text);
	fflush(ls->out);
}

void logsink_vsay(struct logsink *ls, const char *fmt, va_list ap)
{
	char buf[2048];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if (ls->color)
		fprintf(ls->out, "\033[1m%-*s |\033[0m %s\n", ls->width, "slipway", buf);
	else
		fprintf(ls->out, "%-*s | %s\n", ls->width, "slipway", buf);
	fflush(ls->out);
}

void logsink_fmt_ms(uint64_t ms, char *buf, size_t cap)
{
	if (ms % 60000 == 0 && ms >= 60000)
		snprintf(buf, cap, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, cap, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, cap, "%.1fs", (double)ms / 1000.0);
}
