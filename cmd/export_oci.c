/* slipway export-oci ARCHIVE -p PUBFILE --base LAYOUT[:TAG] -o LAYOUT (specs/oci.md). */
#include "cmd/cmd.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/oci/k8s.h"
#include "release/oci/oci.h"
#include "release/sig/minisign.h"
#include "release/store/verified.h"
#include "runtime/svcspec.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD "export-oci"

static const char usage_text[] =
    "usage: slipway export-oci ARCHIVE -p PUBFILE --base LAYOUT[:TAG] -o LAYOUT [--tag TAG]\n"
    "                          [--service NAME] [--k8s FILE] [--k8s-image NAME] [-x SIGFILE]\n"
    "                          [--max-entries N] [--max-bytes N] [--max-ratio N]\n"
    "\n"
    "Verifies ARCHIVE exactly as `slipway install` does, then writes it as an OCI image:\n"
    "the base image's layers plus one layer holding the release at\n"
    "/srv/<app>/releases/<version> (and the link /srv/<app>/current), configured to run\n"
    "one service. The same archive on the same base gives the same image digest.\n"
    "Nothing is written when the archive is refused.\n"
    "\n"
    "  -p, --pubkey PUBFILE    trusted public key (minisign format), required\n"
    "  -x, --sig SIGFILE       the signature (default: ARCHIVE.minisig)\n"
    "      --base LAYOUT[:TAG] the base image, in an OCI image layout directory (e.g. from\n"
    "                          skopeo copy docker://node:22-bookworm-slim oci:base:22);\n"
    "                          without TAG the layout must hold exactly one image\n"
    "  -o, --output LAYOUT     the OCI image layout to write into (created if missing)\n"
    "  -t, --tag TAG           the new image's tag (default: the release version)\n"
    "      --service NAME      the service the image runs (default: the one with a port)\n"
    "      --k8s FILE          also write Kubernetes YAML: a Deployment per service, a\n"
    "                          Service per service with a port\n"
    "      --k8s-image NAME    the image's name in your registry, for the YAML's image:\n"
    "                          fields (default: the app's name); the digest is "
    "pinned\n" CMD_LIMITS_HELP "  -h, --help              show this help\n"
    "\n"
    "Other services run from the same image with their command, working directory and\n"
    "environment (label dev.slipway.services; the --k8s YAML does this).\n"
    "\n"
    "Exit status: 0 exported, 1 the archive or the base image was refused, 2 usage,\n"
    "3 system error.\n";

struct export_cmd {
	const char *archive, *pub_path, *sig_path, *base, *out, *tag, *service, *k8s, *k8s_image;
	struct extract_limits limits;
	char *base_layout; /* LAYOUT of --base */
	const char *base_ref;
	struct minisign_pubkey pk;
	struct verified_archive v;
	char staging[4096];
	int stagingfd;
	pid_t child;      /* the process doing the work, in the parent */
	int child_signal; /* the signal that ended it, 0 if none */
	bool out_existed; /* whether -o existed before the work started */
	struct svc_spec *specs;
	struct oci_service *services;
	size_t n;
	char *release_dir;
};

