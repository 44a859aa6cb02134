# deploy/activate/rollback --wait report the supervisor's verdict: 0 when the release's
# services came up, 1 when the health gate rolled it back; 3 when no supervisor runs.
# `slipway status` shows the services and the last switch.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
run_web_release store A "$port"
run_activate store A

expect_rc 3 "$SLIPWAY" activate A --root store --wait
assert_contains "$errout" "no \`slipway run\` supervises"

run_start store run.log
poll_for 20 page_is "$port" "release A" || fail "A not served: $(cat run.log)"

# A good deploy: exit 0 once B serves.
web_tree "$T/tree-B" B
"$PY" "$REPO/tests/e2e/make_release.py" --tree "$T/tree-B" --version B --serial 10 \
	--out "$T/B.tar.zst" --sign "$T/test.key" --service "$(web_service "$port")" >/dev/null
expect_rc 0 "$SLIPWAY" deploy "$T/B.tar.zst" --root store --wait
assert_contains "$out" "B is live"
assert_eq "$(page "$port")" "release B" "page right after deploy --wait"

# A bad deploy (web exits at once): exit 1 with the reason; A... B is served again.
mkdir -p empty
"$PY" "$REPO/tests/e2e/make_release.py" --tree empty --version C --serial 11 \
	--out "$T/C.tar.zst" --sign "$T/test.key" \
	--service "$(svc web '["sh", "-c", "exit 5"]' "$port" http)" >/dev/null
expect_rc 1 "$SLIPWAY" deploy "$T/C.tar.zst" --root store --wait
assert_contains "$errout" "C failed its health check and was rolled back"
assert_contains "$errout" "web exited with status 5"
assert_eq "$(readlink store/current)" "releases/B" "current after the failed deploy"
poll_for 20 page_is "$port" "release B" || fail "B not served after rollback: $(cat run.log)"
# B's restarted web answers before the supervisor's next probe marks it ready.
web_ready() { "$SLIPWAY" status --root store | grep -q "web        ready"; }
poll_for 20 web_ready || fail "web never ready again: $("$SLIPWAY" status --root store)"

expect_rc 0 "$SLIPWAY" status --root store
assert_contains "$out" "supervisor:   running (pid $RUN_PID)"
assert_contains "$out" "web        ready"
assert_contains "$out" "last switch:  B -> C: rolled_back (web exited with status 5"
expect_rc 0 "$SLIPWAY" status --root store --json
"$PY" -c 'import json,sys
s = json.loads(sys.argv[1])["supervisor"]
assert s["running"] and s["release"] == "B", s
assert [x["name"] for x in s["services"]] == ["web"], s
assert s["services"][0]["state"] == "ready" and s["services"][0]["pid"] > 0, s' "$out" ||
	fail "status --json: $out"
# status --json prints what the supervisor wrote: every field of state.json with its value
# (those that move while it runs aside), plus "running".
"$PY" - "$out" store/run/state.json <<'EOF' || fail "status --json differs from state.json: $out"
import json, sys
shown = json.loads(sys.argv[1])["supervisor"]
written = json.load(open(sys.argv[2]))
moving = {"updated", "since"}
def same(w, s, where):
    if isinstance(w, dict):
        assert isinstance(s, dict), where
        for k in w:
            assert k in s, "%s.%s missing" % (where, k)
            if k not in moving:
                same(w[k], s[k], where + "." + k)
    elif isinstance(w, list):
        assert len(w) == len(s), where
        for i, (a, b) in enumerate(zip(w, s)):
            same(a, b, "%s[%d]" % (where, i))
    else:
        assert w == s, "%s: %r != %r" % (where, w, s)
same(written, shown, "state")
assert shown["running"] is True and shown["format"] == 1, shown
EOF

# rollback --wait to A (B was good, C is bad: the target is A).
expect_rc 0 "$SLIPWAY" rollback --root store --wait
assert_contains "$out" "A is live"
assert_eq "$(page "$port")" "release A" "page right after rollback --wait"

# activate --wait of the release that is already current returns at once.
expect_rc 0 "$SLIPWAY" activate A --root store --wait
assert_contains "$out" "A is live"
expect_rc 2 "$SLIPWAY" install "$T/B.tar.zst" --root store --wait
assert_contains "$errout" "--wait needs --activate"

kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
expect_rc 0 "$SLIPWAY" status --root store
assert_contains "$out" "supervisor:   not running"
