# e2e: long
# e2e: not under sanitizers: mostly npm and a Next.js build; the pack paths it takes run under the sanitizers in t_pack_zero_config and t_pack_mediai
# Vercel's deploy-google-cloud-run template (tests/e2e/fixtures: Next 15, TypeScript,
# next.config.ts with standalone output, no "name" in package.json, no public/) packs,
# deploys and serves with no slipway.ini: the name comes from the directory, the web service
# is detected, and the page and its /_next/static assets answer through `slipway run`.
# The detected web service listens on port 5000, as a user's would; the supervisor runs in a
# network namespace of its own (root, as everywhere here) so that port is ours alone.
source "$REPO/tests/e2e/fixture.sh"
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"

P="$T/deploy-google-cloud-run"
fixture_template deploy-google-cloud-run "$P" >fixture.log 2>&1 || fail "fixture: $(tail -20 fixture.log)"
assert_no_file "$P/slipway.ini"
(cd "$P" && git init -q && git add -A && git commit -qm "template" && git tag v1) || fail "git"

expect_rc 0 "$SLIPWAY" pack "$P" --print-config
assert_contains "$out" "; name: from the directory name 'deploy-google-cloud-run' (package.json has no \"name\")"
assert_contains "$out" "[service web]"
assert_contains "$out" "command = node server.js"
assert_not_contains "$out" "[service agent]" "print-config"

test_key "$T/k"
expect_rc 0 "$SLIPWAY" pack "$P" -o "$T/out" -s "$T/k/test.key"
A=$T/out/deploy-google-cloud-run-v1.tar.zst
assert_eq "$out" "$A" "archive"
assert_contains "$errout" "app name 'deploy-google-cloud-run': from the directory name"
assert_contains "$errout" "building: npm run build"
expect_rc 0 minisign -V -q -p "$T/k/test.pub" -m "$A"
tar -tf "$A" >"$T/list" || fail "GNU tar cannot list the archive"
grep -qx ".next/standalone/server.js" "$T/list" || fail "no server.js in the archive"
grep -q '^\.next/standalone/\.next/static/chunks/.*\.js$' "$T/list" || fail "no static chunks next to server.js"
! grep -q '^\.next/standalone/public/' "$T/list" || fail "a public/ the template does not have"

S="$T/store"
expect_rc 0 "$SLIPWAY" init --root "$S" -p "$T/k/test.pub"
expect_rc 0 "$SLIPWAY" deploy "$A" --root "$S"
assert_eq "$(readlink "$S/current")" "releases/v1" "current"
echo "HOSTNAME=127.0.0.1" >>"$S/shared/env"

cat >serve.sh <<'SH'
set -u
source "$POLL_SH"
ip link set lo up || exit 10
"$SLIPWAY" run --root "$S" >run.log 2>&1 &
run=$!
# page_up: the page answers 200, or slipway run ended (the checks below tell which).
page_up() {
	code=$(curl -s -o page.html -w '%{http_code}' --max-time 2 http://127.0.0.1:5000/) &&
		[ "$code" = 200 ] || ! kill -0 "$run" 2>/dev/null
}
status_ready() { "$SLIPWAY" status --root "$S" >status.txt 2>&1; grep -q "web        ready" status.txt; }
run_gone() { ! kill -0 "$run" 2>/dev/null; }
code=
poll_for 60 page_up
echo "$code" >page.code
asset=$(grep -o '/_next/static/[^"]*\.js' page.html 2>/dev/null | head -1)
echo "$asset" >asset.path
[ -n "$asset" ] && curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:5000$asset" >asset.code
poll_for 20 status_ready
kill -TERM "$run"
poll_for 30 run_gone
kill -KILL "$run" 2>/dev/null
wait "$run"
echo $? >run.rc
SH
S=$S POLL_SH=$REPO/tests/e2e/poll.sh unshare --net bash serve.sh || fail "serve.sh failed ($?): $(cat run.log 2>/dev/null)"
assert_eq "$(cat page.code)" 200 "GET / (run log: $(cat run.log))"
assert_contains "$(cat page.html)" "Served by slipway without a slipway.ini" "page"
[ -n "$(cat asset.path)" ] || fail "the page references no /_next/static script"
assert_eq "$(cat asset.code)" 200 "GET $(cat asset.path)"
assert_contains "$(cat status.txt)" "web        ready" "status"
assert_eq "$(cat run.rc)" 0 "slipway run after SIGTERM"