static int parse_args(struct export_cmd *c, int argc, char **argv)
{
	const char *entries = NULL, *bytes = NULL, *ratio = NULL;
	const struct cmd_option opts[] = {
	    {"pubkey", 'p', NULL, &c->pub_path}, {"sig", 'x', NULL, &c->sig_path},
	    {"base", 0, NULL, &c->base},         {"output", 'o', NULL, &c->out},
	    {"tag", 't', NULL, &c->tag},         {"service", 0, NULL, &c->service},
	    {"k8s", 0, NULL, &c->k8s},           {"k8s-image", 0, NULL, &c->k8s_image},
	    {"max-entries", 0, NULL, &entries},  {"max-bytes", 0, NULL, &bytes},
	    {"max-ratio", 0, NULL, &ratio},      {0},
	};
	struct cmd_parse p = {.cmd = CMD, .usage = usage_text, .opts = opts, .args = "archive"};
	struct err err;
	char *colon;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit == EXIT_OK ? -1 : p.exit; /* -1: --help was printed */
	c->archive = p.operands[0];
	if ((entries &&
	     cmd_count(CMD, "--max-entries", entries, 1, UINT64_MAX, &c->limits.max_entries) < 0) ||
	    (bytes &&
	     cmd_count(CMD, "--max-bytes", bytes, 1, UINT64_MAX, &c->limits.max_bytes) < 0) ||
	    (ratio &&
	     cmd_count(CMD, "--max-ratio", ratio, 1, UINT64_MAX, &c->limits.max_ratio) < 0))
		return EXIT_USAGE;
	if (!c->pub_path)
		return cmd_usage_error(CMD, "no public key given: pass -p PUBFILE");
	if (!c->base || !*c->base)
		return cmd_usage_error(CMD, "no base image given: pass --base LAYOUT[:TAG]");
	if (!c->out || !*c->out)
		return cmd_usage_error(CMD, "no output given: pass -o LAYOUT");
	if (c->tag && oci_tag_check(c->tag, &err) < 0)
		return cmd_usage_error(CMD, "--tag: %s", err.msg);
	if (c->k8s_image && !c->k8s)
		return cmd_usage_error(CMD, "--k8s-image needs --k8s FILE");
	if (c->k8s_image && oci_k8s_image_name_check(c->k8s_image, &err) < 0)
		return cmd_usage_error(CMD, "%s", err.msg);
	/* LAYOUT:TAG as skopeo's oci: transport splits it: at the first ':'. */
	c->base_layout = strdup(c->base);
	if (!c->base_layout)
		return cmd_fail(CMD, EXIT_FAIL, "out of memory");
	if ((colon = strchr(c->base_layout, ':'))) {
		*colon = '\0';
		c->base_ref = colon + 1;
		if (oci_tag_check(c->base_ref, &err) < 0)
			return cmd_usage_error(CMD, "--base: %s", err.msg);
	}
	if (!*c->base_layout)
		return cmd_usage_error(CMD, "--base: no layout directory before ':'");
	return EXIT_OK;
}

static int load_key(struct export_cmd *c)
{
	struct err err;

	if (minisign_pubkey_load(c->pub_path, &c->pk, NULL, NULL, &err) < 0)
		return cmd_error(CMD, &err);
	return EXIT_OK;
}

/* The private directory (0700) that receives the verified tree: $TMPDIR, else /tmp. */
static int make_staging(struct export_cmd *c)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(c->staging, sizeof(c->staging), "%s/slipway-export.XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(c->staging)) {
		c->staging[0] = '\0';
		return cmd_fail(CMD, EXIT_FAIL, "cannot create a directory in %s: %s",
		                tmp && *tmp ? tmp : "/tmp", strerror(errno));
	}
	c->stagingfd = open(c->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->stagingfd < 0)
		return cmd_fail(CMD, EXIT_FAIL, "cannot open %s: %s", c->staging, strerror(errno));
	return EXIT_OK;
}

/* install's checks, into the private directory. */
static int verify(struct export_cmd *c)
{
	struct keyring kr;
	struct err err;

	keyring_implicit(&c->pk, &kr);
	if (verified_open(&c->v, c->archive, c->sig_path, &kr, &err) < 0 ||
	    verified_read_manifest(&c->v, &c->limits, &err) < 0 ||
	    verified_unpack(&c->v, c->stagingfd, &err) < 0)
		return cmd_error(CMD, &err);
	return EXIT_OK;
}

