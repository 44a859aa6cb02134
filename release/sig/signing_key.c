#include "release/sig/signing_key.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/sig/password.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_PATH     "SLIPWAY_SECRET_KEY"
#define ENV_DATA     "SLIPWAY_SECRET_KEY_DATA"
#define ENV_PASSWORD "SLIPWAY_PASSWORD"

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const char *signing_key_source(const char *opt)
{
	static char desc[512];

	if (opt && *opt) {
		snprintf(desc, sizeof(desc), "%s", opt);
		return desc;
	}
	if (env_nonempty(ENV_PATH)) {
		snprintf(desc, sizeof(desc), "%s (from $" ENV_PATH ")", getenv(ENV_PATH));
		return desc;
	}
	if (env_nonempty(ENV_DATA))
		return "$" ENV_DATA;
	return NULL;
}

int signing_password(const char *prompt, char *buf, struct err *err)
{
	const char *env = getenv(ENV_PASSWORD);

	if (env) {
		if (strlen(env) >= PASSWORD_MAX)
			return fail_kind(err, ERR_USAGE,
			                 "$" ENV_PASSWORD " is longer than %d bytes",
			                 PASSWORD_MAX - 1);
		memcpy(buf, env, strlen(env) + 1);
		return 0;
	}
	if (password_prompt(prompt, buf, PASSWORD_MAX, err) < 0)
		return fail_prefix(err, "secret key is encrypted; set $" ENV_PASSWORD
		                        " or run on a terminal");
	return 0;
}

static void scrub_one(const char *name)
{
	char *v = getenv(name);

	if (v)
		OPENSSL_cleanse(v, strlen(v));
	unsetenv(name);
}

void signing_env_scrub(void)
{
	scrub_one(ENV_DATA);
	scrub_one(ENV_PASSWORD);
}

static int load_key(const char *opt, struct minisign_seckey *out, struct err *err);

int signing_key_load(const char *opt, struct minisign_seckey *out, struct err *err)
{
	int rc = load_key(opt, out, err);

	signing_env_scrub();
	/* An unusable key is a verdict on the key (exit 1), whatever made it unusable. */
	return rc < 0 ? fail_recast(err, ERR_REFUSED) : rc;
}

static int load_key(const char *opt, struct minisign_seckey *out, struct err *err)
{
	const char *path = NULL, *source = signing_key_source(opt);
	char *text = NULL, *owned = NULL, pw[PASSWORD_MAX];
	size_t len = 0;
	int encrypted = 0, rc = -1;

	pw[0] = '\0';
	if (!source)
		return fail(err,
		            "no secret key: pass -s SECFILE or set $" ENV_PATH " or $" ENV_DATA);
	if (opt && *opt)
		path = opt;
	else if (env_nonempty(ENV_PATH))
		path = getenv(ENV_PATH);
	if (path) {
		if (read_file_at(AT_FDCWD, path, MINISIGN_KEYFILE_MAX, 0, &owned, &len, err) < 0)
			return fail_prefix(err, "secret key");
		text = owned;
	} else {
		const char *data = getenv(ENV_DATA);

		/* Only the base64 line pasted into a CI secret is accepted too. */
		if (strncmp(data, "untrusted comment:", 18) != 0) {
			if (asprintf(&owned, "untrusted comment: \n%s", data) < 0)
				return fail_oom(err);
		} else if (!(owned = strdup(data))) {
			return fail_oom(err);
		}
		text = owned;
		len = strlen(owned);
	}
	if (minisign_seckey_is_encrypted(text, len, &encrypted, err) < 0) {
		fail_prefix(err, "%s", source);
		goto out;
	}
	if (encrypted && signing_password("Password for the secret key: ", pw, err) < 0)
		goto out;
	if (minisign_seckey_parse(text, len, encrypted ? pw : NULL, out, err) < 0) {
		fail_prefix(err, "%s", source);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(owned, len);
	free(owned);
	return rc;
}
