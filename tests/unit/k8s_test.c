#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/oci/k8s.h"

#include <stdlib.h>
#include <string.h>

static char *req[] = {"API_KEY"}, *opt[] = {"EXTRA"};
static char *web_argv[] = {"node", "server.js", NULL}, *agent_argv[] = {"python3", "a.py", NULL};
static char *web_env[] = {"PORT=8080",
                          "NOTE=say \"hi\"\\\nline\xc2\x85"
                          "x\xe2\x80\xa8y\x7f",
                          NULL};
static char *agent_env[] = {"SLIPWAY_SERVICE=agent", NULL};

static struct manifest m = {.app = "Med_App.v2",
                            .version = "1.0.0+b1",
                            .serial = 3,
                            .secrets_required = req,
                            .n_secrets_required = 1,
                            .secrets_optional = opt,
                            .n_secrets_optional = 1};
static struct oci_service services[] = {
    {.name = "web",
     .argv = web_argv,
     .envp = web_env,
     .workdir = "/w",
     .port = 8080,
     .ready = READY_HTTP,
     .ready_path = "/health",
     .stop_timeout_ms = 30000},
    {.name = "agent",
     .argv = agent_argv,
     .envp = agent_env,
     .workdir = "/a",
     .stop_timeout_ms = 1800001},
};

static char *yaml_of(const struct manifest *of)
{
	struct oci_k8s k = {
	    .m = of, .image = "img@sha256:00", .services = services, .n_services = 2, .main = 0};
	struct err err;
	char *out = NULL;
	size_t len;

	cr_assert_eq(oci_k8s_yaml(&k, &out, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(out), len);
	return out;
}

static char *yaml(void)
{
	return yaml_of(&m);
}

/* How many times `needle` occurs in `hay`. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* m with its web service a Next.js server: the manifest lists www/.next/BUILD_ID. */
static struct manifest_service next_services[] = {{.name = "web", .cwd = "www"},
                                                  {.name = "agent", .cwd = "agent"}};
static struct manifest_file next_files[] = {
    {.path = "www/.next/BUILD_ID", .type = MANIFEST_FILE, .size = 21, .mode = 0644}};

static struct manifest nextjs(void)
{
	struct manifest n = m;

	n.services = next_services;
	n.n_services = 2;
	n.files = next_files;
	n.n_files = 1;
	return n;
}

#define KEY_REF                                                                                    \
	"- name: \"NEXT_SERVER_ACTIONS_ENCRYPTION_KEY\"\n              valueFrom:\n"               \
	"                secretKeyRef:\n                  name: \"med-app-v2-secrets\"\n"          \
	"                  key: \"NEXT_SERVER_ACTIONS_ENCRYPTION_KEY\"\n"                          \
	"                  optional: true\n"

Test(k8s, quotes_what_yaml_would_read_otherwise)
{
	char *y = yaml();

	cr_assert(strstr(y, "value: \"say \\\"hi\\\"\\\\\\x0aline\\x85x\\u2028y\\x7f\"\n"), "%s",
	          y);
	free(y);
}

Test(k8s, names_objects_after_app_and_service_in_dns_form)
{
	char *y = yaml();

	cr_assert(strstr(y, "  name: \"med-app-v2-web\"\n"), "%s", y);
	cr_assert(strstr(y, "  name: \"med-app-v2-agent\"\n"), "%s", y);
	cr_assert(strstr(y, "name: \"med-app-v2-secrets\"\n"), "%s", y);
	cr_assert(!strstr(y, "app.kubernetes.io/version"), "1.0.0+b1 is no label value");
	free(y);
}

Test(k8s, drain_time_rounds_up_and_the_default_service_s_variables_are_blanked)
{
	char *y = yaml(), *agent = strstr(y, "name: \"med-app-v2-agent\"");

	cr_assert(strstr(y, "terminationGracePeriodSeconds: 30\n"));
	cr_assert(agent && strstr(agent, "terminationGracePeriodSeconds: 1801\n"), "%s", y);
	cr_assert(strstr(agent, "- name: \"PORT\"\n              value: \"\"\n"), "%s", agent);
	cr_assert(!strstr(agent, "readinessProbe"));
	cr_assert(strstr(agent, "key: \"EXTRA\"\n                  optional: true\n"), "%s", agent);
	free(y);
}

Test(k8s, refuses_names_kubernetes_cannot_take)
{
	struct manifest m2 = m;
	struct oci_service two[] = {services[0], services[0]};
	struct oci_k8s k = {.m = &m2, .services = services, .n_services = 1};
	struct err err;

	m2.app = "9lives";
	cr_assert_eq(oci_k8s_check(&k, &err), -1);
	cr_assert(strstr(err.msg, "not a DNS label"), "%s", err.msg);
	m2.app = "ok";
	two[1].name = "web";
	two[0].name = "w_b";
	two[1].name = "w-b";
	k.services = two;
	k.n_services = 2;
	cr_assert_eq(oci_k8s_check(&k, &err), -1);
	cr_assert(strstr(err.msg, "both become"), "%s", err.msg);
}

Test(k8s, image_ref_pins_the_digest_and_keeps_only_a_docker_tag)
{
	char *a = oci_k8s_image_ref(NULL, "MediAI", "1.0.0", "sha256:ab");
	char *b = oci_k8s_image_ref("reg.example/x", "MediAI", "1.0.0+b1", "sha256:ab");

	cr_assert_str_eq(a, "mediai:1.0.0@sha256:ab");
	cr_assert_str_eq(b, "reg.example/x@sha256:ab");
	free(a);
	free(b);
}

/* The image has no Server Actions key and replicas must share one: a Next.js service takes it
 * from the Secret (optional), another service does not, nor one that is not Next.js. */
Test(k8s, a_nextjs_service_takes_the_action_key_from_the_secret)
{
	struct manifest n = nextjs();
	char *y = yaml_of(&n), *agent = strstr(y, "name: \"med-app-v2-agent\"");
	char *plain = yaml();

	cr_assert_not_null(agent);
	cr_assert_eq(count(y, KEY_REF), 1, "%s", y);
	cr_assert(strstr(y, KEY_REF) < agent, "the key went to the agent: %s", y);
	cr_assert(strstr(y, "# Next.js reads NEXT_SERVER_ACTIONS_ENCRYPTION_KEY from it too"), "%s",
	          y);
	cr_assert(!strstr(plain, "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY"), "%s", plain);
	free(y);
	free(plain);
}

/* Passed already by the manifest (a secret, or the service's environment): not twice. */
Test(k8s, the_action_key_the_manifest_passes_is_not_added_again)
{
	static char *opt_key[] = {"NEXT_SERVER_ACTIONS_ENCRYPTION_KEY"};
	static char *env_key[] = {"NEXT_SERVER_ACTIONS_ENCRYPTION_KEY=fixed", NULL};
	struct manifest n = nextjs();
	char *y;

	n.secrets_optional = opt_key;
	y = yaml_of(&n);
	cr_assert_eq(count(y, "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY\"\n"), 4,
	             "a reference in each Deployment, from the manifest's secrets: %s", y);
	cr_assert(!strstr(y, "# Next.js reads"), "%s", y);
	free(y);
	n = nextjs();
	services[0].envp = env_key;
	y = yaml_of(&n);
	services[0].envp = web_env;
	cr_assert_eq(count(y, "secretKeyRef:\n                  name: \"med-app-v2-secrets\"\n"
	                      "                  key: \"NEXT_SERVER_ACTIONS_ENCRYPTION_KEY"),
	             0, "%s", y);
	free(y);
}
