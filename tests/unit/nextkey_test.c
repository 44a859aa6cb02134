#include <criterion/criterion.h>

#include "pack/hash.h"
#include "pack/nextkey.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keys used only in these tests (base64 of 32 bytes). */
#define KEY  "GMzemgJnxIfXtXB95GbJv0RqgXxBPcroPMuv6XrKOaI="
#define KEY2 "feMBwDMwCC3aW6lIs5xglSEDnzR5RHmgAlAMdYpfRLk="

static char *strip(const char *in, int want_removed, struct strlist *keys)
{
	char *out = NULL;
	size_t n = 0;
	int r = nextkey_strip_text(in, strlen(in), &out, &n, keys);

	cr_assert_eq(r, want_removed, "removed %d members of %s", r, in);
	if (r == 0) {
		cr_assert_null(out);
		return strdup(in);
	}
	cr_assert_eq(strlen(out), n);
	return out;
}

Test(nextkey, strip_removes_last_member_of_server_reference_manifest)
{
	struct strlist keys = {0};
	char *out =
	    strip("{\"node\":{\"40d3\":{\"filename\":\"app/notes/actions.js\"}},\"edge\":{},"
	          "\"encryptionKey\":\"" KEY "\"}",
	          1, &keys);

	cr_assert_str_eq(
	    out, "{\"node\":{\"40d3\":{\"filename\":\"app/notes/actions.js\"}},\"edge\":{}}");
	cr_assert_eq(keys.n, 1);
	cr_assert_str_eq(keys.v[0], KEY);
	free(out);
	strlist_clear(&keys);
}

Test(nextkey, strip_removes_first_member_with_the_comma_after_it)
{
	char *out = strip("{ \"encryptionKey\" : \"" KEY "\",\n  \"node\": {} }", 1, NULL);

	cr_assert_str_eq(out, "{ \n  \"node\": {} }");
	free(out);
}

Test(nextkey, strip_removes_the_edge_env_entry_of_middleware_manifest)
{
	struct strlist keys = {0};
	char *out =
	    strip("{\"env\":{\"__NEXT_BUILD_ID\":\"v1\",\"NEXT_SERVER_ACTIONS_ENCRYPTION_KEY\":"
	          "\"" KEY2 "\",\"__NEXT_PREVIEW_MODE_ID\":\"x\"}}",
	          1, &keys);

	cr_assert_str_eq(out,
	                 "{\"env\":{\"__NEXT_BUILD_ID\":\"v1\",\"__NEXT_PREVIEW_MODE_ID\":\"x\"}}");
	cr_assert_str_eq(keys.v[0], KEY2);
	free(out);
	strlist_clear(&keys);
}

Test(nextkey, strip_handles_json_embedded_in_a_js_string)
{
	char *out =
	    strip("self.__RSC_SERVER_MANIFEST=\"{\\\"node\\\":{},\\\"encryptionKey\\\":\\\"" KEY
	          "\\\"}\"",
	          1, NULL);

	cr_assert_str_eq(out, "self.__RSC_SERVER_MANIFEST=\"{\\\"node\\\":{}}\"");
	free(out);
}

