#include <criterion/criterion.h>

#include "pack/collect.h"
#include "release/base/error.h"

#include <string.h>

Test(collect, never_pack_rules)
{
	cr_assert_not_null(collect_never_pack_reason(".git"));
	cr_assert_not_null(collect_never_pack_reason("agent/.git/config"));
	cr_assert_not_null(collect_never_pack_reason(".env"));
	cr_assert_not_null(collect_never_pack_reason("public/.env.production"));
	cr_assert_not_null(collect_never_pack_reason("certs/tls.pem"));
	cr_assert_not_null(collect_never_pack_reason("id.key"));
	cr_assert_not_null(collect_never_pack_reason(".next/cache"));
	cr_assert_not_null(collect_never_pack_reason(".next/standalone/.next/cache/x"));
	cr_assert_null(collect_never_pack_reason(".next/standalone/server.js"));
	cr_assert_null(collect_never_pack_reason("node_modules/cache/index.js"));
	cr_assert_null(collect_never_pack_reason("docs/keyboard.md"));
	cr_assert_null(collect_never_pack_reason("a.gitignore"));
	cr_assert_null(collect_never_pack_reason("environment.ts"));
}

Test(collect, exclude_patterns)
{
	cr_assert(collect_exclude_matches("*.map", ".next/static/chunks/app.js.map"));
	cr_assert(collect_exclude_matches(".next/cache", ".next/cache"));
	cr_assert(collect_exclude_matches("agent/tests/", "agent/tests"));
	cr_assert(collect_exclude_matches("agent/*.md", "agent/README.md"));
	cr_assert(!collect_exclude_matches("agent/*.md", "agent/docs/x.md"));
	cr_assert(!collect_exclude_matches("*.map", "sitemap.xml"));
}
