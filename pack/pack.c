#include "pack/pack.h"
#include "pack/provenance.h"
#include "pack/collect.h"
#include "pack/hash.h"
#include "pack/nextjs.h"
#include "pack/nextkey.h"
#include "pack/output.h"
#include "pack/process.h"
#include "pack/pyvendor.h"
#include "pack/drain.h"
#include "pack/release_manifest.h"
#include "pack/version.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"
#include "release/manifest/manifest_digest.h"
#include "release/sig/minisign.h"
#include "release/sig/signing_key.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct pipeline {
	const struct pack_request *rq;
	struct pack_result *res;
	char project[PATH_MAX];
	char outdir[PATH_MAX];
	int project_fd;
	struct pack_config cfg;
	struct project_shape shape;
	char server_dir[1024]; /* the standalone server's directory, or "" (pack/nextjs.h) */
	struct repo_version git;
	struct minisign_seckey key;
	bool have_key;
	char deps_tmp[PATH_MAX]; /* vendored Python deps, outside the project */
	struct pack_tree tree;
	struct strlist action_keys; /* Next.js Server Actions keys removed (pack/nextkey.h) */
	struct manifest *manifest;
	char *manifest_json;
	size_t manifest_len;
	struct output archive, sig;
	char *sig_text;
	struct err *err;
};

