# slipway run --follow URL: a fresh store pulls the channel nginx serves on loopback and
# serves it; a release published there later is pulled on the timer and switched to through
# the readiness gate (curl sees it, status shows the check); one whose web crashes is rolled
# back by the gate and not retried by later checks; an index edited after signing
# is refused with one log line however many checks see it, and the release before keeps
# serving. Keys are TEST KEYS.
source "$REPO/tests/e2e/run_helpers.sh"
source "$REPO/tests/e2e/pull_lib.sh"
trap 'run_cleanup; kill $NGINX_PID 2>/dev/null; wait 2>/dev/null' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

port=$(free_port)
S=$T/store C=$T/channel
mkdir -p "$C"
run_store "$S"
# follow_release VERSION SERIAL: a signed release whose web serves "release VERSION".
follow_release() {
	web_tree "$T/tree-$1" "$1"
	"$PY" "$REPO/tests/e2e/make_release.py" --tree "$T/tree-$1" --app testapp --version "$1" \
		--serial "$2" --out "$T/rel-$1.tar.zst" --sign "$T/test.key" \
		--service "$(web_service "$port")" >/dev/null || fail "make_release.py failed for $1"
	"$SLIPWAY" publish "$T/rel-$1.tar.zst" "$C" -s "$T/test.key" >/dev/null ||
		fail "publish $1 failed"
}
# follow_field KEY: a field of status --json's "follow" object.
follow_field() {
	"$SLIPWAY" status --root "$S" --json |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["supervisor"].get("follow", {}).get(sys.argv[1], ""))' "$1"
}
follow_is() { [ "$(follow_field "$1")" = "$2" ]; }
follow_checks_ge() { [ "$(follow_field checks)" -ge "$1" ]; }
live_release_is() {
	[ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["release"])' "$S/run/state.json")" = "$1" ]
}
follow_release 1.0.0 1
nginx_serve "$C"

# bad options first: usage errors, nothing started
expect_rc 2 "$SLIPWAY" run --root "$S" --follow ftp://example.org/
assert_contains "$errout" "URL must start with http:// or https://"
expect_rc 2 "$SLIPWAY" run --root "$S" --follow "$NGINX_URL" --every 1
assert_contains "$errout" "--every needs an integer from 2 to 86400"
expect_rc 2 "$SLIPWAY" run --root "$S" --every 5
assert_contains "$errout" "--every needs --follow"
assert_no_file "$S/current"

"$SLIPWAY" run --root "$S" --follow "$NGINX_URL" --every 2 >run.log 2>&1 &
RUN_PID=$!
poll_for 20 page_is "$port" "release 1.0.0" || fail "1.0.0 never served; log: $(cat run.log)"
assert_contains "$(cat run.log)" "no release is current yet: pulling $NGINX_URL first"
poll_for 10 follow_checks_ge 1 || fail "no follow check in status: $(cat run.log)"
assert_eq "$(follow_field ok)" "True" "follow ok after the first check"
assert_contains "$(follow_field result)" "up to date: testapp 1.0.0"
assert_contains "$("$SLIPWAY" status --root "$S")" "follow:       $NGINX_URL every 2s, last check"

# a new release published: pulled on the timer, switched to through the gate
follow_release 2.0.0 2
poll_for 20 page_is "$port" "release 2.0.0" || fail "2.0.0 never served; log: $(cat run.log)"
wait_for 10 grep -q '"result": "ok"' "$S/run/state.json"
assert_eq "$(readlink "$S/current")" "releases/2.0.0" "current"
assert_contains "$(cat run.log)" "follow: installed and activated testapp 2.0.0 (index serial"
poll_for 10 live_release_is 2.0.0 || fail "the supervisor's live release is not 2.0.0"

# a published release whose web crashes at once: pulled, switched to through the gate,
# rolled back and marked bad; 2.0.0 keeps serving and later checks do not retry it
mkdir -p "$T/empty"
"$PY" "$REPO/tests/e2e/make_release.py" --tree "$T/empty" --app testapp --version 3.0.0 \
	--serial 3 --out "$T/rel-3.0.0.tar.zst" --sign "$T/test.key" \
	--service "$(svc web '["sh", "-c", "echo boom; exit 4"]' "$port" http)" >/dev/null ||
	fail "make_release.py failed for 3.0.0"
"$SLIPWAY" publish "$T/rel-3.0.0.tar.zst" "$C" -s "$T/test.key" >/dev/null || fail "publish 3.0.0"
switch_is() {
	"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["switch"]; sys.exit(s["to"]+"/"+s["result"] != sys.argv[2])' \
		"$S/run/state.json" "$1"
}
poll_for 20 switch_is 3.0.0/rolled_back || fail "3.0.0 not rolled back: $(cat run.log)"
assert_eq "$(readlink "$S/current")" "releases/2.0.0" "current after the gate refused 3.0.0"
# the old web was stopped to hand its port over, and is started again after the flip back
poll_for 20 page_is "$port" "release 2.0.0" || fail "2.0.0 not served after 3.0.0 was rolled back"
assert_contains "$(cat run.log)" "follow: installed and activated testapp 3.0.0"
poll_for 10 follow_is result "up to date: testapp 3.0.0 (index serial $(index_field "$C/index.json" serial))" ||
	fail "no up-to-date check after the rollback: $(cat run.log)"
assert_eq "$(grep -c 'current changed: .* -> 3.0.0' run.log)" "1" "switches to the bad 3.0.0"

# an index whose payload was edited after signing (a newer serial, 1.0.0 again): refused at
# every check, logged once, 2.0.0 keeps serving
"$PY" - "$C/index.json" <<'PYEOF' || fail "tamper"
import base64, json, sys
e = json.load(open(sys.argv[1]))
p = json.loads(base64.b64decode(e["payload"]))
p["serial"] += 10
e["payload"] = base64.b64encode(json.dumps(p, sort_keys=True, separators=(",", ":")).encode()).decode()
json.dump(e, open(sys.argv[1], "w"))
PYEOF
poll_for 10 follow_is ok False || fail "the tampered index was not refused: $(cat run.log; "$SLIPWAY" status --root "$S" --json)"
n=$(follow_field checks)
poll_for 10 follow_checks_ge $((n + 2)) || fail "checks stopped at $n"
assert_eq "$(grep -c 'follow: pull failed' run.log)" "1" "log lines of the refusal over 3 checks"
line=$(grep 'follow: pull failed' run.log)
assert_contains "$line" "follow: pull failed (exit 1): $NGINX_URL/index.json:"
page_is "$port" "release 2.0.0" || fail "2.0.0 no longer served after the refusal"
assert_eq "$(readlink "$S/current")" "releases/2.0.0" "current after the refusal"
assert_contains "$("$SLIPWAY" status --root "$S")" ": failed: pull failed (exit 1)"

# stop: no pull child and no service left behind
kill -TERM "$RUN_PID"
poll_for 15 sh -c "! kill -0 $RUN_PID" || fail "slipway run did not stop"
wait "$RUN_PID" 2>/dev/null
pgrep -f "pull $NGINX_URL --root" >/dev/null && fail "a follow pull survived the supervisor"
RUN_PID=
echo "ok"
