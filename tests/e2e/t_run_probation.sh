# e2e: alone
# Probation after the switch (specs/runtime.md): release B's web serves, then dies a few
# seconds after the switch and at once at every restart (its "database" is gone), under a
# steady loopback load of 120 requests/s (tests/e2e/loadgen.py, the load of switch_load.py).
# Its third exit within 60 s is a crash loop while A's web is still warm, so slipway goes
# back to A:
#  - A answers again within 5 s of the decision, and the clients saw at most 1 failed request
#    (one B's crash cut; the others waited in slipway's socket queue, none refused). The load
#    opens a connection per request: a crash also drops the keep-alive connections its
#    process holds, and a client sending on one at that instant sees a reset (one per
#    connection, up to loadgen's 4) that only the client's retry can hide;
#  - `deploy --wait`, still in its stability window, exits 1 naming the service and why;
#  - `current` points at A again, B is marked bad, the switch is recorded rolled_back;
#  - the workers' calls are kept: B's worker gets its one SIGTERM only once A's new worker
#    is up and drains to the end; A's old worker drained too; nothing is SIGKILLed.
# Without a warm A (SLIPWAY_WARM_MS=0) the same crash loop is reported, not flipped: B stays
# live and current, its web keeps restarting, and `activate --wait` exits 1 saying so.
# The crash comes 6 s after the switch (the issue's 20 s, shortened; CRASH_AFTER_MS=20000 runs
# the issue's case) and SLIPWAY_STABLE_MS 14 s later, so that --wait is still waiting; the
# crash-loop count and the backoff are the defaults.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

crash_ms=${CRASH_AFTER_MS:-6000}
stable_ms=$((crash_ms + 14000))
port=$(free_port)
run_store store
mkdir -p tree/www
cat >tree/www/server.js <<'EOF'
// A web server that, with CRASH_MARK set, loses its "database" CRASH_AFTER_MS after it
// starts and cannot start again once it is lost.
const fs = require('fs');
const http = require('http');
const mark = process.env.CRASH_MARK;
if (mark && fs.existsSync(mark)) {
	console.error('cannot start: the database is gone');
	process.exit(1);
}
http.createServer((q, s) => {
	s.setHeader('content-type', 'text/html');
	s.end(`<p id="running">${process.env.SLIPWAY_VERSION}</p>`);
}).listen(Number(process.env.PORT), process.env.HOSTNAME, () => {
	if (mark)
		setTimeout(() => {
			fs.writeFileSync(mark, '');
			console.error('lost the database; exiting');
			process.exit(1);
		}, Number(process.env.CRASH_AFTER_MS));
});
EOF
cat >tree/worker.py <<'EOF'
# A worker that drains its "calls" for 1.5 s on its one SIGTERM, then exits 0.
import os, signal, sys, time
def term(*_):
    print("draining the calls of release %s" % os.environ["SLIPWAY_VERSION"], flush=True)
    time.sleep(1.5)
    print("drained the calls of release %s" % os.environ["SLIPWAY_VERSION"], flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
while True:
    time.sleep(1)
EOF
web() { # ENV_JSON_MEMBERS
	echo '{"name": "web", "argv": ["node", "server.js"], "cwd": "www", "env": {"SLIPWAY_SOCKET":
	  "preload"'"$1"'}, "port": '"$port"', "ready": "http", "ready_path": "/",
	  "ready_timeout_ms": 10000, "stop_timeout_ms": 5000}'
}
worker='{"name": "agent", "argv": ["'"$PY"'", "-u", "worker.py"], "cwd": "", "env": {},
  "port": 0, "ready": "none", "ready_timeout_ms": 10000, "stop_timeout_ms": 10000}'
run_install store A tree --service "$(web "")" --service "$worker"
"$PY" "$REPO/tests/e2e/make_release.py" --tree tree --version B --serial 10 --out "$T/B.tar.zst" \
	--sign "$T/test.key" --service "$(web ", \"CRASH_MARK\": \"$T/crashed\", \"CRASH_AFTER_MS\": \"$crash_ms\"")" \
	--service "$worker" >/dev/null || fail "make_release.py failed for B"
run_activate store A

shows() { curl -fsS --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null | grep -q "id=\"running\">$1<"; }
run_start store run.log SLIPWAY_STABLE_MS=$stable_ms SLIPWAY_READY_NONE_MS=300
poll_for 30 shows A || fail "A not served: $(tail -20 run.log)"
rm -f stop
"$PY" "$REPO/tests/e2e/loadgen.py" --port "$port" --rate 120 --keepalive 0 --timeout 10 \
	--stop-file stop \
	--max-seconds $((crash_ms / 1000 + 120)) >load.json &
