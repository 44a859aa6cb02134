/* slipway pack [PROJECT_DIR]: build, bundle, write the manifest, archive and sign
 * (specs/cli.md "pack"). Prints the archive's path on stdout (or --json). */
#include "cmd/cmd.h"
#include "cmd/support/progress.h"
#include "pack/frames.h"
#include "pack/pack.h"
#include "release/manifest/manifest_check.h"
#include "release/base/clock.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/keyring.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: slipway pack [PROJECT_DIR] [-o OUTDIR] [-s SECFILE] [--version V] [--serial N]\n"
    "                    [--no-build] [--compress zstd|gzip] [--allow-dirty] [--unsigned]\n"
    "                    [--allow-no-services] [--print-config] [--json] [-k KEYRING]\n"
    "                    [--frame-size SIZE]\n"
    "\n"
    "Builds the project (default: the current directory), bundles the Next.js app (its\n"
    "standalone output, or what `next start` needs), the agent with its vendored Python\n"
    "dependencies and the start scripts, writes the manifest, and produces\n"
    "OUTDIR/<app>-<version>.tar.zst (or .tar.gz) plus its minisign signature\n"
    "<archive>.minisig. Prints the archive's path.\n"
    "\n"
    "  -o, --output OUTDIR     where the archive goes (default: the current directory)\n"
    "  -s, --seckey SECFILE    signing key; default $SLIPWAY_SECRET_KEY (a path), else\n"
    "                          $SLIPWAY_SECRET_KEY_DATA (the key file's contents)\n"
    "      --version V         release version (default: `git describe` of the project's\n"
    "                          HEAD: nearest tag, commits since, abbreviated id, -dirty)\n"
    "      --serial N          release serial (default: the commit time, Unix seconds)\n"
    "      --no-build          skip the build command\n"
    "      --compress ALG      zstd (default, multi-threaded) or gzip\n"
    "      --frame-size SIZE   zstd: group files into frames of about SIZE (64K to 8M,\n"
    "                          default 8M); smaller frames let `slipway pull` fetch less\n"
    "                          of a new release, at a cost in size\n"
    "      --allow-dirty       pack a work tree with uncommitted changes (marked dirty)\n"
    "      --unsigned          no signature: for local experiments only; the store\n"
    "                          refuses unsigned archives\n"
    "      --allow-no-services pack a release that starts no service (refused otherwise)\n"
    "      --print-config      show the effective slipway.ini (file + detected defaults)\n"
    "                          and exit\n"
    "  -k, --keyring FILE      ship this keyring chain (default $SLIPWAY_KEYRING) as\n"
    "                          <archive>.keyring: hosts adopt its newer versions before\n"
    "                          judging the archive (specs/trust.md)\n"
    "      --json              print a JSON summary instead of the path\n"
    "  -h, --help              show this help\n"
    "\n"
    "Config: PROJECT_DIR/slipway.ini (specs/config.md). Never packed: .git, .env*, *.pem,\n"
    "*.key, .next/cache and the signing key. Build time: $SOURCE_DATE_EPOCH, else the\n"
    "commit time (entry mtimes are the constant 1). Exit: 0 packed, 1 the build failed or\n"
    "the project was refused (dirty tree, missing output, no service; --print-config shows\n"
    "what is refused before the build), 2 usage or slipway.ini error, 3 system error.\n";

/* N, NK or NM (KiB, MiB) within FRAME_TARGET_MIN..FRAME_TARGET_MAX. */
static int parse_frame_size(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > FRAME_TARGET_MAX)
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || v < FRAME_TARGET_MIN || v > FRAME_TARGET_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static double seconds_since(uint64_t ms)
{
	return (double)(clock_mono_ms() - ms) / 1e3;
}

static void on_say(void *ctx, const char *line)
{
	progress_end(ctx);
	fprintf(stderr, "slipway: pack: %s\n", line);
}

static void on_phase(void *ctx, const char *name, uint64_t files, uint64_t bytes)
{
	progress_phase(ctx, name, files, bytes);
}

static void on_progress(void *ctx, uint64_t files, uint64_t bytes)
{
	progress_update(ctx, files, bytes, NULL);
}

static int print_config(const char *project)
{
	struct pack_config cfg;
	struct project_shape shape;
	struct err err;
	char *text;
	int rc = EXIT_OK;

	config_init(&cfg);
	if (pack_effective_config(project, &cfg, &shape, &err) < 0) {
		rc = cmd_error("pack", &err);
	} else if (!(text = config_to_ini(&cfg))) {
		rc = cmd_fail("pack", EXIT_FAIL, "out of memory");
	} else {
		fputs(text, stdout);
		free(text);
	}
	config_release(&cfg);
	return rc;
}

static int print_json(const struct pack_result *res, double seconds)
{
	json_object *o = json_object_new_object();
	const char *text;

	json_object_object_add(o, "archive", json_object_new_string(res->archive));
	json_object_object_add(o, "signature",
	                       res->signature[0] ? json_object_new_string(res->signature) : NULL);
	json_object_object_add(o, "signed", json_object_new_boolean(res->signature[0] != 0));
	json_object_object_add(o, "app", json_object_new_string(res->app));
	json_object_object_add(o, "version", json_object_new_string(res->version));
	json_object_object_add(o, "serial", json_object_new_int64((int64_t)res->serial));
	json_object_object_add(o, "commit", json_object_new_string(res->commit));
	json_object_object_add(o, "dirty", json_object_new_boolean(res->dirty));
	json_object_object_add(o, "source_date_epoch",
	                       json_object_new_int64(res->source_date_epoch));
	json_object_object_add(o, "files", json_object_new_int64((int64_t)res->files));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(o, "archive_bytes",
	                       json_object_new_int64((int64_t)res->archive_bytes));
	json_object_object_add(o, "skipped", json_object_new_int64((int64_t)res->skipped));
	json_object_object_add(o, "seconds", json_object_new_double(seconds));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE);
	printf("%s\n", text);
	json_object_put(o);
	return EXIT_OK;
}

