/* Where the signing key comes from, and that its secrets leave the environment once loaded.
 * The key is the unit fixture's TEST KEY (unencrypted, made by stock minisign -G -W). */
#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/sig/signing_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char fx_sec[] =
    "untrusted comment: TEST KEY - slipway unit fixture, not for real use\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAksAX1Z8sabXULFvKzc"
    "G7I/vFZOCRk0uTSIOElAwQbEk39sh3TpVH0q5KJP8TNt7GwUXpRD09G2EydYpBnAaQwLxGlCHANrH2AAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const unsigned char fx_keyid[8] = {0x92, 0xc0, 0x17, 0xd5, 0x9f, 0x2c, 0x69, 0xb5};

static void clear_env(void)
{
	unsetenv("SLIPWAY_SECRET_KEY");
	unsetenv("SLIPWAY_SECRET_KEY_DATA");
	unsetenv("SLIPWAY_PASSWORD");
}

TestSuite(signing_key, .init = clear_env);

Test(signing_key, no_source_is_reported_as_such)
{
	struct minisign_seckey sk;
	struct err err;

	cr_assert_null(signing_key_source(NULL));
	cr_assert_null(signing_key_source(""));
	setenv("SLIPWAY_SECRET_KEY", "", 1);
	cr_assert_null(signing_key_source(NULL), "an empty variable counts as unset");
	cr_assert_eq(signing_key_load(NULL, &sk, &err), -1);
	cr_assert(strstr(err.msg, "no secret key"), "%s", err.msg);
}

Test(signing_key, option_wins_over_path_variable_which_wins_over_data)
{
	setenv("SLIPWAY_SECRET_KEY_DATA", fx_sec, 1);
	cr_assert_str_eq(signing_key_source(NULL), "$SLIPWAY_SECRET_KEY_DATA");
	setenv("SLIPWAY_SECRET_KEY", "env.key", 1);
	cr_assert(strstr(signing_key_source(NULL), "env.key"));
	cr_assert_str_eq(signing_key_source("opt.key"), "opt.key");
}

Test(signing_key, key_data_loads_and_secrets_leave_the_environment)
{
	struct minisign_seckey sk;
	struct err err;

	setenv("SLIPWAY_SECRET_KEY_DATA", fx_sec, 1);
	setenv("SLIPWAY_PASSWORD", "not needed", 1);
	cr_assert_eq(signing_key_load(NULL, &sk, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(sk.keyid, fx_keyid, 8), 0);
	cr_assert_null(getenv("SLIPWAY_SECRET_KEY_DATA"));
	cr_assert_null(getenv("SLIPWAY_PASSWORD"));
	minisign_seckey_wipe(&sk);
}

Test(signing_key, secrets_leave_the_environment_even_when_loading_fails)
{
	struct minisign_seckey sk;
	struct err err;

	setenv("SLIPWAY_SECRET_KEY_DATA", "untrusted comment: x\nnot base64\n", 1);
	setenv("SLIPWAY_PASSWORD", "secret", 1);
	cr_assert_eq(signing_key_load(NULL, &sk, &err), -1);
	cr_assert(strstr(err.msg, "malformed secret key"), "%s", err.msg);
	cr_assert_null(getenv("SLIPWAY_SECRET_KEY_DATA"));
	cr_assert_null(getenv("SLIPWAY_PASSWORD"));
}

Test(signing_key, path_option_loads_the_file)
{
	struct minisign_seckey sk;
	struct err err;
	char path[] = "/tmp/slipway-key-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, fx_sec, strlen(fx_sec)), (ssize_t)strlen(fx_sec));
	close(fd);
	setenv("SLIPWAY_SECRET_KEY", "/nonexistent/key", 1);
	cr_assert_eq(signing_key_load(path, &sk, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(sk.keyid, fx_keyid, 8), 0);
	cr_assert_eq(signing_key_load(NULL, &sk, &err), -1, "the path variable is used next");
	cr_assert(strstr(err.msg, "/nonexistent/key"), "%s", err.msg);
	unlink(path);
	minisign_seckey_wipe(&sk);
}
