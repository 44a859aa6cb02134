# The health gate's rules (specs/runtime.md, "Health gate"):
#  1. once an instance has been ready, a later crash is a restart, not a gate failure, even
#     exactly in the window where another new service is still settling;
#  2. an operator's rollback to a release that served before is never turned around: no
#     flip back to the release being escaped, no bad mark; it stays current, restarts, and
#     the old worker keeps running until its successor is ready;
#  3. a probe answered by a process slipway did not start is not readiness; a deploy is
#     refused, naming the holder, before the live release is touched.
source "$REPO/tests/e2e/run_helpers.sh"
trap 'run_cleanup; [ -n "${stale:-}" ] && kill "$stale" 2>/dev/null; true' EXIT

field() { "$PY" -c 'import json,sys; print(json.load(open("store/run/state.json"))["switch"][sys.argv[1]])' "$1"; }
is_bad() { # VERSION: prints True/False from `slipway list --json`
	"$SLIPWAY" list --root store --json |
		"$PY" -c 'import json,sys; print([r["bad"] for r in json.load(sys.stdin)["releases"] if r["version"] == sys.argv[1]][0])' "$1"
}
logsvc() { # NAME SCRIPT: a portless service ready when it prints "up"
	echo "{\"name\": \"$1\", \"argv\": [\"sh\", \"-c\", \"$2\"], \"cwd\": \"\",
	  \"env\": {\"MARK\": \"$T/mark\", \"FLAG\": \"$T/flag\"}, \"port\": 0, \"ready\": \"log\",
	  \"ready_log\": \"up\", \"ready_timeout_ms\": 15000, \"stop_timeout_ms\": 3000}"
}

# --- 1. A crash in the window: "fast" is ready, then crashes once; "slow" becomes ready
# only once that crash has happened (fast's process is a zombie or gone, so slipway sees
# the exit before slow's line). The switch completes; nothing is rolled back or marked bad.
run_store store
mkdir -p empty
run_install store A empty --service "$(logsvc base 'echo up; exec sleep 600')"
run_install store X empty \
	--service "$(logsvc fast 'echo up; if [ ! -e $MARK ]; then touch $MARK; sleep 0.2; echo $$ >$MARK.tmp; mv $MARK.tmp $MARK.crashed; exit 3; fi; exec sleep 600')" \
	--service "$(logsvc slow 'while [ ! -e $MARK.crashed ]; do sleep 0.05; done; p=$(cat $MARK.crashed); while [ -e /proc/$p ] && ! grep -q Z /proc/$p/stat 2>/dev/null; do sleep 0.02; done; echo up; exec sleep 600')"
run_activate store A
run_start store run.log SLIPWAY_BACKOFF_MIN_MS=200
poll_for 20 grep -q "release A is live" run.log || fail "A not live: $(cat run.log)"
expect_rc 0 "$SLIPWAY" activate X --root store --wait
assert_contains "$out" "X is live"
log=$(cat run.log)
[ "$(line_of run.log "fast: ready after")" -lt "$(line_of run.log "fast: pid")" ] &&
	[ "$(line_of run.log "fast: pid")" -lt "$(line_of run.log "slow: ready after")" ] ||
	fail "the crash was not in the window: $log"
assert_contains "$log" "exited with status 3 unexpectedly"
assert_not_contains "$log" "failed its health check"
assert_eq "$(field result)/$(field to)" "ok/X" "switch"
assert_eq "$(readlink store/current)" "releases/X" "current"
assert_eq "$(is_bad X)" False "X marked bad"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=

# --- 2. Rollback to a release that served (A), which now fails to start.
rm -rf store
run_store store
run_install store A empty --service "$(logsvc svc 'if [ -e $FLAG ]; then echo refusing; exit 7; fi; echo up; exec sleep 600')"
run_install store B empty --service "$(logsvc svc 'echo up; exec sleep 600')"
run_activate store A
run_start store run2.log SLIPWAY_BACKOFF_MIN_MS=300 SLIPWAY_BACKOFF_MAX_MS=300
poll_for 20 grep -q "release A is live" run2.log || fail "A not live: $(cat run2.log)"
expect_rc 0 "$SLIPWAY" activate B --root store --wait
b_pid=$(sed -n 's/.*svc: started pid \([0-9]*\)  release B.*/\1/p' run2.log)
touch flag
expect_rc 1 "$SLIPWAY" rollback --root store --wait
assert_contains "$errout" "A did not come up"
assert_contains "$errout" "svc exited with status 7"
assert_contains "$errout" "it served before, so it stays current"
assert_eq "$(readlink store/current)" "releases/A" "current after the failed rollback"
assert_eq "$(field result)" failed "switch result"
assert_eq "$(is_bad A)" False "A marked bad"
assert_not_contains "$(cat run2.log)" "current points at B again"
kill -0 "$b_pid" || fail "B's worker was stopped before its successor was ready"
rm flag
# A's svc comes up on a restart; only then does B's worker get its SIGTERM.
poll_for 20 grep -q "svc: stopped (pid $b_pid" run2.log || fail "B's worker not stopped after A came up: $(cat run2.log)"
[ "$(grep -n 'svc: ready after' run2.log | tail -1 | cut -d: -f1)" -lt "$(line_of run2.log "svc: sent SIGTERM to pid $b_pid")" ] ||
	fail "B's worker was stopped before A's was ready: $(cat run2.log)"
expect_rc 0 "$SLIPWAY" status --root store --json
"$PY" -c 'import json,sys
s = json.loads(sys.argv[1])["supervisor"]
assert s["release"] == "A", s
live = [x for x in s["services"] if not x["retiring"]]
assert [(x["name"], x["release"], x["state"]) for x in live] == [("svc", "A", "ready")], live' "$out" ||
	fail "status after recovery: $out"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=

# --- 3. A stale server outside slipway on the web's port.
rm -rf store
run_store store
port=$(free_port)
run_web_release store A "$port"
run_web_release store B "$port"
run_activate store A
mkdir -p stale && echo "stale server" >stale/index.html
(cd stale && exec "$PY" -m http.server --bind 0.0.0.0 "$port") >stale.log 2>&1 &
stale=$!
poll_for 10 page_is "$port" "stale server" || fail "the stale server did not start"
run_start store run3.log SLIPWAY_BACKOFF_MIN_MS=300 SLIPWAY_BACKOFF_MAX_MS=300
poll_for 20 grep -q "web: port $port is in use by pid $stale" run3.log ||
	fail "the holder was not named: $(cat run3.log)"
poll_for 20 grep -q "web: restarting in 0.3s (failure 2 in a row)" run3.log ||
	fail "no second attempt: $(cat run3.log)"
assert_not_contains "$(cat run3.log)" "release A is live"
assert_not_contains "$(cat run3.log)" "web: ready after"
expect_rc 1 "$SLIPWAY" activate B --root store --wait
assert_contains "$errout" "B failed its health check and was rolled back"
assert_contains "$errout" "port $port is held by pid $stale (python3)"
assert_eq "$(readlink store/current)" "releases/A" "current"
# Once the stale server is gone, A comes up by itself.
kill "$stale"
wait "$stale" 2>/dev/null
stale=
poll_for 20 page_is "$port" "release A" || fail "A not served after the stale server left: $(cat run3.log)"
true