/* ARCHIVE.keyring (specs/trust.md "Carried with releases"): the chain hosts adopt before
 * judging the archive; a warning when its newest version does not trust the signer. */
static int carry_keyring(const struct pack_result *res, const struct keyring_chain *chain,
                         const char *text, size_t len)
{
	struct minisign_pubkey key;
	struct minisign_sig sig = {0};
	struct err err;
	char *path = NULL, *sig_text = NULL;
	size_t sig_len = 0;
	int rc = EXIT_OK;

	if (asprintf(&path, "%s" KEYRING_SUFFIX, res->archive) < 0)
		return cmd_fail("pack", EXIT_FAIL, "out of memory");
	if (write_path_atomic(path, text, len, 0644, 0, &err) < 0)
		rc = cmd_error("pack", &err);
	else if (res->signature[0] &&
	         minisign_sig_read(res->signature, &sig_text, &sig_len, &err) == 0 &&
	         minisign_sig_parse(sig_text, sig_len, &sig, &err) == 0 &&
	         keyring_release_key(keyring_chain_newest(chain), sig.keyid, &key, &err) < 0)
		cmd_warn("pack", "hosts will refuse %s: %s", res->archive, err.msg);
	minisign_sig_release(&sig);
	free(sig_text);
	free(path);
	return rc;
}

int cmd_pack(int argc, char **argv)
{
	struct pack_request rq = {.compress = COMPRESS_ZSTD};
	const char *serial = NULL, *compress = NULL, *keyring = NULL, *frame_size = NULL;
	struct keyring_chain chain = {0};
	char *chain_text = NULL;
	size_t chain_len = 0;
	int rc;
	bool show_config = false;
	const struct cmd_option opts[] = {
	    {"output", 'o', NULL, &rq.outdir},
	    {"seckey", 's', NULL, &rq.key_opt},
	    {"version", 0, NULL, &rq.version},
	    {"serial", 0, NULL, &serial},
	    {"no-build", 0, &rq.no_build, NULL},
	    {"compress", 0, NULL, &compress},
	    {"frame-size", 0, NULL, &frame_size},
	    {"allow-dirty", 0, &rq.allow_dirty, NULL},
	    {"unsigned", 0, &rq.unsigned_, NULL},
	    {"allow-no-services", 0, &rq.allow_no_services, NULL},
	    {"print-config", 0, &show_config, NULL},
	    {"keyring", 'k', NULL, &keyring},
	    {0},
	};
	struct cmd_parse p = {.cmd = "pack",
	                      .usage = usage_text,
	                      .common = CMD_JSON,
	                      .opts = opts,
	                      .args = "[PROJECT_DIR]"};
	struct pack_result res;
	struct progress ps;
	uint64_t t0;
	struct err err;

	if (cmd_parse(&p, argc, argv) < 0)
		return p.exit;
	if (serial && serial_parse(serial, &rq.serial, &err) < 0)
		return cmd_usage_error("pack", "bad --serial: %s", err.msg);
	rq.have_serial = serial != NULL;
	if (compress && !strcmp(compress, "gzip"))
		rq.compress = COMPRESS_GZIP;
	else if (compress && strcmp(compress, "zstd"))
		return cmd_usage_error("pack", "bad --compress '%s': expected zstd or gzip",
		                       compress);
	if (frame_size && parse_frame_size(frame_size, &rq.frame_size) < 0)
		return cmd_usage_error("pack", "bad --frame-size '%s': expected 64K to 8M",
		                       frame_size);
	if (p.n_operands > 0)
		rq.project_dir = p.operands[0];
	if (rq.unsigned_ && rq.key_opt)
		return cmd_usage_error("pack", "--unsigned and -s contradict each other");
	if (show_config)
		return print_config(rq.project_dir ? rq.project_dir : ".");
	if (!keyring)
		keyring = getenv("SLIPWAY_KEYRING");
	/* Checked before the build: a broken keyring must not cost one. */
	if (keyring && keyring_chain_load(keyring, &chain, &chain_text, &chain_len, &err) < 0)
		return cmd_error("pack", &err);
	progress_init(&ps, "pack", p.json);
	rq.say = on_say;
	rq.phase = on_phase;
	rq.progress = on_progress;
	rq.ctx = &ps;
	t0 = clock_mono_ms();
	if (pack_run(&rq, &res, &err) < 0) {
		progress_end(&ps);
		rc = cmd_error("pack", &err);
		goto out;
	}
	progress_end(&ps);
	if (keyring && (rc = carry_keyring(&res, &chain, chain_text, chain_len)) != EXIT_OK)
		goto out;
	if (!res.signature[0])
		fprintf(stderr, "slipway: pack: UNSIGNED archive (--unsigned): for local "
		                "experiments only; the store refuses it\n");
	if (p.json) {
		rc = print_json(&res, seconds_since(t0));
		goto out;
	}
	printf("%s\n", res.archive);
	rc = EXIT_OK;
out:
	keyring_chain_release(&chain);
	free(chain_text);
	return rc;
}
