# e2e: alone
# Zero-downtime web switch (specs/runtime.md, "Socket ownership"), on the real Next.js
# example app under a steady loopback load (tests/e2e/loadgen.py: 120 requests/s, half on
# keep-alive connections, half on fresh ones):
#  - activate/rollback cycles with the previous generation kept warm (a rollback promotes the
#    running old server) and with warm time 0 (the old release starts cold while the new one
#    keeps serving): no request fails, no connection is refused, and every /_next/static
#    asset of the page of the release just left answers 200 (A and B are different builds);
#  - a new generation killed with SIGKILL before its promotion: every answer still comes from
#    the old release, and the switch is rolled back.
# A request may take up to 30 s before it counts as failed: the machine may be loaded, and
# what is checked here is that nothing is refused, reset or lost, not latency (that is
# bench_web_switch's job).
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

next_store
run_next_tree app2 v2 # B: a second build, so the releases' /_next/static assets differ
# C: the same server, but its readiness path answers 404, so it is never promoted.
never_ready=$(next_service "$port" | sed 's|"/api/health"|"/never-ready"|')
next_archive A 1 app
next_archive B 2 app2
next_archive C 3 app "$never_ready"
for v in A B C; do
	expect_rc 0 "$SLIPWAY" install "$T/$v.tar.zst" --root store
done
run_activate store A

# zero FILE: the switch_load.py summary in FILE shows no failure of any kind.
zero() {
	"$PY" - "$1" <<'EOF' || fail "clients saw failures: $(cat "$1")"
import json, sys
d = json.load(open(sys.argv[1]))
l = d["load"]
# The load ran throughout: a quarter of the 120 req/s offered (a loaded machine answers
# slower, which is not what this test judges).
assert l["requests"] >= 30 * l["seconds"], "load below 30 req/s: %s" % l
assert l["failed"] == 0 and l["refused"] == 0, l
assert l["idle_closed"] == 0, l
assert d["never_served"] == 0, d
assert set(l["versions"]) == {"A", "B"}, l["versions"]
assert not d["asset_failures"], d["asset_failures"]
EOF
}

run_start store run.log
poll_for 60 running_is "$port" A || fail "A not served: $(tail -30 run.log)"
assert_contains "$(cat run.log)" "web: pid"
assert_contains "$(cat run.log)" "(release A) serves port $port"
"$PY" "$REPO/tests/e2e/switch_load.py" --port "$port" --root store --slipway "$SLIPWAY" \
	--a A --b B --cycles 3 --timeout 30 >warm.json || fail "switch_load (warm): $(tail -30 run.log)"
zero warm.json
assert_contains "$(cat run.log)" "is kept warm for 10m"
assert_contains "$(cat run.log)" "(release A, kept warm, checked"
# Only the first activate of B started a process: every later switch promoted a warm one.
assert_eq "$(grep -c 'web: started pid' run.log)" 2 "web starts with a warm generation"

# status names the instance that serves and the warm one.
expect_rc 0 "$SLIPWAY" status --root store
assert_contains "$out" "release A (gen"
echo "$out" | grep "release A (gen" | grep -q ", serving port $port" || fail "A not serving: $out"
echo "$out" | grep "release B (gen" | grep -q ", warm (a rollback promotes it)" || fail "B not warm: $out"

# A warm instance started with another environment is not adopted: A is live, B warm; after
# an edit of shared/env, activating B stops the warm B and starts B cold.
echo "WARM_TEST=1" >>store/shared/env
expect_rc 0 "$SLIPWAY" activate B --root store --wait
running_is "$port" B || fail "B not served after the env edit"
assert_contains "$(cat run.log)" "its environment changed since it was started"
assert_eq "$(grep -c 'web: started pid' run.log)" 3 "web starts after the env edit"
# A warm instance that dies is not restarted, and a rollback to it starts cold.
warm_pid() { "$PY" -c 'import json
for s in json.load(open("store/run/state.json"))["services"]:
    if s["warm"]:
        print(s["pid"])' | grep .; }
poll_for 10 warm_pid || fail "no warm instance: $(cat store/run/state.json)"
kill -9 "$(warm_pid)"
no_warm() { ! warm_pid; }
poll_for 10 no_warm || fail "the killed warm instance is still listed"
sleep 0.5
assert_eq "$(grep -c 'web: started pid' run.log)" 3 "web starts after the warm one died"
expect_rc 0 "$SLIPWAY" rollback --root store --wait
running_is "$port" A || fail "A not served after the rollback"
assert_eq "$(grep -c 'web: started pid' run.log)" 4 "web starts after the rollback"

# The supervisor's socket outlives the old generation's process: one listener, one owner.
ss -ltnp | grep -q "127.0.0.1:$port .*slipway" || fail "slipway does not hold the socket: $(ss -ltnp)"

kill -TERM "$RUN_PID"
wait "$RUN_PID" || fail "slipway run exited $?"
RUN_PID=
ss -ltn | grep -q "127.0.0.1:$port " && fail "port $port still listening after slipway run stopped"

run_start store cold.log SLIPWAY_WARM_MS=0
poll_for 60 running_is "$port" A || fail "A not served: $(tail -30 cold.log)"
"$PY" "$REPO/tests/e2e/switch_load.py" --port "$port" --root store --slipway "$SLIPWAY" \
	--a A --b B --cycles 2 --timeout 30 >cold.json || fail "switch_load (cold): $(tail -30 cold.log)"
zero cold.json
assert_not_contains "$(cat cold.log)" "kept warm"
assert_eq "$(grep -c 'web: started pid' cold.log)" 5 "web starts without a warm generation"
# The old generation drained: it got its one SIGTERM and exited by itself, never SIGKILLed.
assert_not_contains "$(cat cold.log)" "sending SIGKILL"

# A new generation killed before its promotion never receives traffic.
rm -f stop
"$PY" "$REPO/tests/e2e/loadgen.py" --port "$port" --path / --path /api/health --timeout 30 \
	--stop-file stop --max-seconds 120 >kill.json &
load=$!
sleep 1
run_activate store C
c_pid() { "$PY" -c 'import json
for s in json.load(open("store/run/state.json"))["services"]:
    if s["release"] == "C" and s["pid"]:
        print(s["pid"])' 2>/dev/null | grep .; }
poll_for 30 c_pid || fail "C's web never started: $(tail -20 cold.log)"
sleep 1 # C is up and being probed (its readiness path answers 404)
kill -9 "$(c_pid)"
field() { "$PY" -c 'import json,sys; print(json.load(open("store/run/state.json"))["switch"][sys.argv[1]])' "$1"; }
rolled_back() { [ "$(field result)/$(field to)" = rolled_back/C ]; }
poll_for 30 rolled_back || fail "the switch to C was not rolled back: $(tail -20 cold.log)"
sleep 1
touch stop
wait "$load"
"$PY" - kill.json <<'EOF' || fail "traffic during the killed switch: $(cat kill.json)"
import json, sys
l = json.load(open(sys.argv[1]))
assert l["requests"] > 100 and l["failed"] == 0 and l["idle_closed"] == 0, l
assert set(l["versions"]) == {"A"}, l["versions"]
EOF
assert_not_contains "$(cat cold.log)" "(release C) serves port"
assert_eq "$(readlink store/current)" "releases/A" "current after the killed switch"
running_is "$port" A || fail "A not served after the killed switch"
true
