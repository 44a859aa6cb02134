# What a crashed service tells the operator (issues 21 and 26): a service that prints an
# error to stderr and exits 1 again and again is shown as crash-looping by `status` (state,
# restarts in the last minute, last exit, the last lines it printed, escaped and bounded),
# `status --json` carries the same fields, and a `deploy --wait` whose web fails that way
# prints those lines. Nothing of shared/env appears anywhere.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
echo "JWT_SECRET=test-secret-not-printed-0d1f" >store/shared/env # a TEST value
web_tree "$T/tree-A" A
# The error a Node 20 user of a TypeScript starter sees; a terminal escape; a long line.
cat >"$T/tree-A/crash.sh" <<'SH'
echo "agent starting"
head -c 1000 /dev/zero | tr '\0' x >&2; echo >&2
printf 'colour \033[31mred\033[0m and bell \007\n' >&2
echo 'TypeError [ERR_UNKNOWN_FILE_EXTENSION]: Unknown file extension ".ts" for /app/agent/src/main.ts' >&2
exit 1
SH
run_install store A "$T/tree-A" --service "$(web_service "$port")" \
	--service "$(svc agent '["sh", "crash.sh"]')"
run_activate store A
run_start store run.log SLIPWAY_BACKOFF_MIN_MS=200 SLIPWAY_BACKOFF_MAX_MS=800 SLIPWAY_READY_NONE_MS=100

state() { # NAME FIELD: a field of the service NAME in the state file, as JSON
	"$PY" -c 'import json,sys
for s in json.load(open("store/run/state.json"))["services"]:
    if s["name"] == sys.argv[1]: print(json.dumps(s[sys.argv[2]]))' "$1" "$2"
}
looping() { [ "$(state agent crash_looping 2>/dev/null)" = true ]; }
poll_for 30 looping || fail "agent never crash-looping: $(cat store/run/state.json) $(cat run.log)"

expect_rc 0 "$SLIPWAY" status --root store
assert_contains "$out" "!! agent is CRASH-LOOPING: " "loud line"
assert_contains "$out" "failures in the last minute, last exit: exited with status 1"
assert_contains "$out" "| TypeError [ERR_UNKNOWN_FILE_EXTENSION]: Unknown file extension \".ts\""
assert_contains "$out" 'colour \x1b[31mred\x1b[0m and bell \x07' "escaped terminal bytes"
n=$(echo "$out" | sed -n 's/.*CRASH-LOOPING: \([0-9]*\) failures.*/\1/p')
[ "${n:-0}" -ge 3 ] || fail "fewer than 3 failures in the last minute: $out"
printf '%s' "$out" | LC_ALL=C grep -q "$(printf '[\001-\010\016-\037\177]')" &&
	fail "status printed a control byte: $out"
assert_not_contains "$out" "test-secret-not-printed" "secret in status"
web=$(echo "$out" | grep "^  web ")
assert_not_contains "$web" "CRASH" "the healthy web"

expect_rc 0 "$SLIPWAY" status --root store --json
"$PY" - "$out" <<'PY' || fail "status --json: $out"
import json, sys
sup = json.loads(sys.argv[1])["supervisor"]
agent = [s for s in sup["services"] if s["name"] == "agent"][0]
web = [s for s in sup["services"] if s["name"] == "web"][0]
assert agent["crash_looping"] is True and agent["restarts_last_minute"] >= 3, agent
assert agent["last_exit"] == "exited with status 1", agent
tail = agent["last_output"]
assert 1 <= len(tail) <= 5, tail
assert tail[-1].startswith("TypeError [ERR_UNKNOWN_FILE_EXTENSION]"), tail
assert "colour \\x1b[31mred\\x1b[0m and bell \\x07" in tail, tail
assert "x" * 200 in tail, "the 1000-byte line cut at 200: %r" % tail
assert all(len(l.encode()) <= 200 and not any(ord(c) < 32 or ord(c) == 127 for c in l)
           for l in tail), tail
assert web["crash_looping"] is False and web["last_output"] == [], web
f = sup["failures"]
assert len(f) == 1 and f[0]["service"] == "agent" and f[0]["release"] == "A", f
assert f[0]["output"][-1].startswith("TypeError [ERR_UNKNOWN_FILE_EXTENSION]"), f
PY
if grep -q "test-secret-not-printed" store/run/state.json; then fail "secret in state.json"; fi

# A deploy whose web fails that way: --wait exits 1 and prints what it printed last, though
# A's agent keeps failing meanwhile (each service and release keeps its own failure).
mkdir -p "$T/tree-B"
cat >"$T/tree-B/web.sh" <<'SH'
echo "Error: Cannot find module 'next/dist/server/next-server.js'" >&2
echo "    at Module._resolveFilename (node:internal/modules/cjs/loader:1145:15)" >&2
exit 1
SH
RUN_SERIAL=$((RUN_SERIAL + 1))
"$PY" "$REPO/tests/e2e/make_release.py" --tree "$T/tree-B" --app testapp --version B \
	--serial "$RUN_SERIAL" --out "$T/B.tar.zst" --sign "$T/test.key" \
	--service "$(svc web '["sh", "web.sh"]' "$port" http)" >/dev/null
expect_rc 1 "$SLIPWAY" deploy "$T/B.tar.zst" --root store --wait
assert_contains "$errout" "B failed its health check and was rolled back"
assert_contains "$errout" "slipway: deploy: web of B printed last, before it failed"
assert_contains "$errout" "  | Error: Cannot find module 'next/dist/server/next-server.js'"
assert_contains "$errout" "  |     at Module._resolveFilename"
assert_eq "$(readlink store/current)" "releases/A" "current after the failed deploy"
poll_for 20 page_is "$port" "release A" || fail "A not served after the rollback: $(cat run.log)"

kill -TERM "$RUN_PID"
wait "$RUN_PID"
assert_eq "$?" "0" "slipway run exit status"
RUN_PID=
true
