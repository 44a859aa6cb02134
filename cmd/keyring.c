/* slipway keyring SUBCOMMAND: the life of a keyring (specs/trust.md, README "Key ceremonies"). */
#include "cmd/cmd.h"
#include "cmd/support/store_open.h"
#include "release/base/clock.h"
#include "release/base/error.h"
#include "release/base/escape.h"
#include "release/base/fileio.h"
#include "release/sig/envelope.h"
#include "release/sig/keyring.h"
#include "release/sig/signing_key.h"
#include "release/store/trust.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "keyring"

static const char usage_text[] =
    "usage: slipway keyring create -o FILE --keyring-keys PUB[,PUB...] [--release-keys PUB,...]\n"
    "                              [--threshold K] [--min-serial N] [--expires T] [POLICY]\n"
    "                              [REPRODUCTIONS]\n"
    "       slipway keyring next CHAIN -o FILE [--add-keyring-keys PUB,...]\n"
    "                              [--remove-keyring-keys KEY,...] [--add-release-keys PUB,...]\n"
    "                              [--remove-release-keys KEY,...] [--revoke KEY,...]\n"
    "                              [--threshold K] [--min-serial N] [--expires T] [POLICY]\n"
    "                              [REPRODUCTIONS]\n"
    "       slipway keyring sign FILE -s SECFILE [-x SIGFILE]\n"
    "       slipway keyring attach FILE -x SIGFILE\n"
    "       slipway keyring append CHAIN --from FILE\n"
    "       slipway keyring inspect FILE | --root DIR\n"
    "       slipway keyring adopt FILE [--root DIR]\n"
    "\n"
    "A keyring (specs/trust.md) names the keys that sign releases, the keys that sign the\n"
    "next keyring (a threshold K of them), a floor (no release with a lower serial is\n"
    "installed) and an expiry. Its versions form a chain, one signed line each; version N+1\n"
    "needs K signatures of version N's keyring keys and K of its own.\n"
    "\n"
    "  create   a proposal for version 1 (unsigned)\n"
    "  next     a proposal for the version after CHAIN's newest: keys added, removed or\n"
    "           revoked (a revoked release key is refused forever), floor raised\n"
    "  sign     sign a proposal with one keyring key: in place, or as a detached minisign\n"
    "           signature file (-x) to send back, for keys kept on separate machines\n"
    "  attach   add a detached signature (from `sign -x`) to the proposal\n"
    "  append   check the proposal's signatures against CHAIN and append it (CHAIN is\n"
    "           created for version 1); CHAIN is what `pack --keyring` ships with releases\n"
    "  inspect  print a chain, a proposal, or the keyring a store trusts\n"
    "  adopt    make a store trust the newer versions of a chain, as a deploy does\n"
    "\n"
    "  KEY is a public key file or a key id (up to 16 hex digits, as minisign prints it)\n"
    "  T is Unix seconds (0: never)\n"
    "  POLICY, the provenance every release must have (ARCHIVE.intoto.jsonl; \"\" clears):\n"
    "    --provenance-repositories URL,...   --provenance-refs PATTERN,... (fnmatch)\n"
    "    --provenance-builders ID,...\n"
    "  REPRODUCTIONS, the independent rebuilds every release must have (slipway rebuild;\n"
    "  ARCHIVE.reproduced.jsonl): --reproductions N (0 clears) distinct keys of\n"
    "    --rebuilder-keys PUB,... (\"\" clears; no release key, no revoked key)\n"
    "  -r, --root DIR   the store (default: $SLIPWAY_ROOT)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 done, 1 refused (a signature, threshold, version step or field is\n"
    "wrong; nothing changed), 2 usage, 3 system error.\n";

struct kr_opts {
	const char *out, *kkeys, *rkeys, *add_k, *rm_k, *add_r, *rm_r, *revoke, *threshold,
	    *min_serial, *expires, *sec, *sig, *from, *repos, *refs, *builders, *reproductions,
	    *rebuilders;
};

