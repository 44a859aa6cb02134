# The real thing: the example Next.js app (pinned next/react/react-dom, npm ci'd by the
# fixture) built by `slipway pack` itself with `npm run build` (the build is shared with the
# demo's v1, tests/e2e/fixture.sh); GNU tar lists and extracts
# the archive; `node server.js` from the extracted .next/standalone serves the page, a
# /_next/static asset and public/robots.txt on a loopback port; stock minisign accepts
# the signature.
source "$REPO/tests/e2e/fixture.sh"
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"

server=
cleanup() { [ -n "$server" ] && kill -9 "$server" 2>/dev/null; }
trap cleanup EXIT

fixture_mediai "$T/app" || fail "fixture_mediai"
cd "$T/app"
printf 'node_modules/\n.next/\n' >.gitignore
git init -q && git add -A && git commit -qm "mediai" && git tag v1 || fail "git"
test_key "$T/k"

expect_rc 0 "$SLIPWAY" pack -o "$T/out" -s "$T/k/test.key"
A=$T/out/mediai-v1.tar.zst
assert_eq "$out" "$A" "stdout"
assert_contains "$errout" "building: npm run build"
assert_file "$A.minisig"

# The file list, by GNU tar.
tar -tf "$A" >"$T/list" || fail "GNU tar cannot list the archive"
assert_eq "$(head -1 "$T/list")" "slipway-manifest.json" "first entry"
for want in .next/standalone/server.js .next/standalone/.next/BUILD_ID \
	.next/standalone/public/robots.txt .next/standalone/package.json agent/main.py \
	.next/standalone/node_modules/next/package.json; do
	grep -qx -- "$want" "$T/list" || fail "$want missing from the archive"
done
grep -q '^\.next/standalone/\.next/static/chunks/.*\.js$' "$T/list" || fail "no static chunks next to server.js"
! grep -q '/cache/' "$T/list" || fail ".next/cache packed: $(grep /cache/ "$T/list" | head -3)"
! grep -q '^node_modules/' "$T/list" || fail "the project's node_modules packed"
! grep -q '^\.next/static/' "$T/list" || fail ".next/static packed outside the standalone dir"
# Entries after the manifest are sorted bytewise.
tail -n +2 "$T/list" | sed 's|/$||' >"$T/paths"
LC_ALL=C sort -c "$T/paths" || fail "entries are not sorted"

# The manifest names the services from slipway.ini.
manifest_of "$A" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" '[(s["name"], s["argv"], s["cwd"], s["port"], s["ready_path"] if s["ready"] == "http" else None) for s in m["services"]]')" \
	"[('web', ['node', 'server.js'], '.next/standalone', 5000, '/api/health'), ('agent', ['python3', 'agent/main.py', 'start'], '.', 0, None)]"

# Stock minisign accepts it.
(cd "$T/out" && minisign -V -p "$T/k/test.pub" -m mediai-v1.tar.zst) >"$T/v" 2>&1 || fail "minisign -V: $(cat "$T/v")"
assert_contains "$(cat "$T/v")" "app:mediai version:v1 serial:$(commit_time .) file:mediai-v1.tar.zst"

# Extract with GNU tar and serve it.
mkdir "$T/x" && tar -C "$T/x" -xf "$A" || fail "GNU tar cannot extract"
port=$(free_port)
(cd "$T/x/.next/standalone" && exec env -u NODE_OPTIONS PORT="$port" HOSTNAME=127.0.0.1 node server.js) >"$T/server.log" 2>&1 &
server=$!
served() { code=$(curl -s -o "$T/page.html" -w '%{http_code}' "http://127.0.0.1:$port/") && [ "$code" = 200 ]; }
code=
poll_for 15 served
assert_eq "$code" 200 "GET / (server log: $(cat "$T/server.log"))"
assert_contains "$(cat "$T/page.html")" "id=\"release\">v1<" "page (the build saw SLIPWAY_VERSION)"
asset=$(grep -o '/_next/static/[^"]*\.js' "$T/page.html" | head -1)
[ -n "$asset" ] || fail "no /_next/static script in the page"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$asset")" 200 "GET $asset"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/robots.txt")" 200 "GET /robots.txt"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health")" 200 "GET /api/health"
