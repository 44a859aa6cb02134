/* libFuzzer target: the shared/env parser (runtime/envfile.c) on arbitrary bytes. Checks
 * that every parsed key is well formed and that a failure never echoes input text. */
#include "release/base/error.h"
#include "runtime/envfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envfile env;
	struct err err;

	if (envfile_parse((const char *)data, size, &env, &err) == 0) {
		for (size_t i = 0; i < env.n; i++) {
			const char *k = env.vars[i].key;

			if (!*k || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			                     "0123456789_") != strlen(k))
				abort();
			if (envfile_get(&env, k) == NULL)
				abort();
		}
		envfile_release(&env);
	} else if (strncmp(err.msg, "line ", 5) != 0 && strcmp(err.msg, "out of memory") != 0) {
		abort();
	}
	return 0;
}
