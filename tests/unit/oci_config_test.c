#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/oci/image.h"
#include "release/oci/layout.h"

#include <string.h>

static const char base_config[] =
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"app\","
    "\"Env\":[\"PATH=/usr/bin\",\"PORT=1\",\"LANG=C\"],\"Entrypoint\":[\"docker-entrypoint.sh\"],"
    "\"Cmd\":[\"node\"],\"ExposedPorts\":{\"80/tcp\":{}},\"Labels\":{\"maintainer\":\"x\","
    "\"org.opencontainers.image.version\":\"base\"}},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:aa\"]},"
    "\"history\":[{\"created_by\":\"base\"}]}";

static struct manifest m = {.app = "demo",
                            .version = "1.0.0",
                            .serial = 7,
                            .commit = "",
                            .build_time = "2026-11-25T06:00:00Z"};
static char *web_argv[] = {"node", "server.js", NULL};
static char *web_env[] = {"NODE_ENV=production", "PORT=8080", "HOSTNAME=0.0.0.0", NULL};
static const struct oci_service services[] = {
    {.name = "web", .argv = web_argv, .envp = web_env, .workdir = "/srv/demo/x", .port = 8080},
};
static const struct oci_export x = {
    .m = &m, .archive_blake2b = "ab", .services = services, .n_services = 1, .main = 0};

static json_object *apply(size_t base_layers, int *rc, struct err *err)
{
	json_object *c = NULL;

	cr_assert_eq(oci_json_parse(base_config, strlen(base_config), "config", &c, err), 0, "%s",
	             err->msg);
	*rc = oci_config_apply(c, &x, "sha256:bb", "sha256:cc", base_layers, err);
	return c;
}

static const char *text(json_object *c, const char *path)
{
	json_object *o = c;
	char buf[128], *save = NULL;

	strcpy(buf, path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

Test(oci_config, runs_the_service_and_keeps_what_the_base_set)
{
	struct err err;
	int rc;
	json_object *c = apply(1, &rc, &err);

	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_str_eq(text(c, "config.Env"), "[\"PATH=\\/usr\\/bin\",\"PORT=8080\",\"LANG=C\","
	                                        "\"NODE_ENV=production\",\"HOSTNAME=0.0.0.0\"]");
	cr_assert_null(text(c, "config.Entrypoint"),
	               "the base's entrypoint would wrap the command");
	cr_assert_str_eq(text(c, "config.Cmd"), "[\"node\",\"server.js\"]");
	cr_assert_str_eq(text(c, "config.ExposedPorts"), "{\"8080\\/tcp\":{}}");
	cr_assert_str_eq(text(c, "config.StopSignal"), "\"SIGTERM\"");
	cr_assert_str_eq(text(c, "config.User"), "\"app\"");
	cr_assert_str_eq(text(c, "config.Labels.maintainer"), "\"x\"");
	cr_assert_str_eq(text(c, "created"), "\"2026-11-25T06:00:00Z\"");
	cr_assert_str_eq(text(c, "rootfs.diff_ids"), "[\"sha256:aa\",\"sha256:cc\"]");
	cr_assert_eq(json_object_array_length(json_object_object_get(c, "history")), 2);
	json_object_put(c);
}

Test(oci_config, our_labels_replace_the_base_s)
{
	struct err err;
	int rc;
	json_object *c = apply(1, &rc, &err), *labels, *v;

	cr_assert_eq(rc, 0, "%s", err.msg);
	json_object_object_get_ex(json_object_object_get(c, "config"), "Labels", &labels);
	cr_assert(json_object_object_get_ex(labels, "org.opencontainers.image.version", &v));
	cr_assert_str_eq(json_object_get_string(v), "1.0.0");
	cr_assert(json_object_object_get_ex(labels, "dev.slipway.serial", &v));
	cr_assert_str_eq(json_object_get_string(v), "7");
	cr_assert(!json_object_object_get_ex(labels, "org.opencontainers.image.revision", &v),
	          "no revision without a commit");
	json_object_put(c);
}

Test(oci_config, refuses_a_base_whose_layers_do_not_match)
{
	struct err err;
	int rc;
	json_object *c = apply(2, &rc, &err);

	cr_assert_eq(rc, -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert(strstr(err.msg, "lists 1 layers, its manifest 2"), "%s", err.msg);
	json_object_put(c);
}