/* A comma-separated policy list into `list` ("" clears it). */
static int policy_list(const char *opt, const char *in, char (*list)[KEYRING_POLICY_LEN + 1],
                       size_t *n)
{
	char *copy = strdup(in), *save = NULL;

	*n = 0;
	if (!copy)
		return cmd_fail(CMD, EXIT_FAIL, "out of memory");
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == KEYRING_POLICY_MAX || strlen(t) > KEYRING_POLICY_LEN) {
			free(copy);
			return cmd_usage_error(CMD, "%s: at most %d entries of %d bytes", opt,
			                       KEYRING_POLICY_MAX, KEYRING_POLICY_LEN);
		}
		snprintf(list[(*n)++], KEYRING_POLICY_LEN + 1, "%s", t);
	}
	free(copy);
	return 0;
}

/* A comma-separated list of keys: public key files, or (ids_ok) key ids. */
static int key_list(const char *opt, const char *list, bool ids_ok, struct minisign_pubkey *keys,
                    size_t max, size_t *n, struct err *err)
{
	char *copy = strdup(list), *save = NULL;
	int rc = -1;

	*n = 0;
	if (!copy)
		return fail_oom(err);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == max) {
			fail(err, "%s: more than %zu keys", opt, max);
			goto out;
		}
		memset(&keys[*n], 0, sizeof(keys[*n]));
		bool is_id = ids_ok && minisign_keyid_parse_user(t, keys[*n].keyid) == 0;

		if (!is_id && minisign_pubkey_load(t, &keys[*n], NULL, NULL, err) < 0) {
			fail_recast(err, ERR_USAGE);
			goto out;
		}
		(*n)++;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static int number(const char *opt, const char *s, uint64_t min, uint64_t *out)
{
	return s ? cmd_count(CMD, opt, s, min, KEYRING_NUMBER_MAX, out) : 0;
}

static int write_proposal(const char *path, const struct keyring *kr, struct err *err)
{
	struct envelope e = {0};
	char *payload = NULL, *line = NULL;
	size_t plen = 0, llen = 0;
	int rc = -1;

	if (keyring_payload(kr, &payload, &plen, err) < 0 ||
	    envelope_init(&e, KEYRING_TYPE, payload, plen, err) < 0 ||
	    envelope_format(&e, &line, &llen, err) < 0 ||
	    write_path_atomic(path, line, llen, 0644, 0, err) < 0)
		goto out;
	rc = 0;
out:
	envelope_release(&e);
	free(payload);
	free(line);
	return rc;
}

/* One envelope line from a file: a proposal, or the newest line of a chain (idx -1). */
static int read_text(const char *path, char **text, size_t *len, struct err *err)
{
	return read_file_at(AT_FDCWD, path, KEYRING_FILE_MAX, 0, text, len, err) < 0
	           ? fail_recast(err, ERR_REFUSED)
	           : 0;
}