load=$!
sleep 1 # load before the switch

"$SLIPWAY" deploy "$T/B.tar.zst" --root store --wait >wait.out 2>wait.err &
waiter=$!
poll_for 20 shows B || fail "B never served: $(tail -20 run.log)"
assert_file store/run/state.json
decided() { grep -q "crash-looped on probation" run.log; }
poll_for $((crash_ms / 1000 + 40)) decided || fail "no crash loop decision: $(tail -30 run.log)"
t0=$(date +%s%N)
poll_for 5 shows A || fail "A not served within 5 s of the decision: $(tail -30 run.log)"
back_ms=$((($(date +%s%N) - t0) / 1000000))
echo "back on A ${back_ms} ms after the crash-loop decision was seen"

rc=0
wait "$waiter" || rc=$?
assert_eq "$rc" 1 "deploy --wait exit code ($(cat wait.out wait.err))"
assert_contains "$(cat wait.err)" "B failed its health check and was rolled back: web crash-looped on probation: 3 unexpected exits within 60 s (last: exited with status 1)"
assert_eq "$(readlink store/current)" "releases/A" "current after the crash loop"
expect_rc 0 "$SLIPWAY" list --root store --json
"$PY" -c 'import json,sys
rs = {r["version"]: r for r in json.loads(sys.argv[1])["releases"]}
assert rs["B"].get("bad"), rs["B"]
assert not rs["A"].get("bad"), rs["A"]' "$out" || fail "B not marked bad: $out"
field() { "$PY" -c 'import json,sys; print(json.load(open("store/run/state.json"))["switch"][sys.argv[1]])' "$1"; }
assert_eq "$(field result)/$(field to)/$(field seq)" "rolled_back/B/1" "the switch record"

# The load: at most one request failed (the one in flight when B's web died).
sleep 1
touch stop
wait "$load"
"$PY" - load.json <<'EOF' || fail "clients: $(cat load.json)"
import json, sys
l = json.load(open(sys.argv[1]))
print("load: %d requests, %d failed, %d refused, versions %s" %
      (l["requests"], l["failed"], l["refused"], l["versions"]))
assert l["requests"] >= 100 * 0.8 * l["seconds"], "load below 100 req/s: %s" % l
assert l["failed"] <= 1 and l["refused"] == 0 and l["timeout"] == 0, l
assert set(l["versions"]) == {"A", "B"}, l["versions"]
EOF

# The web went back to the warm A (no cold start); the workers drained, none was cut.
assert_contains "$(cat run.log)" "release B goes back to A (kept warm) and is marked bad"
assert_contains "$(cat run.log)" "(release A, kept warm, checked"
assert_eq "$(grep -c 'web: started pid' run.log)" 4 "web starts (A, B, B's two restarts)"
drained_b() { grep -q "drained the calls of release B" run.log; }
poll_for 15 drained_b || fail "B's worker did not drain: $(tail -20 run.log)"
assert_contains "$(cat run.log)" "drained the calls of release A"
assert_eq "$(grep -c 'draining the calls of release B' run.log)" 1 "SIGTERMs to B's worker"
# B's worker was told to stop only after A's new worker was up.
up=$(grep -n "agent: ready after" run.log | tail -1 | cut -d: -f1)
term=$(grep -n "sent SIGTERM to pid .* (release B, its successor is up)" run.log | cut -d: -f1)
[ -n "$term" ] && [ "$term" -gt "$up" ] || fail "B's worker stopped before its successor: $(cat run.log)"
assert_not_contains "$(cat run.log)" "sending SIGKILL"

# No warm A: no flip, the crash loop is reported once, B stays current.
kill -TERM "$RUN_PID"
wait "$RUN_PID" || fail "slipway run exited $?"
RUN_PID=
rm -f "$T/crashed"
run_start store cold.log SLIPWAY_STABLE_MS=$((crash_ms + 6000)) SLIPWAY_READY_NONE_MS=300 SLIPWAY_WARM_MS=0
poll_for 30 shows A || fail "A not served: $(tail -20 cold.log)"
expect_rc 1 "$SLIPWAY" activate B --root store --wait
assert_contains "$errout" "B is live, but not every service is ready: web"
assert_eq "$(grep -c "web crash-looped on probation: 3 unexpected exits within 60 s (last: exited with status 1); release A is no longer warm, so B stays live and web keeps restarting" cold.log)" 1 "the report"
assert_eq "$(readlink store/current)" "releases/B" "current without a warm A"
assert_not_contains "$(cat cold.log)" "goes back to"
true
