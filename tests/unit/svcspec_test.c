#include <criterion/criterion.h>

#include "release/base/error.h"
#include "runtime/svcspec.h"

#include <stdlib.h>
#include <string.h>

static struct manifest_service web(void)
{
	static char *argv[] = {"node", "${RELEASE}/server.js", NULL};
	static struct manifest_env env[] = {{"NODE_PATH", "${RELEASE}/lib:${RELEASE}/x"},
	                                    {"NODE_ENV", "production"}};
	struct manifest_service s;

	memset(&s, 0, sizeof(s));
	s.name = "web";
	s.argv = argv;
	s.argc = 2;
	s.cwd = ".next/standalone";
	s.env = env;
	s.n_env = 2;
	s.port = 5000;
	s.ready = READY_HTTP;
	s.ready_path = "/";
	return s;
}

Test(svcspec, expands_release_in_argv_env_and_sets_cwd_port_hostname)
{
	struct manifest_service ms = web();
	char *base[] = {"PATH=/usr/bin",
	                "HOSTNAME=build-box",
	                "NOTIFY_SOCKET=/run/x",
	                "SLIPWAY_PASSWORD=pw",
	                "PORT=1",
	                NULL};
	struct svc_spec s;
	struct err err;

	cr_assert_eq(svc_spec_build(&ms, "/srv/r/releases/1.0", "1.0", NULL, base, &s, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(s.argv[1], "/srv/r/releases/1.0/server.js");
	cr_assert_null(s.argv[2]);
	cr_assert_str_eq(s.cwd, "/srv/r/releases/1.0/.next/standalone");
	cr_assert_str_eq(svc_env_get(s.envp, "NODE_PATH"),
	                 "/srv/r/releases/1.0/lib:/srv/r/releases/1.0/x");
	cr_assert_str_eq(svc_env_get(s.envp, "PATH"), "/usr/bin");
	cr_assert_str_eq(svc_env_get(s.envp, "PORT"), "5000");
	cr_assert_str_eq(svc_env_get(s.envp, "HOSTNAME"), "0.0.0.0", "inherited HOSTNAME ignored");
	cr_assert_null(svc_env_get(s.envp, "NOTIFY_SOCKET"));
	cr_assert_null(svc_env_get(s.envp, "SLIPWAY_PASSWORD"));
	cr_assert_str_eq(svc_env_get(s.envp, "SLIPWAY_RELEASE"), "/srv/r/releases/1.0");
	cr_assert_eq(s.ready_timeout_ms, SVC_DEFAULT_READY_TIMEOUT_MS);
	svc_spec_release(&s);
}

Test(svcspec, shared_env_overrides_manifest_and_sets_hostname)
{
	struct manifest_service ms = web();
	struct envfile env;
	struct svc_spec s;
	struct err err;
	const char *text = "NODE_ENV=staging\nHOSTNAME=127.0.0.1\nJWT_SECRET=s3cret\nPORT=9\n";

	cr_assert_eq(envfile_parse(text, strlen(text), &env, &err), 0);
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", &env, NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_str_eq(svc_env_get(s.envp, "NODE_ENV"), "staging");
	cr_assert_str_eq(svc_env_get(s.envp, "HOSTNAME"), "127.0.0.1");
	cr_assert_str_eq(s.host, "127.0.0.1");
	cr_assert_str_eq(svc_env_get(s.envp, "JWT_SECRET"), "s3cret");
	cr_assert_str_eq(svc_env_get(s.envp, "PORT"), "5000", "the manifest's port wins");
	svc_spec_release(&s);
	envfile_release(&env);
}

Test(svcspec, portless_service_gets_no_port_or_hostname)
{
	struct manifest_service ms = web();
	struct svc_spec s;
	struct err err;
	char *base[] = {"HOSTNAME=box", NULL};

	ms.port = 0;
	ms.ready = READY_NONE;
	ms.cwd = "";
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, base, &s, &err), 0, "%s", err.msg);
	cr_assert_null(svc_env_get(s.envp, "PORT"));
	cr_assert_null(svc_env_get(s.envp, "HOSTNAME"));
	cr_assert_str_eq(s.cwd, "/r");
	svc_spec_release(&s);
}

Test(svcspec, refuses_cwd_outside_release)
{
	struct manifest_service ms = web();
	struct svc_spec s;
	struct err err;

	ms.cwd = "a/../../etc";
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, NULL, &s, &err), -1);
	cr_assert_not_null(strstr(err.msg, "leaves the release"), "%s", err.msg);
}