static int read_proposal(const char *path, struct envelope *e, struct keyring *kr, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (read_text(path, &text, &len, err) < 0)
		return -1;
	if (len && text[len - 1] == '\n')
		len--;
	if (memchr(text, '\n', len)) {
		fail(err, "%s: a proposal is one line (this looks like a chain)", path);
		goto out;
	}
	if (envelope_parse(text, len, path, e, err) < 0)
		goto out;
	if (strcmp(e->type, KEYRING_TYPE)) {
		fail(err, "%s: payloadType is not " KEYRING_TYPE, path);
		goto out;
	}
	if (keyring_parse(e->payload, e->payload_len, kr, err) < 0) {
		fail_prefix(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

static int write_envelope(const char *path, const struct envelope *e, struct err *err)
{
	char *line = NULL;
	size_t len = 0;
	int rc;

	if (envelope_format(e, &line, &len, err) < 0)
		return -1;
	rc = write_path_atomic(path, line, len, 0644, 0, err);
	free(line);
	return rc;
}

static bool in_keys(const struct minisign_pubkey *keys, size_t n, const uint8_t *id)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(keys[i].keyid, id, MINISIGN_KEYID_BYTES))
			return true;
	return false;
}

static void remove_keys(struct minisign_pubkey *keys, size_t *n, const struct minisign_pubkey *rm,
                        size_t n_rm)
{
	size_t w = 0;

	for (size_t i = 0; i < *n; i++)
		if (!in_keys(rm, n_rm, keys[i].keyid))
			keys[w++] = keys[i];
	*n = w;
}

static int add_keys(const char *opt, struct minisign_pubkey *keys, size_t *n,
                    const struct minisign_pubkey *add, size_t n_add, struct err *err)
{
	for (size_t i = 0; i < n_add; i++) {
		if (in_keys(keys, *n, add[i].keyid))
			continue;
		if (*n == KEYRING_KEYS_MAX)
			return fail(err, "%s: more than %d keys", opt, KEYRING_KEYS_MAX);
		keys[(*n)++] = add[i];
	}
	return 0;
}

/* --rebuilder-keys replaces the list ("" empties it); --reproductions 0 drops the policy. */
static int apply_reproductions(const struct kr_opts *o, struct keyring *kr)
{
	struct keyring_reproductions *r = &kr->reproductions;
	struct err err;

	if (o->rebuilders && key_list("--rebuilder-keys", o->rebuilders, false, r->rebuilder_keys,
	                              KEYRING_KEYS_MAX, &r->n_keys, &err) < 0)
		return cmd_error(CMD, &err);
	if (number("--reproductions", o->reproductions, 0, &r->required) < 0)
		return EXIT_USAGE;
	if (o->reproductions && !r->required)
		r->n_keys = 0;
	return 0;
}

static int apply_numbers(const struct kr_opts *o, struct keyring *kr)
{
	struct keyring_policy *pol = &kr->provenance;

	if ((o->repos && policy_list("--provenance-repositories", o->repos, pol->repositories,
	                             &pol->n_repositories) < 0) ||
	    (o->refs && policy_list("--provenance-refs", o->refs, pol->ref_patterns,
	                            &pol->n_ref_patterns) < 0) ||
	    (o->builders && policy_list("--provenance-builders", o->builders, pol->builder_ids,
	                                &pol->n_builder_ids) < 0))
		return -1;
	if (number("--threshold", o->threshold, 1, &kr->threshold) < 0 ||
	    number("--min-serial", o->min_serial, 0, &kr->min_serial) < 0 ||
	    number("--expires", o->expires, 0, &kr->expires) < 0)
		return -1;
	return 0;
}

static int do_create(const struct kr_opts *o)
{
	struct keyring kr = {.version = 1, .threshold = 1};
	struct err err;
	int rc;

	if (!o->out || !o->kkeys)
		return cmd_usage_error(CMD, "create needs -o FILE and --keyring-keys PUB[,PUB...]");
	if (key_list("--keyring-keys", o->kkeys, false, kr.keyring_keys, KEYRING_KEYS_MAX,
	             &kr.n_keyring, &err) < 0 ||
	    (o->rkeys && key_list("--release-keys", o->rkeys, false, kr.release_keys,
	                          KEYRING_KEYS_MAX, &kr.n_release, &err) < 0))
		return cmd_error(CMD, &err);
	if (apply_numbers(o, &kr) < 0)
		return EXIT_USAGE;
	if ((rc = apply_reproductions(o, &kr)) != 0)
		return rc;
	if (write_proposal(o->out, &kr, &err) < 0)
		return cmd_error(CMD, &err);
	printf("wrote %s: keyring version 1 (unsigned: needs %llu signature%s)\n", o->out,
	       (unsigned long long)kr.threshold, kr.threshold == 1 ? "" : "s");
	return EXIT_OK;
}

static int do_next(const char *chain_path, const struct kr_opts *o)
{
	struct minisign_pubkey list[KEYRING_KEYS_MAX * 4];
	struct keyring_chain c = {0};
	struct keyring kr;
	struct err err;
	size_t n;
	int rc;

	if (!o->out)
		return cmd_usage_error(CMD, "next needs -o FILE");
	if (keyring_chain_load(chain_path, &c, NULL, NULL, &err) < 0)
		return cmd_error(CMD, &err);
	kr = *keyring_chain_newest(&c);
	keyring_chain_release(&c);
	kr.version++;
	if ((o->add_k &&
	     (key_list("--add-keyring-keys", o->add_k, false, list, KEYRING_KEYS_MAX * 4, &n,
	               &err) < 0 ||
	      add_keys("--add-keyring-keys", kr.keyring_keys, &kr.n_keyring, list, n, &err) < 0)) ||
	    (o->rm_k && key_list("--remove-keyring-keys", o->rm_k, true, list, KEYRING_KEYS_MAX * 4,
	                         &n, &err) < 0))
		return cmd_error(CMD, &err);
	if (o->rm_k)
		remove_keys(kr.keyring_keys, &kr.n_keyring, list, n);
	if ((o->add_r &&
	     (key_list("--add-release-keys", o->add_r, false, list, KEYRING_KEYS_MAX * 4, &n,
	               &err) < 0 ||
	      add_keys("--add-release-keys", kr.release_keys, &kr.n_release, list, n, &err) < 0)) ||
	    (o->rm_r && key_list("--remove-release-keys", o->rm_r, true, list, KEYRING_KEYS_MAX * 4,
	                         &n, &err) < 0))
		return cmd_error(CMD, &err);
	if (o->rm_r)
		remove_keys(kr.release_keys, &kr.n_release, list, n);
	if (o->revoke) {
		if (key_list("--revoke", o->revoke, true, list, KEYRING_KEYS_MAX * 4, &n, &err) < 0)
			return cmd_error(CMD, &err);
		remove_keys(kr.release_keys, &kr.n_release, list, n);
		for (size_t i = 0; i < n; i++) {
			bool known = false;

			for (size_t j = 0; j < kr.n_revoked && !known; j++)
				known = !memcmp(kr.revoked[j], list[i].keyid, MINISIGN_KEYID_BYTES);
			if (known)
				continue;
			if (kr.n_revoked == KEYRING_REVOKED_MAX)
				return cmd_fail(CMD, EXIT_NO, "--revoke: more than %d revoked keys",
				                KEYRING_REVOKED_MAX);
			memcpy(kr.revoked[kr.n_revoked++], list[i].keyid, MINISIGN_KEYID_BYTES);
		}
	}
	if (apply_numbers(o, &kr) < 0)
		return EXIT_USAGE;
	if ((rc = apply_reproductions(o, &kr)) != 0)
		return rc;
	if (write_proposal(o->out, &kr, &err) < 0)
		return cmd_error(CMD, &err);
	printf("wrote %s: keyring version %llu (unsigned)\n", o->out,
	       (unsigned long long)kr.version);
	return EXIT_OK;
}

static int do_sign(const char *path, const struct kr_opts *o)
{
	struct minisign_seckey sk;
	struct envelope e = {0};
	struct keyring kr;
	struct err err;
	char tc[64], id[17], *sig = NULL;
	int rc = EXIT_OK;

	if (!signing_key_source(o->sec))
		return cmd_usage_error(CMD, "no secret key: pass -s SECFILE or set "
		                            "SLIPWAY_SECRET_KEY or SLIPWAY_SECRET_KEY_DATA");
	if (read_proposal(path, &e, &kr, &err) < 0) {
		envelope_release(&e);
		return cmd_error(CMD, &err);
	}
	if (signing_key_load(o->sec, &sk, &err) < 0) {
		envelope_release(&e);
		return cmd_error(CMD, &err);
	}
	snprintf(tc, sizeof(tc), "slipway keyring version:%llu", (unsigned long long)kr.version);
	if (envelope_sign(&e, &sk, tc, &sig, &err) < 0 ||
	    (o->sig ? write_path_atomic(o->sig, sig, strlen(sig), 0644, 0, &err)
	            : write_envelope(path, &e, &err)) < 0)
		rc = cmd_error(CMD, &err);
	minisign_keyid_hex(sk.keyid, id);
	minisign_seckey_wipe(&sk);
	if (rc == EXIT_OK)
		printf("key %s signed keyring version %llu: %s\n", id,
		       (unsigned long long)kr.version, o->sig ? o->sig : path);
	free(sig);
	envelope_release(&e);
	return rc;
}

static int do_attach(const char *path, const struct kr_opts *o)
{
	struct envelope e = {0};
	struct keyring kr;
	struct err err;
	char *text = NULL;
	size_t len = 0;
	int rc = EXIT_OK;

	if (!o->sig)
		return cmd_usage_error(CMD, "attach needs -x SIGFILE");
	if (read_proposal(path, &e, &kr, &err) < 0 ||
	    minisign_sig_read(o->sig, &text, &len, &err) < 0 ||
	    envelope_add_sig(&e, text, len, &err) < 0 || write_envelope(path, &e, &err) < 0)
		rc = cmd_error(CMD, &err);
	else
		printf("attached %s to %s\n", o->sig, path);
	free(text);
	envelope_release(&e);
	return rc;
}

static int do_append(const char *chain_path, const struct kr_opts *o)
{
	struct keyring_chain c = {0}, one = {0};
	struct envelope e = {0};
	struct keyring kr;
	struct err err;
	char *text = NULL, *line = NULL, *all = NULL;
	size_t len = 0, llen = 0, size = 0;
	int rc = EXIT_NO;

	if (!o->from)
		return cmd_usage_error(CMD, "append needs --from FILE (the signed proposal)");
	if (read_proposal(o->from, &e, &kr, &err) < 0 ||
	    envelope_format(&e, &line, &llen, &err) < 0)
		goto fail;
	if (access(chain_path, F_OK) == 0) {
		if (read_text(chain_path, &text, &len, &err) < 0 ||
		    keyring_chain_parse(text, len, chain_path, &c, &err) < 0 ||
		    keyring_step(keyring_chain_newest(&c), &kr, &e, &err) < 0)
			goto fail;
	} else if (kr.version != 1) {
		fail(&err, "%s does not exist: only version 1 starts a chain", chain_path);
		goto fail;
	} else if (keyring_chain_parse(line, llen, o->from, &one, &err) < 0) {
		goto fail;
	}
	size = len + llen;
	if (size > KEYRING_FILE_MAX || !(all = malloc(size))) {
		fail(&err, "%s would be larger than %u bytes", chain_path, KEYRING_FILE_MAX);
		goto fail;
	}
	if (len)
		memcpy(all, text, len);
	memcpy(all + len, line, llen);
	if (write_path_atomic(chain_path, all, size, 0644, 0, &err) < 0)
		goto fail;
	printf("%s: keyring version %llu appended\n", chain_path, (unsigned long long)kr.version);
	rc = EXIT_OK;
	goto out;
fail:
	rc = cmd_error(CMD, &err);
out:
	keyring_chain_release(&c);
	keyring_chain_release(&one);
	envelope_release(&e);
	free(text);
	free(line);
	free(all);
	return rc;
}

static void print_ids(const char *what, const struct minisign_pubkey *keys, size_t n)
{
	char id[17];

	printf("  %s:", what);
	for (size_t i = 0; i < n; i++) {
		minisign_keyid_hex(keys[i].keyid, id);
		printf(" %s", id);
	}
	printf(n ? "\n" : " none\n");
}

static void print_keyring(const struct keyring *kr, const struct envelope *e)
{
	char when[CLOCK_ISO_SIZE], id[17];

	printf("keyring version %llu\n", (unsigned long long)kr->version);
	printf("  floor (min_serial): %llu\n", (unsigned long long)kr->min_serial);
	if (kr->expires && clock_iso_utc((time_t)kr->expires, when))
		printf("  releases refused from: %s\n", when);
	else
		printf("  releases refused from: never\n");
	printf("  threshold: %llu of %zu keyring keys\n", (unsigned long long)kr->threshold,
	       kr->n_keyring);
	print_ids("keyring keys", kr->keyring_keys, kr->n_keyring);
	print_ids("release keys", kr->release_keys, kr->n_release);
	printf("  revoked:");
	for (size_t i = 0; i < kr->n_revoked; i++) {
		minisign_keyid_hex(kr->revoked[i], id);
		printf(" %s", id);
	}
	printf(kr->n_revoked ? "\n" : " none\n");
	if (keyring_policy_active(kr)) {
		const struct keyring_policy *p = &kr->provenance;

		printf("  provenance required:");
		for (size_t i = 0; i < p->n_repositories; i++)
			printf(" repository=%s", p->repositories[i]);
		for (size_t i = 0; i < p->n_ref_patterns; i++)
			printf(" ref=%s", p->ref_patterns[i]);
		for (size_t i = 0; i < p->n_builder_ids; i++)
			printf(" builder=%s", p->builder_ids[i]);
		putchar('\n');
	}
	if (kr->reproductions.required) {
		printf("  reproductions required: %llu of the rebuilder keys\n",
		       (unsigned long long)kr->reproductions.required);
		print_ids("rebuilder keys", kr->reproductions.rebuilder_keys,
		          kr->reproductions.n_keys);
	}
	if (e) {
		printf("  signatures by:");
		for (size_t i = 0; i < e->n_sigs; i++) {
			minisign_keyid_hex(e->sigs[i].keyid, id);
			printf(" %s", id);
		}
		printf(e->n_sigs ? "\n" : " none\n");
		printf("  valid signatures of its own keyring keys: %zu of %llu needed\n",
		       envelope_count(e, kr->keyring_keys, kr->n_keyring),
		       (unsigned long long)kr->threshold);
	}
}

static int do_inspect(const char *path, const char *root)
{
	struct keyring_chain c = {0};
	struct envelope e = {0};
	struct keyring kr;
	struct err err;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!path) {
		struct store st;
		struct store_trust t;

		if ((rc = cmd_store_open(CMD, root, false, &st)) != EXIT_OK)
			return rc;
		if (store_trust_load(&st, &t, &err) < 0) {
			store_close(&st);
			return cmd_error(CMD, &err);
		}
		printf("store %s trusts %s\n", st.root,
		       t.chain ? STORE_KEYRING : STORE_PUBKEY " (the implicit keyring version 0)");
		print_keyring(&t.kr, NULL);
		store_trust_release(&t);
		store_close(&st);
		return EXIT_OK;
	}
	if (read_text(path, &text, &len, &err) < 0)
		return cmd_error(CMD, &err);
	rc = keyring_chain_parse(text, len, path, &c, &err);
	free(text);
	if (rc == 0) {
		printf("%s: a valid chain of %zu version%s\n", path, c.n, c.n == 1 ? "" : "s");
		for (size_t i = 0; i < c.n; i++)
			print_keyring(&c.links[i].kr, &c.links[i].env);
		keyring_chain_release(&c);
		return EXIT_OK;
	}
	/* Not a valid chain: maybe a proposal still collecting signatures. */
	if (read_proposal(path, &e, &kr, &err) < 0) {
		envelope_release(&e);
		return cmd_error(CMD, &err);
	}
	printf("%s: a proposal\n", path);
	print_keyring(&kr, &e);
	envelope_release(&e);
	return EXIT_OK;
}