Test(nextkey, strip_keeps_a_placeholder_and_values_that_are_no_key)
{
	const char *in[] = {
	    "self.__RSC_SERVER_MANIFEST=\"{\\\"edge\\\":{},\\\"encryptionKey\\\":\\\"process.env."
	    "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY\\\"}\"",
	    "{\"encryptionKey\":\"short\"}",
	    "{\"encryptionKey\":\"GMzemgJnxIfXtXB95GbJv0RqgXxBPcroPMuv6XrKOaI\"}", /* no padding */
	    "{\"encryptionKey\":12}",
	    "{\"myencryptionKey\":\"" KEY "\"}",
	    "{\"note\":\"encryptionKey\"}",
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		free(strip(in[i], 0, NULL));
}

Test(nextkey, strip_removes_every_occurrence_and_lists_each_key_once)
{
	struct strlist keys = {0};
	char *out = strip("[{\"encryptionKey\":\"" KEY "\"},{\"encryptionKey\":\"" KEY
	                  "\"},{\"a\":1,\"encryptionKey\":\"" KEY2 "\"}]",
	                  3, &keys);

	cr_assert_str_eq(out, "[{},{},{\"a\":1}]");
	cr_assert_eq(keys.n, 2);
	free(out);
	strlist_clear(&keys);
}

Test(nextkey, strip_is_deterministic)
{
	const char *in = "{\"edge\":{},\"encryptionKey\":\"" KEY "\"}";
	char *a = strip(in, 1, NULL), *b = strip(in, 1, NULL);

	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(nextkey, carrier_names_only_the_manifests_under_next_server)
{
	cr_assert(nextkey_carrier(".next/server/server-reference-manifest.json"));
	cr_assert(nextkey_carrier(".next/standalone/.next/server/server-reference-manifest.json"));
	cr_assert(
	    nextkey_carrier(".next/standalone/apps/web/.next/server/middleware-manifest.json"));
	cr_assert(nextkey_carrier(".next/server/server-reference-manifest.js"));
	cr_assert_not(nextkey_carrier("server-reference-manifest.json"));
	cr_assert_not(nextkey_carrier("x.next/server/server-reference-manifest.json"));
	cr_assert_not(nextkey_carrier(".next/server/app/server-reference-manifest.json"));
	cr_assert_not(nextkey_carrier(".next/server/prerender-manifest.json"));
}

/* One file of `size` bytes of 'x' with `needle` at offset `at`, as a one-entry tree. */
static void tree_of_file(struct pack_tree *t, const char *path, size_t size, const char *needle,
                         size_t at)
{
	char *buf = malloc(size);
	FILE *f = fopen(path, "wb");

	cr_assert(buf && f);
	memset(buf, 'x', size);
	memcpy(buf + at, needle, strlen(needle));
	cr_assert_eq(fwrite(buf, 1, size, f), size);
	fclose(f);
	free(buf);
	memset(t, 0, sizeof(*t));
	t->v = calloc(1, sizeof(*t->v));
	t->n = t->cap = 1;
	t->v[0].path = strdup("public/leak.txt");
	t->v[0].src = strdup(path);
	t->v[0].type = MANIFEST_FILE;
	t->v[0].mode = 0644;
}

Test(nextkey, hash_refuses_a_file_carrying_a_removed_key_even_across_read_chunks)
{
	char path[] = "/tmp/slipway-nextkey-test.XXXXXX";
	int fd = mkstemp(path);
	struct strlist keys = {0};
	struct pack_tree t;
	struct err err;
	/* At the start, inside the first chunk, straddling the 1 MiB read boundary, at the end. */
	size_t size = READ_CHUNK + 4096, offsets[] = {0, 100, READ_CHUNK - 20, size - 44};

	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(strlist_push(&keys, KEY), 0);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		tree_of_file(&t, path, size, KEY, offsets[i]);
		cr_assert_eq(pack_tree_hash(&t, 1, &keys, NULL, NULL, &err), -1, "offset %zu",
		             offsets[i]);
		cr_assert_eq(err.kind, ERR_REFUSED);
		cr_assert(strstr(err.msg, "public/leak.txt"));
		cr_assert_null(strstr(err.msg, KEY), "the message shows the key");
		pack_tree_release(&t);
	}
	/* Another key, and no key at all, pass. */
	tree_of_file(&t, path, size, KEY2, READ_CHUNK - 20);
	cr_assert_eq(pack_tree_hash(&t, 1, &keys, NULL, NULL, &err), 0, "%s", err.msg);
	pack_tree_release(&t);
	unlink(path);
	strlist_clear(&keys);
}

Test(nextkey, hash_reads_a_rewritten_entry_from_memory)
{
	struct pack_tree t;
	struct err err;
	/* sha256("{}") */
	static const uint8_t want[32] = {0x44, 0x13, 0x6f, 0xa3, 0x55, 0xb3, 0x67, 0x8a,
	                                 0x11, 0x46, 0xad, 0x16, 0xf7, 0xe8, 0x64, 0x9e,
	                                 0x94, 0xfb, 0x4f, 0xc2, 0x1f, 0xe7, 0x7e, 0x83,
	                                 0x10, 0xc0, 0x60, 0xf6, 0x1c, 0xaa, 0xff, 0x8a};

	memset(&t, 0, sizeof(t));
	t.v = calloc(1, sizeof(*t.v));
	t.n = t.cap = 1;
	t.v[0].path = strdup(".next/server/server-reference-manifest.json");
	t.v[0].src = strdup("/nonexistent/never/read");
	t.v[0].type = MANIFEST_FILE;
	t.v[0].data = strdup("{}");
	t.v[0].size = 2;
	cr_assert_eq(pack_tree_hash(&t, 1, NULL, NULL, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(t.v[0].sha256, want, 32), 0);
	pack_tree_release(&t);
}
