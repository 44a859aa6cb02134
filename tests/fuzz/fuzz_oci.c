/* libFuzzer target: a base image's JSON documents (untrusted: they may come from any
 * registry) through what export-oci does with them: the strict parse, descriptor parsing of
 * "config" and "layers", and the config rewrite. A config that was rewritten must serialise
 * and parse again, and rewriting must be deterministic. */
#include "release/base/error.h"
#include "release/oci/image.h"
#include "release/oci/layout.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct manifest m = {.app = "demo",
                            .version = "1.0.0",
                            .serial = 1,
                            .commit = "",
                            .build_time = "2026-11-25T06:00:00Z"};
static char *argv_[] = {"node", "server.js", NULL};
static char *env_[] = {"PORT=8080", "HOSTNAME=0.0.0.0", NULL};
static const struct oci_service svc = {
    .name = "web", .argv = argv_, .envp = env_, .workdir = "/srv/demo", .port = 8080};
static const struct oci_export x = {
    .m = &m, .archive_blake2b = "00", .services = &svc, .n_services = 1, .main = 0};

static char *rewrite(const uint8_t *data, size_t size)
{
	json_object *doc = NULL, *v, *again = NULL;
	struct oci_desc d;
	struct err err;
	char *text = NULL;
	size_t len = 0, layers = 0;

	if (oci_json_parse((const char *)data, size, "doc", &doc, &err) < 0)
		return NULL;
	if (json_object_object_get_ex(doc, "config", &v))
		oci_desc_parse(v, "config", &d, &err);
	if (json_object_object_get_ex(doc, "layers", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (oci_desc_parse(json_object_array_get_idx(v, i), "layer", &d, &err) == 0)
				layers++;
	if (json_object_object_get_ex(doc, "rootfs", &v) &&
	    json_object_object_get_ex(v, "diff_ids", &v) && json_object_is_type(v, json_type_array))
		layers = json_object_array_length(v);
	if (oci_config_apply(doc, &x, "sha256:00", "sha256:11", layers, &err) == 0) {
		text = oci_json_text(doc, &len);
		if (!text || oci_json_parse(text, len, "again", &again, &err) < 0)
			abort();
		json_object_put(again);
	}
	json_object_put(doc);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = rewrite(data, size), *b = a ? rewrite(data, size) : NULL;

	if (a && (!b || strcmp(a, b)))
		abort();
	free(a);
	free(b);
	return 0;
}