static void say(const struct pipeline *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(const struct pipeline *p, const char *fmt, ...)
{
	char line[ERR_MAX];
	va_list ap;

	if (!p->rq->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->rq->say(p->rq->ctx, line);
}

int pack_effective_config(const char *project_dir, struct pack_config *cfg,
                          struct project_shape *shape, struct err *err)
{
	int fd = open(project_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return fail_kind(err, ERR_USAGE, "cannot open the project directory %s: %s",
		                 project_dir, strerror(errno));
	r = config_load(fd, project_dir, cfg, err);
	if (r == 0)
		r = detect_defaults(fd, project_dir, cfg, shape, err);
	close(fd);
	/* Whatever went wrong, the project's configuration is what the user must fix. */
	return r < 0 ? fail_recast(err, ERR_USAGE) : r;
}

static int env_epoch(int64_t *out, struct err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > 253402300799LL)
		return fail_kind(err, ERR_USAGE,
		                 "SOURCE_DATE_EPOCH='%s' is not a Unix time in seconds", s);
	*out = v;
	return 1;
}

/* Version, commit, dirty flag, serial and the archive's timestamp (specs/archive.md). */
static int decide_version(struct pipeline *p)
{
	const struct pack_request *rq = p->rq;
	struct pack_result *res = p->res;
	int64_t sde = 0;
	int have_sde;

	if (repo_version_read(p->project, &p->git, p->err) < 0)
		return -1;
	if (rq->version) {
		if (version_check(rq->version, p->err) < 0) {
			fail_prefix(p->err, "bad --version");
			return fail_recast(p->err, ERR_USAGE);
		}
		snprintf(res->version, sizeof(res->version), "%s", rq->version);
	} else if (!p->git.in_git) {
		fail_kind(p->err, ERR_USAGE,
		          "%s is not in a git work tree, so there is no version to describe: "
		          "pass --version V",
		          p->project);
		return -1;
	} else {
		if (version_check(p->git.describe, p->err) < 0) {
			fail(p->err,
			     "git describe gives '%s', which is not usable as a release version "
			     "(A-Z a-z 0-9 . _ + -): pass --version V",
			     p->git.describe);
			return -1;
		}
		snprintf(res->version, sizeof(res->version), "%s", p->git.describe);
	}
	if (p->git.in_git && p->git.dirty && !rq->allow_dirty) {
		fail(p->err,
		     "the work tree has uncommitted changes to tracked files (%s); commit "
		     "them, or pass --allow-dirty for an experiment",
		     p->git.describe);
		return -1;
	}
	snprintf(res->commit, sizeof(res->commit), "%s", p->git.in_git ? p->git.commit : "");
	res->dirty = p->git.in_git && p->git.dirty;
	have_sde = env_epoch(&sde, p->err);
	if (have_sde < 0)
		return -1;
	if (!have_sde)
		sde = p->git.in_git ? p->git.commit_time : (int64_t)time(NULL);
	res->source_date_epoch = sde;
	if (rq->have_serial)
		res->serial = rq->serial;
	else
		res->serial = (uint64_t)(p->git.in_git ? p->git.commit_time : sde);
	return 0;
}

static int load_key(struct pipeline *p)
{
	if (p->rq->unsigned_)
		return 0;
	if (!signing_key_source(p->rq->key_opt)) {
		fail_kind(p->err, ERR_USAGE,
		          "no signing key: pass -s SECFILE, set $SLIPWAY_SECRET_KEY (a path) or "
		          "$SLIPWAY_SECRET_KEY_DATA (the key), or pass --unsigned for a local "
		          "experiment");
		return -1;
	}
	if (signing_key_load(p->rq->key_opt, &p->key, p->err) < 0)
		return fail_recast(p->err, ERR_REFUSED);
	p->have_key = true;
	return 0;
}

static int build(struct pipeline *p)
{
	char version[300], serial[64], deployment[300];
	char *env[] = {"NEXT_TELEMETRY_DISABLED=1", version, serial, deployment, NULL};
	int r;

	if (p->rq->no_build || !p->cfg.build || !*p->cfg.build)
		return 0;
	/* The build may stamp the release it is building (the example app shows it). */
	snprintf(version, sizeof(version), "SLIPWAY_VERSION=%s", p->res->version);
	snprintf(serial, sizeof(serial), "SLIPWAY_SERIAL=%llu", (unsigned long long)p->res->serial);
	snprintf(deployment, sizeof(deployment), NEXT_DEPLOYMENT_ID_ENV "=%s", p->res->version);
	say(p, "building: %s", p->cfg.build);
	r = pack_run_command_line(p->project, p->cfg.build, env, p->err);
	if (r < 0) {
		fail_prefix(p->err, "build failed");
		return -1;
	}
	return 0;
}

static int vendor_python(struct pipeline *p)
{
	const char *tmp = getenv("TMPDIR");
	int r;

	if (!p->shape.has_requirements || !strlist_has(&p->cfg.include, AGENT_DIR))
		return 0;
	snprintf(p->deps_tmp, sizeof(p->deps_tmp), "%s/slipway-deps.XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(p->deps_tmp)) {
		fail_sys(p->err, "cannot create a temporary directory in %s",
		         tmp && *tmp ? tmp : "/tmp");
		p->deps_tmp[0] = '\0';
		return -1;
	}
	say(p, "vendoring Python dependencies: %s -> %s", AGENT_REQUIREMENTS, AGENT_DEPS_DIR);
	r = pyvendor_install(p->project, AGENT_REQUIREMENTS, p->deps_tmp, p->err);
	if (r < 0)
		return -1;
	/* The drain timeout of the framework version just vendored (pack/drain.h). */
	return drain_default(p->project_fd, &p->cfg, &p->shape, p->deps_tmp, p->err);
}

/* Where an include path lands: next to server.js for the standalone server's assets. */
static char *dest_for(const struct pipeline *p, const char *inc)
{
	return nextjs_dest(p->server_dir[0] ? p->server_dir : NULL, inc);
}

/* The web service that runs the standalone server in `dir`: the one whose cwd it is. */
static struct pack_service *standalone_service(struct pipeline *p, const char *dir)
{
	for (size_t i = 0; i < p->cfg.n_services; i++)
		if (p->cfg.services[i].cwd && !strcmp(p->cfg.services[i].cwd, dir))
			return &p->cfg.services[i];
	return NULL;
}

/* Before the build: where the standalone server is expected (detection's prediction, or the
 * cwd of the service that runs it). */
static void expect_standalone(struct pipeline *p)
{
	if (!strlist_has(&p->cfg.include, NEXT_STANDALONE))
		return;
	snprintf(p->server_dir, sizeof(p->server_dir), "%s",
	         p->shape.server_dir[0] ? p->shape.server_dir : NEXT_STANDALONE);
	for (size_t i = 0; !p->shape.server_dir[0] && i < p->cfg.n_services; i++) {
		const char *cwd = p->cfg.services[i].cwd;

		if (cwd && !strncmp(cwd, NEXT_STANDALONE "/", sizeof(NEXT_STANDALONE)))
			snprintf(p->server_dir, sizeof(p->server_dir), "%s", cwd);
	}
}

/* After the build: the server.js Next wrote. In a workspace Next traces from the root, so
 * it may be deeper than expected (.next/standalone/apps/web/server.js): the one found
 * wins, and the service, .next/static and public follow it. */
static int check_standalone(struct pipeline *p)
{
	struct strlist found = {0};
	struct pack_service *web;
	int r = -1;

	if (!p->server_dir[0])
		return 0;
	if (nextjs_find_servers(p->project_fd, &found, p->err) < 0)
		return fail_recast(p->err, ERR_SYSTEM);
	if (strlist_has(&found, p->server_dir)) {
		r = 0;
	} else if (found.n == 1) {
		web = standalone_service(p, p->server_dir);
		say(p,
		    "the standalone server is %s/" NEXT_SERVER "%s; " NEXT_STATIC
		    " and " NEXT_PUBLIC " go next to it",
		    found.v[0], web ? ", where the web service runs" : "");
		if (web) {
			free(web->cwd);
			if (!(web->cwd = strdup(found.v[0]))) {
				fail_oom(p->err);
				goto out;
			}
		}
		snprintf(p->server_dir, sizeof(p->server_dir), "%s", found.v[0]);
		r = 0;
	} else if (found.n == 0) {
		fail(p->err,
		     "no Next.js standalone output (%s/" NEXT_SERVER ")%s: %s output: "
		     "'standalone' in %s and build again",
		     p->server_dir, p->rq->no_build ? " and --no-build was given" : "",
		     p->shape.next_config[0] ? "set" : "create next.config.js with",
		     p->shape.next_config[0] ? p->shape.next_config : "it");
	} else {
		fail(p->err,
		     "%zu standalone servers under " NEXT_STANDALONE
		     " (%s, %s%s): set [service web] "
		     "cwd in " CONFIG_NAME " to the one to run",
		     found.n, found.v[0], found.v[1], found.n > 2 ? ", ..." : "");
	}
out:
	strlist_clear(&found);
	return r;
}

/* At a workspace root, nothing to run here: the refusal names the members that are apps.
 * 1 when it refused, 0 when the project is no workspace root with apps. */
static int workspace_hint(struct pipeline *p)
{
	struct strlist apps = {0};
	char list[1024] = "";
	size_t i, n = 0;

	if (detect_workspace_apps(p->project_fd, &apps, p->err) < 0)
		return -1;
	if (!apps.n)
		return 0;
	for (i = 0; i < apps.n && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", apps.v[i]);
	fail(p->err,
	     "no service to run: %s is a workspace root, and its app%s %s: pack %s "
	     "(slipway pack %s)",
	     p->project, apps.n > 1 ? "s are" : " is", list, apps.n > 1 ? "each" : "it", apps.v[0]);
	strlist_clear(&apps);
	return 1;
}

/* What detection decided that the user did not write: said before anything runs. */
static int tell_and_check_config(struct pipeline *p)
{
	const struct pack_config *cfg = &p->cfg;
	size_t i;

	if (cfg->app_origin == APP_FROM_DIRECTORY)
		say(p,
		    "app name '%s': from the directory name (package.json has no \"name\"); set "
		    "[app] name in " CONFIG_NAME " to choose another",
		    cfg->app);
	else if (cfg->app_origin == APP_FROM_PACKAGE_FIXED)
		say(p,
		    "app name '%s': package.json's \"name\" '%s' made valid; set [app] name "
		    "in " CONFIG_NAME " to choose another",
		    cfg->app, cfg->app_raw);
	for (i = 0; i < cfg->notes.n; i++)
		say(p, "note: %s", cfg->notes.v[i]);
	for (i = 1; i < cfg->blockers.n; i++)
		say(p, "also: %s", cfg->blockers.v[i]);
	if (cfg->blockers.n) {
		fail(p->err, "%s", cfg->blockers.v[0]);
		return -1;
	}
	if (cfg->n_services == 0 && !p->rq->allow_no_services && workspace_hint(p) != 0)
		return -1;
	if (cfg->n_services == 0 && !p->rq->allow_no_services) {
		fail(
		    p->err,
		    "no service to run: the release would start nothing. slipway detects a Next.js "
		    "app (package.json depends on next) and a LiveKit agent in agent/ (main.py, "
		    "agent.py, or package.json depending on @livekit/agents); otherwise add a "
		    "[service NAME] section with a command to %s, or pass --allow-no-services "
		    "for an archive of files only",
		    cfg->file ? cfg->file : CONFIG_NAME);
		return -1;
	}
	return 0;
}

static const struct pack_entry *tree_find(const struct pack_tree *tree, const char *path)
{
	size_t i;

	for (i = 0; i < tree->n; i++)
		if (!strcmp(tree->v[i].path, path))
			return &tree->v[i];
	return NULL;
}

/* `node FILE`, `python3 FILE`...: FILE must be in the release, in the service's cwd, or the
 * service fails only at deploy (a forgotten cwd is the usual cause). */
static int check_service_scripts(struct pipeline *p)
{
	static const char *const interpreters[] = {"node", "python3", "python", "bash", "sh"};
	size_t i, k;

	for (i = 0; i < p->cfg.n_services; i++) {
		const struct pack_service *s = &p->cfg.services[i];
		const char *script = s->argv.n > 1 ? s->argv.v[1] : NULL;
		const char *cwd = s->cwd && strcmp(s->cwd, ".") ? s->cwd : NULL;
		const struct pack_entry *e;
		char path[PATH_MAX];
		bool interp = false;

		for (k = 0; k < sizeof(interpreters) / sizeof(interpreters[0]); k++)
			interp |= !strcmp(s->argv.v[0], interpreters[k]);
		if (!interp || !script || script[0] == '-' || script[0] == '/' ||
		    strstr(script, "${"))
			continue;
		if (snprintf(path, sizeof(path), "%s%s%s", cwd ? cwd : "", cwd ? "/" : "",
		             !strncmp(script, "./", 2) ? script + 2 : script) >= (int)sizeof(path))
			continue;
		e = tree_find(&p->tree, path);
		if (!e || e->type == MANIFEST_DIR) {
			fail(
			    p->err,
			    "service %s: `%s` runs %s in %s, but the release has no file %s: is "
			    "cwd "
			    "right, and does the build make it? (--print-config shows the service)",
			    s->name, s->command, script, cwd ? cwd : "the release root", path);
			return -1;
		}
	}
	return 0;
}

static int collect(struct pipeline *p)
{
	struct collect_root *roots = NULL;
	char **srcs = NULL, **dests = NULL;
	struct collect_opts opts;
	struct stat st;
	const char *key_path = NULL;
	size_t i, n = 0, max = p->cfg.include.n + 1;
	int r = -1;

	memset(&opts, 0, sizeof(opts));
	roots = calloc(max, sizeof(*roots));
	srcs = calloc(max, sizeof(char *));
	dests = calloc(max, sizeof(char *));
	if (!roots || !srcs || !dests) {
		fail_oom(p->err);
		goto out;
	}
	for (i = 0; i < p->cfg.include.n; i++, n++) {
		const char *inc = p->cfg.include.v[i];

		if (asprintf(&srcs[n], "%s/%s", p->project, inc) < 0 ||
		    !(dests[n] = dest_for(p, inc))) {
			fail_oom(p->err);
			goto out;
		}
		roots[n].src = srcs[n];
		roots[n].rel = inc;
		roots[n].dest = dests[n];
	}
	if (p->deps_tmp[0]) {
		roots[n].src = p->deps_tmp;
		roots[n].rel = AGENT_DEPS_DIR " (vendored)";
		roots[n].dest = AGENT_DEPS_DIR;
		opts.reserved = AGENT_DEPS_DIR;
		opts.reserved_root = (unsigned)n;
		opts.reserved_why =
		    "replaced by the dependencies vendored from " AGENT_REQUIREMENTS;
		n++;
	}
	opts.roots = roots;
	opts.n_roots = n;
	opts.exclude = &p->cfg.exclude;
	if (p->rq->key_opt && *p->rq->key_opt)
		key_path = p->rq->key_opt;
	else if (getenv("SLIPWAY_SECRET_KEY") && *getenv("SLIPWAY_SECRET_KEY"))
		key_path = getenv("SLIPWAY_SECRET_KEY");
	if (key_path && stat(key_path, &st) == 0) {
		opts.have_key = true;
		opts.key_dev = st.st_dev;
		opts.key_ino = st.st_ino;
	}
	if (collect_tree(&opts, &p->tree, p->err) < 0) {
		fail_recast(p->err, ERR_REFUSED);
		goto out;
	}
	r = 0;
out:
	for (i = 0; i < max && srcs && dests; i++) {
		free(srcs[i]);
		free(dests[i]);
	}
	free(srcs);
	free(dests);
	free(roots);
	return r;
}

static unsigned cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
}

/* The build's Server Actions key leaves the Next.js manifests (pack/nextkey.h); the hash
 * pass then refuses any other file that still carries it. */
static int strip_action_keys(struct pipeline *p)
{
	struct strlist paths = {0};
	int r = nextkey_strip_tree(&p->tree, &paths, &p->action_keys, p->err);

	for (size_t i = 0; i < paths.n; i++)
		say(p,
		    "removed the Next.js Server Actions encryption key from %s (the host gives "
		    "every release its store's key: " NEXT_ACTION_KEY_ENV ")",
		    paths.v[i]);
	strlist_clear(&paths);
	return r;
}

static int hash_files(struct pipeline *p)
{
	uint64_t files = 0, bytes = 0;
	size_t i;

	for (i = 0; i < p->tree.n; i++)
		if (p->tree.v[i].type == MANIFEST_FILE) {
			files++;
			bytes += p->tree.v[i].size;
		}
	if (files == 0) {
		fail(p->err, "nothing to pack: no files in %s (include: see --print-config)",
		     p->project);
		return -1;
	}
	if (strip_action_keys(p) < 0)
		return -1;
	if (p->rq->phase)
		p->rq->phase(p->rq->ctx, "hashing", files, bytes);
	if (pack_tree_hash(&p->tree, cpu_count(), &p->action_keys, p->rq->progress, p->rq->ctx,
	                   p->err) < 0) {
		if (p->err->kind != ERR_REFUSED)
			fail_recast(p->err, ERR_SYSTEM);
		return -1;
	}
	if (pack_tree_drop_secrets(&p->tree, p->err) < 0)
		return fail_recast(p->err, ERR_SYSTEM);
	for (i = 0; i < p->tree.skipped.n; i++)
		say(p, "never packed: %s", p->tree.skipped.v[i]);
	for (i = 0; i < p->tree.notes.n; i++)
		say(p, "note: %s", p->tree.notes.v[i]);
	p->res->skipped = p->tree.skipped.n;
	p->res->files = p->res->bytes = 0;
	for (i = 0; i < p->tree.n; i++)
		if (p->tree.v[i].type == MANIFEST_FILE) {
			p->res->files++;
			p->res->bytes += p->tree.v[i].size;
		}
	return 0;
}

static int make_manifest(struct pipeline *p)
{
	struct strlist writable = {0}, static_dirs = {0};
	char build_dir[1100] = "";
	struct release_facts facts = {
	    .writable_dirs = &writable,
	    .static_dirs = &static_dirs,
	    .app = p->cfg.app,
	    .version = p->res->version,
	    .serial = p->res->serial,
	    .commit = p->res->commit,
	    .dirty = p->res->dirty,
	    .build_time = p->res->source_date_epoch,
	};

	int r;

	/* The store knows no framework: the manifest says which directories are Next's. */
	if (p->server_dir[0])
		snprintf(build_dir, sizeof(build_dir), "%s/" NEXT_BUILD, p->server_dir);
	else if (p->shape.next == NEXT_START_SHAPE && strlist_has(&p->cfg.include, NEXT_BUILD))
		snprintf(build_dir, sizeof(build_dir), NEXT_BUILD);
	if (build_dir[0] && nextjs_release_dirs(&p->tree, build_dir, &writable, &static_dirs) < 0)
		r = fail_oom(p->err);
	else
		r = release_manifest_build(&p->cfg, &p->tree, &facts, &p->manifest, p->err);
	strlist_clear(&writable);
	strlist_clear(&static_dirs);
	if (r < 0)
		return fail_recast(p->err, ERR_SYSTEM);
	if (manifest_to_json(p->manifest, &p->manifest_json, &p->manifest_len, p->err) < 0) {
		fail_prefix(p->err, "the release would not pass its own manifest check");
		return fail_recast(p->err, ERR_REFUSED);
	}
	return 0;
}

static int write_outputs(struct pipeline *p)
{
	struct tarball_opts ao = {
	    .compress = p->rq->compress,
	    .threads = cpu_count(),
	    .frame_target = p->rq->frame_size,
	    .progress = p->rq->progress,
	    .ctx = p->rq->ctx,
	};
	char name[512], mdigest[2 * MANIFEST_DIGEST_BYTES + 1], *comment = NULL;
	uint8_t digest[TARBALL_HASH_BYTES];
	struct stat st;
	int r = -1;

	if (snprintf(name, sizeof(name), "%s-%s%s", p->cfg.app, p->res->version,
	             tarball_suffix(p->rq->compress)) >= (int)sizeof(name)) {
		fail_kind(p->err, ERR_USAGE, "archive name too long");
		return -1;
	}
	if (output_open(&p->archive, p->outdir, name, p->err) < 0)
		return fail_recast(p->err, ERR_SYSTEM);
	if (p->rq->phase)
		p->rq->phase(p->rq->ctx, "writing", p->res->files, p->res->bytes);
	if (tarball_write(p->archive.fd, &ao, p->manifest_json, p->manifest_len, &p->tree, digest,
	                  p->err) < 0 ||
	    fstat(p->archive.fd, &st) < 0) {
		fail_recast(p->err, ERR_SYSTEM);
		goto out;
	}
	p->res->archive_bytes = (uint64_t)st.st_size;
	if (p->have_key) {
		char signame[600];

		/* The manifest's digest too: a host can then trust the manifest with the minisig
		 * alone, before it has the archive (specs/channel.md). */
		manifest_digest_hex(p->manifest_json, p->manifest_len, mdigest);
		if (minisign_trusted_comment(p->cfg.app, p->res->version, p->res->serial, name,
		                             mdigest, &comment, p->err) < 0 ||
		    minisign_sign_digest(digest, &p->key, comment, NULL, &p->sig_text, p->err) <
		        0) {
			fail_prefix(p->err, "cannot sign %s", name);
			fail_recast(p->err, ERR_SYSTEM);
			goto out;
		}
		snprintf(signame, sizeof(signame), "%s" MINISIGN_SIG_SUFFIX, name);
		if (output_open(&p->sig, p->outdir, signame, p->err) < 0 ||
		    write_all(p->sig.fd, p->sig_text, strlen(p->sig_text), p->err) < 0) {
			fail_recast(p->err, ERR_SYSTEM);
			goto out;
		}
	}
	if (output_commit(&p->archive, p->err) < 0) {
		fail_recast(p->err, ERR_SYSTEM);
		goto out;
	}
	snprintf(p->res->archive, sizeof(p->res->archive), "%s", p->archive.path);
	if (p->have_key) {
		if (output_commit(&p->sig, p->err) < 0) {
			unlink(p->res->archive);
			p->res->archive[0] = '\0';
			fail_recast(p->err, ERR_SYSTEM);
			goto out;
		}
		snprintf(p->res->signature, sizeof(p->res->signature), "%s", p->sig.path);
	} else {
		char stale[PATH_MAX + 16];

		/* A signature left from an earlier signed pack would not match this archive. */
		snprintf(stale, sizeof(stale), "%s" MINISIGN_SIG_SUFFIX, p->archive.path);
		if (unlink(stale) == 0)
			say(p, "removed %s: it belonged to an earlier archive", stale);
	}
	r = 0;
out:
	free(comment);
	return r;
}

int pack_run(const struct pack_request *rq, struct pack_result *res, struct err *err)
{
	struct pipeline p;
	const char *project = rq->project_dir ? rq->project_dir : ".";
	const char *outdir = rq->outdir ? rq->outdir : ".";
	long long started = (long long)time(NULL);
	int r = -1;

	memset(&p, 0, sizeof(p));
	memset(res, 0, sizeof(*res));
	p.rq = rq;
	p.res = res;
	p.err = err;
	p.project_fd = -1;
	p.archive.fd = p.sig.fd = -1;
	config_init(&p.cfg);
	if (!realpath(project, p.project)) {
		fail_kind(err, ERR_USAGE, "cannot open the project directory %s: %s", project,
		          strerror(errno));
		goto out;
	}
	p.project_fd = open(p.project, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.project_fd < 0) {
		fail_kind(err, ERR_USAGE, "cannot open the project directory %s: %s", project,
		          strerror(errno));
		goto out;
	}
	if (config_load(p.project_fd, project, &p.cfg, err) < 0 ||
	    detect_defaults(p.project_fd, p.project, &p.cfg, &p.shape, err) < 0) {
		fail_recast(err, ERR_USAGE);
		goto out;
	}
	snprintf(res->app, sizeof(res->app), "%s", p.cfg.app);
	expect_standalone(&p);
	if (tell_and_check_config(&p) < 0 || decide_version(&p) < 0 || load_key(&p) < 0 ||
	    build(&p) < 0 || check_standalone(&p) < 0 || vendor_python(&p) < 0 || collect(&p) < 0 ||
	    check_service_scripts(&p) < 0 || hash_files(&p) < 0 || make_manifest(&p) < 0)
		goto out;
	/* OUTDIR is created only now: a failed build leaves no trace in it. */
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		fail_sys(err, "cannot create the output directory %s", outdir);
		goto out;
	}
	if (!realpath(outdir, p.outdir)) {
		fail_sys(err, "cannot open the output directory %s", outdir);
		goto out;
	}
	if (write_outputs(&p) < 0)
		goto out;
	if (p.have_key && pack_provenance_write(p.project, res->archive, res->commit, p.cfg.build,
	                                        started, &p.key, err) < 0) {
		fail_prefix(err, "provenance of %s", res->archive);
		goto out;
	}
	r = 0;
out:
	output_abort(&p.archive);
	output_abort(&p.sig);
	if (p.sig_text)
		free(p.sig_text);
	if (p.deps_tmp[0]) {
		struct err rmerr;

		remove_tree_at(AT_FDCWD, p.deps_tmp, &rmerr);
	}
	if (p.have_key)
		minisign_seckey_wipe(&p.key);
	for (size_t i = 0; i < p.action_keys.n; i++)
		OPENSSL_cleanse(p.action_keys.v[i], strlen(p.action_keys.v[i]));
	strlist_clear(&p.action_keys);
	free(p.manifest_json);
	manifest_free(p.manifest);
	pack_tree_release(&p.tree);
	config_release(&p.cfg);
	if (p.project_fd >= 0)
		close(p.project_fd);
	return r;
}
