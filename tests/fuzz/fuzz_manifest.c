/* libFuzzer target: manifest_parse on untrusted bytes. A manifest that parses must serialise,
 * and its canonical form must parse again to the same canonical form. */
#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL, *again = NULL;
	struct err err;
	char *json = NULL, *json2 = NULL;
	size_t len = 0, len2 = 0;

	if (manifest_parse((const char *)data, size, &m, &err) < 0)
		return 0;
	if (manifest_to_json(m, &json, &len, &err) < 0)
		abort();
	if (manifest_parse(json, len, &again, &err) < 0)
		abort();
	if (manifest_to_json(again, &json2, &len2, &err) < 0 || len != len2 ||
	    memcmp(json, json2, len))
		abort();
	manifest_free(m);
	manifest_free(again);
	free(json);
	free(json2);
	return 0;
}
