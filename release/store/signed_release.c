/* See signed_release.h. */
#include "release/store/signed_release.h"
#include "release/manifest/manifest_check.h"
#include "release/sig/minisign.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int signed_comment_fields(const char *tc, char **app, char **version, uint64_t *serial,
                          struct err *err)
{
	struct err e2;
	char *s = NULL;

	*app = *version = NULL;
	if (minisign_comment_get(tc, "app", app, &e2) < 0 ||
	    minisign_comment_get(tc, "version", version, &e2) < 0 ||
	    minisign_comment_get(tc, "serial", &s, &e2) < 0) {
		free(s);
		return fail(err,
		            "the signed trusted comment lacks app:, version: or serial: (%s); "
		            "sign releases with slipway pack or slipway sign -t",
		            e2.msg);
	}
	if (serial_parse(s, serial, &e2) < 0 || version_check(*version, &e2) < 0) {
		free(s);
		return fail(err, "the signed trusted comment has an invalid version or serial");
	}
	free(s);
	return 0;
}

int signed_manifest_agrees(const struct manifest *m, const char *app, const char *version,
                           uint64_t serial, struct err *err)
{
	if (strcmp(m->app, app))
		return fail(err, "the manifest says app %s, the signature says %s", m->app, app);
	if (strcmp(m->version, version))
		return fail(err, "the manifest says version %s, the signature says %s", m->version,
		            version);
	if (m->serial != serial)
		return fail(err, "the manifest says serial %llu, the signature says %llu",
		            (unsigned long long)m->serial, (unsigned long long)serial);
	return 0;
}

static int hex_digest(const char *hex, uint8_t out[MANIFEST_DIGEST_BYTES])
{
	if (strlen(hex) != 2 * MANIFEST_DIGEST_BYTES ||
	    strspn(hex, "0123456789abcdef") != 2 * MANIFEST_DIGEST_BYTES)
		return -1;
	for (size_t i = 0; i < MANIFEST_DIGEST_BYTES; i++) {
		char b[3] = {hex[2 * i], hex[2 * i + 1], 0};

		out[i] = (uint8_t)strtoul(b, NULL, 16);
	}
	return 0;
}

int signed_comment_manifest(const char *tc, uint8_t out[MANIFEST_DIGEST_BYTES], struct err *err)
{
	char *mhex = NULL;
	struct err none;
	int r = 0;

	if (minisign_comment_get(tc, MINISIGN_MANIFEST_FIELD, &mhex, &none) < 0)
		return 1;
	if (hex_digest(mhex, out) < 0)
		r = fail(err,
		         "the signed trusted comment's manifest: is not 64 lower-case hex digits");
	free(mhex);
	return r;
}

int signed_release_verify(const struct keyring *kr, const char *sig_text, size_t sig_len,
                          const uint8_t *archive_digest, char **tc, struct err *err)
{
	struct minisign_sig sig;
	struct minisign_pubkey key;
	int r;

	*tc = NULL;
	if (minisign_sig_parse(sig_text, sig_len, &sig, err) < 0)
		return -1;
	r = keyring_release_key(kr, sig.keyid, &key, err);
	minisign_sig_release(&sig);
	if (r < 0)
		return -1;
	if (archive_digest)
		return minisign_verify_digest(&key, sig_text, sig_len, archive_digest, tc, err);
	return minisign_verify_comment(&key, sig_text, sig_len, tc, err);
}

int signed_release_open(const struct keyring *kr, const char *sig_text, size_t sig_len,
                        const uint8_t *archive_digest, struct signed_release *out, struct err *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (signed_release_verify(kr, sig_text, sig_len, archive_digest, &out->tc, err) < 0)
		return fail_prefix(err, "signature");
	out->file_checked = archive_digest != NULL;
	if (signed_comment_fields(out->tc, &out->app, &out->version, &out->serial, err) < 0)
		goto fail;
	if ((r = signed_comment_manifest(out->tc, out->manifest_sha256, err)) != 0) {
		if (r > 0)
			fail(err, "the signed trusted comment has no manifest: field (an archive "
			          "packed before slipway knew it): deliver the whole archive with "
			          "deploy");
		goto fail;
	}
	if (keyring_judge(kr, out->serial, time(NULL), err) < 0)
		goto fail;
	return 0;
fail:
	signed_release_release(out);
	return fail_recast(err, ERR_REFUSED);
}

int signed_release_manifest(const struct signed_release *s, const char *bytes, size_t len,
                            struct manifest **m, struct err *err)
{
	uint8_t d[MANIFEST_DIGEST_BYTES];

	*m = NULL;
	if (len > MANIFEST_MAX_BYTES)
		return fail(err, "manifest larger than %u bytes", MANIFEST_MAX_BYTES);
	manifest_digest(bytes, len, d);
	if (memcmp(d, s->manifest_sha256, sizeof(d)))
		return fail(
		    err,
		    "the manifest's SHA-256 is not the signed comment's manifest: (altered, or "
		    "another release's)");
	if (manifest_parse(bytes, len, m, err) < 0) {
		fail_prefix(err, "manifest");
		return fail_recast(err, ERR_REFUSED);
	}
	if (signed_manifest_agrees(*m, s->app, s->version, s->serial, err) < 0) {
		manifest_free(*m);
		*m = NULL;
		return fail_recast(err, ERR_REFUSED);
	}
	return 0;
}

void signed_release_release(struct signed_release *s)
{
	free(s->app);
	free(s->version);
	free(s->tc);
	memset(s, 0, sizeof(*s));
}