/* The service the image runs: --service, else the only one with a port, else the first. */
static int pick_service(struct export_cmd *c, size_t *run)
{
	const struct manifest *m = c->v.m;
	size_t with_port = 0, first_port = 0;

	if (m->n_services == 0)
		return cmd_fail(CMD, EXIT_NO, "%s defines no service: nothing for the image to run",
		                c->archive);
	if (c->service) {
		for (size_t i = 0; i < m->n_services; i++)
			if (!strcmp(m->services[i].name, c->service)) {
				*run = i;
				return EXIT_OK;
			}
		fprintf(stderr,
		        "slipway: " CMD ": --service %s: %s %s has no such service; it has:",
		        c->service, m->app, m->version);
		for (size_t i = 0; i < m->n_services; i++)
			fprintf(stderr, " %s", m->services[i].name);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	for (size_t i = m->n_services; i-- > 0;)
		if (m->services[i].port > 0) {
			with_port++;
			first_port = i;
		}
	if (with_port > 1)
		return cmd_usage_error(CMD,
		                       "%zu services of %s have a port: choose one with --service",
		                       with_port, m->app);
	*run = with_port ? first_port : 0;
	return EXIT_OK;
}

/* Each service as `slipway run` would launch it from the release's place in the image,
 * without the store's environment file and without slipway's own environment. */
static int launch_specs(struct export_cmd *c)
{
	const struct manifest *m = c->v.m;
	struct err err;

	c->release_dir = oci_release_dir(m->app, m->version);
	c->specs = calloc(m->n_services, sizeof(*c->specs));
	c->services = calloc(m->n_services, sizeof(*c->services));
	if (!c->release_dir || !c->specs || !c->services)
		return cmd_fail(CMD, EXIT_FAIL, "out of memory");
	for (; c->n < m->n_services; c->n++) {
		struct svc_spec *s = &c->specs[c->n];

		if (svc_spec_build(&m->services[c->n], c->release_dir, m->version, NULL, NULL, s,
		                   &err) < 0)
			return cmd_error(CMD, &err);
		c->services[c->n] = (struct oci_service){
		    .name = s->name,
		    .argv = s->argv,
		    .envp = s->envp,
		    .workdir = s->cwd,
		    .port = s->port,
		    .ready = s->ready,
		    .ready_path = s->ready_path,
		    .ready_timeout_ms = s->ready_timeout_ms,
		    .stop_timeout_ms = s->stop_timeout_ms,
		};
	}
	return EXIT_OK;
}

static int write_k8s(struct export_cmd *c, struct oci_k8s *k, const char *tag, const char *digest)
{
	struct err err;
	char *image, *yaml = NULL;
	size_t len = 0;
	int rc = EXIT_OK;

	image = oci_k8s_image_ref(c->k8s_image, c->v.m->app, tag, digest);
	if (!image)
		return cmd_fail(CMD, EXIT_FAIL, "out of memory");
	k->image = image;
	if (oci_k8s_yaml(k, &yaml, &len, &err) < 0 ||
	    write_file_atomic(AT_FDCWD, c->k8s, yaml, len, 0644, 0, &err) < 0) {
		fail_prefix(&err, "%s (the image was written)", c->k8s);
		rc = cmd_error(CMD, &err);
	}
	free(yaml);
	free(image);
	return rc;
}

static int export(struct export_cmd *c)
{
	const struct manifest *m;
	struct oci_export x;
	struct oci_result res;
	struct oci_k8s k = {0};
	struct err err;
	size_t run = 0;
	int rc;

	if ((rc = verify(c)) != EXIT_OK)
		return rc;
	m = c->v.m;
	if ((rc = pick_service(c, &run)) != EXIT_OK || (rc = launch_specs(c)) != EXIT_OK)
		return rc;
	if (!c->tag && oci_tag_check(m->version, &err) < 0)
		return cmd_usage_error(CMD, "version %s is not a usable tag: pass --tag TAG",
		                       m->version);
	k = (struct oci_k8s){.m = m, .services = c->services, .n_services = c->n, .main = run};
	if (c->k8s && oci_k8s_check(&k, &err) < 0) {
		fail_prefix(&err, "--k8s");
		return cmd_error(CMD, &err);
	}
	x = (struct oci_export){
	    .base_layout = c->base_layout,
	    .base_ref = c->base_ref,
	    .out_layout = c->out,
	    .tag = c->tag ? c->tag : m->version,
	    .m = m,
	    .treefd = c->stagingfd,
	    .archive_blake2b = c->v.hash_hex,
	    .services = c->services,
	    .n_services = c->n,
	    .main = run,
	};
	if (oci_export_image(&x, &res, &err) < 0)
		return cmd_error(CMD, &err);
	if (c->k8s && (rc = write_k8s(c, &k, x.tag, res.digest)) != EXIT_OK)
		return rc;
	printf("image: oci:%s:%s\n", c->out, x.tag);
	printf("digest: %s\n", res.digest);
	printf("service: %s\n", c->services[run].name);
	printf("release: %s %s (serial %llu) at %s\n", m->app, m->version,
	       (unsigned long long)m->serial, c->release_dir);
	if (c->k8s)
		printf("kubernetes: %s\n", c->k8s);
	return EXIT_OK;
}

static volatile sig_atomic_t forward_to;

static void forward(int sig)
{
	if (forward_to > 0)
		kill((pid_t)forward_to, sig);
}

/* After a child killed by a signal: its temporary blobs, and a layout it created but never
 * finished (no index.json; taken only when nobody else holds its lock). */
static void sweep_output(struct export_cmd *c)
{
	char prefix[64], path[4200];
	struct dirent *e;
	DIR *d;
	int fd;

	snprintf(prefix, sizeof(prefix), ".tmp-slipway-%ld-", (long)c->child);
	snprintf(path, sizeof(path), "%s/blobs/sha256", c->out);
	if ((d = opendir(path))) {
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, prefix, strlen(prefix)))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	if (c->out_existed || (fd = open(c->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    faccessat(fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		remove_tree_at(AT_FDCWD, c->out, NULL);
	close(fd);
}

/* The work runs in a child so that SIGINT, SIGTERM or SIGHUP (or a SIGKILL of the child)
 * leave neither the private directory nor temporary blobs behind: the parent forwards the
 * signal, waits, cleans up and then dies of the same signal. Returns in both processes:
 * in the child with c->child == 0 after the work, in the parent with its exit code. */
static int run_interruptible(struct export_cmd *c)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = forward}, old[3];
	sigset_t block, saved;
	int status;

	c->out_existed = access(c->out, F_OK) == 0;
	sigemptyset(&block);
	for (int i = 0; i < 3; i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &saved);
	fflush(NULL);
	c->child = fork();
	if (c->child < 0) {
		sigprocmask(SIG_SETMASK, &saved, NULL);
		return cmd_fail(CMD, EXIT_FAIL, "cannot fork: %s", strerror(errno));
	}
	if (c->child == 0) {
		sigprocmask(SIG_SETMASK, &saved, NULL);
		return export(c);
	}
	forward_to = c->child;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		sigaction(sigs[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN) /* ignored (nohup, `cmd &`): stays ignored */
			sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	while (waitpid(c->child, &status, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	forward_to = 0;
	if (WIFSIGNALED(status)) {
		c->child_signal = WTERMSIG(status);
		sweep_output(c);
		return 128 + c->child_signal;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAIL;
}

int cmd_export_oci(int argc, char **argv)
{
	struct export_cmd c = {.stagingfd = -1, .child = -1};
	int rc;

	extract_limits_default(&c.limits);
	rc = parse_args(&c, argc, argv);
	if (rc < 0) {
		rc = EXIT_OK; /* --help */
		goto out;
	}
	if (rc != EXIT_OK)
		goto out;
	/* Names in the layer are UTF-8 (manifest paths are): libarchive writes them as such
	 * instead of marking them binary. */
	setlocale(LC_CTYPE, "C.UTF-8");
	signal(SIGXFSZ, SIG_IGN);
	if ((rc = load_key(&c)) == EXIT_OK && (rc = make_staging(&c)) == EXIT_OK)
		rc = run_interruptible(&c);
out:
	if (c.staging[0])
		remove_tree_at(AT_FDCWD, c.staging, NULL);
	if (c.stagingfd >= 0)
		close(c.stagingfd);
	for (size_t i = 0; i < c.n; i++)
		svc_spec_release(&c.specs[i]);
	free(c.specs);
	free(c.services);
	free(c.release_dir);
	free(c.base_layout);
	verified_close(&c.v);
	if (c.child == 0) /* the child of run_interruptible: done */
		exit(cmd_check_stdout(rc));
	if (c.child_signal) {
		signal(c.child_signal, SIG_DFL);
		raise(c.child_signal);
	}
	return rc;
}
