/* libFuzzer target: slipway.ini parsing (untrusted project input) and finishing (no
 * detection), plus rendering the result and reading the rendering again, which must succeed
 * (--print-config's output is a valid slipway.ini). */
#include "pack/config.h"
#include "release/base/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pack_config cfg, again;
	struct err err;
	char *text;

	config_init(&cfg);
	if (config_parse((const char *)data, size, "fuzz.ini", &cfg, &err) == 0 &&
	    config_finish(&cfg, &err) == 0 && cfg.app) {
		text = config_to_ini(&cfg);
		if (text) {
			config_init(&again);
			/* A single quoted word near libinih's line limit may not fit once
			 * re-quoted; anything else must parse back. */
			if ((config_parse(text, strlen(text), "again.ini", &again, &err) != 0 ||
			     config_finish(&again, &err) != 0) &&
			    !strstr(err.msg, "line longer than"))
				abort();
			config_release(&again);
			free(text);
		}
	}
	config_release(&cfg);
	return 0;
}
