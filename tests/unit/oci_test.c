#include <criterion/criterion.h>

#include "release/base/error.h"
#include "release/oci/layout.h"
#include "release/oci/oci.h"

#include <stdlib.h>
#include <string.h>

Test(oci, tag_check_follows_the_image_layout_grammar)
{
	static const char *good[] = {"1.0.0", "v1.5.0+build.2", "a--b", "team/app:1", "x", NULL};
	static const char *bad[] = {"", "-a", "a-", "a..b", "a b", "a---b", "é", "a/", NULL};
	char long_tag[200];
	struct err err;

	for (int i = 0; good[i]; i++)
		cr_assert_eq(oci_tag_check(good[i], &err), 0, "%s: %s", good[i], err.msg);
	for (int i = 0; bad[i]; i++) {
		cr_assert_eq(oci_tag_check(bad[i], &err), -1, "%s accepted", bad[i]);
		cr_assert_eq(err.kind, ERR_REFUSED);
	}
	memset(long_tag, 'a', 129);
	long_tag[129] = '\0';
	cr_assert_eq(oci_tag_check(long_tag, &err), -1, "129 bytes accepted");
}

Test(oci, release_dir_is_where_a_store_keeps_it)
{
	char *d = oci_release_dir("mediai", "1.4.0");

	cr_assert_str_eq(d, "/srv/mediai/releases/1.4.0");
	free(d);
}

Test(oci, env_has_matches_whole_names_only)
{
	char *env[] = {"PORTS=1", "HOST=x", NULL};

	cr_assert(!oci_env_has(env, "PORT=5000"));
	cr_assert(oci_env_has(env, "HOST=y"));
	cr_assert(oci_env_has(env, "PORTS"));
	cr_assert(!oci_env_has(NULL, "HOST=y"));
}

Test(oci, json_parse_refuses_duplicate_keys_trailing_data_and_non_objects)
{
	struct err err;
	json_object *o = NULL;
	static const char dup[] = "{\"a\":1,\"a\":2}", trail[] = "{\"a\":1} x", arr[] = "[1]",
	                  ok[] = "{\"a\":{\"b\":[1,2]}}\n", ctl[] = "{\"hist\x0cory\":[]}";

	cr_assert_eq(oci_json_parse(dup, strlen(dup), "doc", &o, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert_eq(oci_json_parse(trail, strlen(trail), "doc", &o, &err), -1);
	cr_assert_eq(err.kind, ERR_REFUSED, "%s", err.msg);
	cr_assert_eq(oci_json_parse(arr, strlen(arr), "doc", &o, &err), -1);
	cr_assert_eq(oci_json_parse(ctl, strlen(ctl), "doc", &o, &err), -1, "a raw control byte");
	cr_assert_eq(oci_json_parse(ok, strlen(ok), "doc", &o, &err), 0, "%s", err.msg);
	json_object_put(o);
}

Test(oci, desc_parse_takes_only_sha256_digests_with_a_size)
{
	struct oci_desc d;
	struct err err;
	json_object *o = json_object_new_object();
	const char *hex = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	json_object_object_add(o, "mediaType", json_object_new_string(OCI_MEDIA_LAYER_GZ));
	json_object_object_add(o, "digest", json_object_new_string("sha512:00"));
	json_object_object_add(o, "size", json_object_new_int(3));
	cr_assert_eq(oci_desc_parse(o, "layer", &d, &err), -1);
	cr_assert(strstr(err.msg, "sha256"), "%s", err.msg);
	json_object_object_add(o, "digest", json_object_new_string(hex));
	cr_assert_eq(oci_desc_parse(o, "layer", &d, &err), 0, "%s", err.msg);
	cr_assert_str_eq(d.digest, hex);
	cr_assert_eq(d.size, 3);
	json_object_object_add(o, "size", json_object_new_int(-1));
	cr_assert_eq(oci_desc_parse(o, "layer", &d, &err), -1);
	json_object_put(o);
}
