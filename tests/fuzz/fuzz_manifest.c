/* libFuzzer target: manifest_parse on untrusted bytes. It must agree with
 * manifest_parse_json_c (every "files" element through json-c): the same verdict, the same
 * error, the same manifest. A manifest that parses must serialise, and its canonical form
 * must parse again to the same canonical form. */
#include "release/base/error.h"
#include "release/manifest/manifest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL, *again = NULL, *slow = NULL;
	struct err err = {0}, slow_err = {0};
	char *json = NULL, *json2 = NULL, *json3 = NULL;
	size_t len = 0, len2 = 0, len3 = 0;
	int r = manifest_parse((const char *)data, size, &m, &err);

	if (manifest_parse_json_c((const char *)data, size, &slow, &slow_err) != r)
		abort();
	if (r < 0) {
		if (strcmp(err.msg, slow_err.msg))
			abort();
		return 0;
	}
	if (manifest_to_json(m, &json, &len, &err) < 0)
		abort();
	if (manifest_to_json(slow, &json3, &len3, &err) < 0 || len != len3 ||
	    memcmp(json, json3, len))
		abort();
	if (manifest_parse(json, len, &again, &err) < 0)
		abort();
	if (manifest_to_json(again, &json2, &len2, &err) < 0 || len != len2 ||
	    memcmp(json, json2, len))
		abort();
	manifest_free(m);
	manifest_free(again);
	manifest_free(slow);
	free(json);
	free(json2);
	free(json3);
	return 0;
}
