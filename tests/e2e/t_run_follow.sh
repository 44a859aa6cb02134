# slipway run follows `current`: curl sees A, then B after the flip, then A again after the
# flip back, with the same supervisor process throughout; SIGTERM leaves no process behind.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
run_web_release store A "$port"
run_web_release store B "$port"
run_activate store A
run_start store run.log

poll_for 20 page_is "$port" "release A" || fail "release A never served; log: $(cat run.log)"
sup=$RUN_PID
pid_a=$("$PY" -c 'import json,sys; print([s["pid"] for s in json.load(open(sys.argv[1]))["services"] if s["name"]=="web"][0])' store/run/state.json)
[ "$pid_a" -gt 0 ] || fail "state file has no web pid"
assert_eq "$(ps -o pgid= -p "$pid_a" | tr -d ' ')" "$pid_a" "web runs in its own process group"
assert_contains "$(cat run.log)" "web: started pid $pid_a  release A (generation 1)" "banner"
assert_contains "$(cat run.log)" "web     | Serving HTTP" "prefixed service output"

run_activate store B
poll_for 20 page_is "$port" "release B" || fail "release B never served; log: $(cat run.log)"
run_activate store A
poll_for 20 page_is "$port" "release A" || fail "release A not served again; log: $(cat run.log)"
kill -0 "$sup" || fail "slipway run is gone"
assert_eq "$("$PY" -c 'import json; print(json.load(open("store/run/state.json"))["pid"])')" "$sup" "supervisor pid"
wait_for 10 grep -q '"result": "ok"' store/run/state.json
kill -0 "$pid_a" 2>/dev/null && fail "the first web process (pid $pid_a) survived two switches"

# Stop: one SIGTERM to slipway, nothing of the services left afterwards.
procs=$(descendants "$sup")
[ -n "$procs" ] || fail "no service processes under slipway"
kill -TERM "$sup"
for _ in $(seq 100); do kill -0 "$sup" 2>/dev/null || break; sleep 0.05; done
kill -0 "$sup" 2>/dev/null && fail "slipway still running 5 s after SIGTERM"
wait "$sup"
assert_eq "$?" "0" "exit status after SIGTERM"
for p in $procs; do kill -0 "$p" 2>/dev/null && fail "process $p survived slipway run"; done
page "$port" && fail "port $port still served after stop"
assert_contains "$(cat run.log)" "all services stopped; exiting"
RUN_PID=
true