Test(svcspec, worker_health_port_kill_mode_and_log_readiness)
{
	struct manifest_service ms = web();
	struct svc_spec s;
	struct err err;
	char *base[] = {"SLIPWAY_HEALTH_PORT=9999", NULL};

	ms.port = 0;
	ms.health_port = 8081;
	ms.ready = READY_LOG;
	ms.ready_path = NULL;
	ms.ready_log = "registered worker";
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, base, &s, &err), 0, "%s", err.msg);
	cr_assert_null(svc_env_get(s.envp, "SLIPWAY_HEALTH_PORT"), "never inherited");
	cr_assert_eq(s.health_base, 8081);
	cr_assert_eq(s.kill_mode, KILL_PROCESS, "a worker's default: its main process alone");
	cr_assert_str_eq(s.ready_log, "registered worker");
	cr_assert_eq(svc_spec_set_env(&s, "SLIPWAY_HEALTH_PORT", "8082", &err), 0);
	cr_assert_eq(svc_spec_set_env(&s, "SLIPWAY_HEALTH_PORT", "8083", &err), 0);
	cr_assert_str_eq(svc_env_get(s.envp, "SLIPWAY_HEALTH_PORT"), "8083");
	svc_spec_release(&s);

	ms = web();
	cr_assert_eq(svc_spec_build(&ms, "/r", "v", NULL, NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.kill_mode, KILL_GROUP, "a port service's default: its group");
	cr_assert_eq(s.health_base, 0);
	svc_spec_release(&s);
}

/* A manifest whose only file is `path`, of `type` (stack-owned; not for manifest_free). */
static struct manifest with_file(struct manifest_file *f, const char *path,
                                 enum manifest_file_type type)
{
	struct manifest m;

	memset(&m, 0, sizeof(m));
	memset(f, 0, sizeof(*f));
	f->path = (char *)path;
	f->type = type;
	m.files = f;
	m.n_files = 1;
	return m;
}

#define TEST_ACTION_KEY "GMzemgJnxIfXtXB95GbJv0RqgXxBPcroPMuv6XrKOaI=" /* tests only */

Test(svcspec, nextjs_service_gets_the_store_action_key_unless_the_env_file_sets_it)
{
	struct manifest_service ms = web(), worker = web();
	struct manifest_file f;
	struct manifest m = with_file(&f, ".next/standalone/.next/BUILD_ID", MANIFEST_FILE);
	static const char own[] = "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY=operators-own\n";
	struct envfile env;
	struct svc_spec s;
	struct err err;

	cr_assert(manifest_service_runs_nextjs(&m, &ms));
	cr_assert_eq(svc_spec_build(&ms, "/r", "1", NULL, NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(svc_spec_add_action_key(&s, &m, &ms, NULL, TEST_ACTION_KEY, &err), 0);
	cr_assert_str_eq(svc_env_get(s.envp, NEXT_ACTION_KEY_ENV), TEST_ACTION_KEY);
	svc_spec_release(&s);

	cr_assert_eq(envfile_parse(own, strlen(own), &env, &err), 0, "%s", err.msg);
	cr_assert_eq(svc_spec_build(&ms, "/r", "1", &env, NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(svc_spec_add_action_key(&s, &m, &ms, &env, TEST_ACTION_KEY, &err), 0);
	cr_assert_str_eq(svc_env_get(s.envp, NEXT_ACTION_KEY_ENV), "operators-own");
	svc_spec_release(&s);
	envfile_release(&env);

	/* A service whose cwd holds no Next.js build gets nothing. */
	worker.cwd = "agent";
	cr_assert_not(manifest_service_runs_nextjs(&m, &worker));
	cr_assert_eq(svc_spec_build(&worker, "/r", "1", NULL, NULL, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(svc_spec_add_action_key(&s, &m, &worker, NULL, TEST_ACTION_KEY, &err), 0);
	cr_assert_null(svc_env_get(s.envp, NEXT_ACTION_KEY_ENV));
	svc_spec_release(&s);
}

Test(svcspec, runs_nextjs_needs_a_build_id_file_in_the_service_cwd)
{
	struct manifest_service ms = web();
	struct manifest_file f;
	struct manifest root = with_file(&f, ".next/BUILD_ID", MANIFEST_FILE);

	ms.cwd = "";
	cr_assert(manifest_service_runs_nextjs(&root, &ms), "next start in the release root");
	ms.cwd = ".";
	cr_assert(manifest_service_runs_nextjs(&root, &ms));
	ms.cwd = ".next/standalone";
	cr_assert_not(manifest_service_runs_nextjs(&root, &ms));
	root = with_file(&f, ".next/BUILD_ID", MANIFEST_DIR);
	ms.cwd = "";
	cr_assert_not(manifest_service_runs_nextjs(&root, &ms), "a directory is no build id");
}