static int do_adopt(const char *path, const char *root)
{
	struct store st;
	struct store_trust t;
	struct err err;
	size_t n = 0;
	int rc;

	if ((rc = cmd_store_open(CMD, root, true, &st)) != EXIT_OK)
		return rc;
	if (store_trust_load(&st, &t, &err) < 0 ||
	    store_trust_adopt_file(&st, &t, path, false, &n, &err) < 0) {
		rc = cmd_error(CMD, &err);
	} else if (n) {
		printf("adopted %zu keyring version%s: %s now trusts version %llu (floor %llu)\n",
		       n, n == 1 ? "" : "s", st.root, (unsigned long long)t.kr.version,
		       (unsigned long long)t.kr.min_serial);
	} else {
		printf("%s already trusts version %llu: nothing newer in %s\n", st.root,
		       (unsigned long long)t.kr.version, path);
	}
	store_trust_release(&t);
	store_close(&st);
	return rc;
}

int cmd_keyring(int argc, char **argv)
{
	struct kr_opts o = {0};
	const struct cmd_option opts[] = {
	    {"output", 'o', NULL, &o.out},
	    {"keyring-keys", 0, NULL, &o.kkeys},
	    {"release-keys", 0, NULL, &o.rkeys},
	    {"add-keyring-keys", 0, NULL, &o.add_k},
	    {"remove-keyring-keys", 0, NULL, &o.rm_k},
	    {"add-release-keys", 0, NULL, &o.add_r},
	    {"remove-release-keys", 0, NULL, &o.rm_r},
	    {"revoke", 0, NULL, &o.revoke},
	    {"threshold", 0, NULL, &o.threshold},
	    {"min-serial", 0, NULL, &o.min_serial},
	    {"expires", 0, NULL, &o.expires},
	    {"seckey", 's', NULL, &o.sec},
	    {"sig", 'x', NULL, &o.sig},
	    {"from", 0, NULL, &o.from},
	    {"provenance-repositories", 0, NULL, &o.repos},
	    {"provenance-refs", 0, NULL, &o.refs},
	    {"provenance-builders", 0, NULL, &o.builders},
	    {"reproductions", 0, NULL, &o.reproductions},
	    {"rebuilder-keys", 0, NULL, &o.rebuilders},
	    {0},
	};
	struct cmd_parse p = {.cmd = CMD, .usage = usage_text, .common = CMD_ROOT, .opts = opts};
	const char *sub = argc > 1 ? argv[1] : NULL, *file;

	if (!sub || sub[0] == '-') {
		if (sub && (!strcmp(sub, "-h") || !strcmp(sub, "--help"))) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		return cmd_usage_error(CMD, "no subcommand given (create, next, sign, attach, "
		                            "append, inspect, adopt)");
	}
	p.args = !strcmp(sub, "create") ? NULL : !strcmp(sub, "inspect") ? "[file]" : "file";
	if (cmd_parse(&p, argc - 1, argv + 1) < 0)
		return p.exit;
	file = p.n_operands ? p.operands[0] : NULL;
	if (!strcmp(sub, "create"))
		return do_create(&o);
	if (!strcmp(sub, "next"))
		return do_next(file, &o);
	if (!strcmp(sub, "sign"))
		return do_sign(file, &o);
	if (!strcmp(sub, "attach"))
		return do_attach(file, &o);
	if (!strcmp(sub, "append"))
		return do_append(file, &o);
	if (!strcmp(sub, "inspect")) {
		if (!file && !cmd_store_root(CMD, p.root))
			return EXIT_USAGE;
		return do_inspect(file, p.root);
	}
	if (!strcmp(sub, "adopt"))
		return do_adopt(file, p.root);
	return cmd_usage_error(CMD,
	                       "unknown subcommand '%s' (create, next, sign, attach, append, "
	                       "inspect, adopt)",
	                       sub);
}
