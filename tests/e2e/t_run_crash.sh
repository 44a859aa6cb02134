# Restart policy: a web killed with SIGKILL comes back; a service that always crashes is
# restarted with growing delays and the state file shows its restarts and last exit; a
# process that escaped its group (setsid) does not outlive slipway.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
web_tree "$T/tree-A" A
run_install store A "$T/tree-A" --service "$(web_service "$port")" \
	--service "$(svc crasher '["sh", "-c", "echo crashing; exit 3"]')" \
	--service "$(svc escaper '["sh", "-c", "setsid sleep 1000 & echo escaped $!; exec sleep 1000"]')"
run_activate store A
run_start store run.log SLIPWAY_BACKOFF_MIN_MS=200 SLIPWAY_BACKOFF_MAX_MS=800 SLIPWAY_READY_NONE_MS=100
sup=$RUN_PID

state() { # NAME FIELD: a field of the service NAME in the state file
	"$PY" -c 'import json,sys
for s in json.load(open("store/run/state.json"))["services"]:
    if s["name"] == sys.argv[1]: print(s[sys.argv[2]])' "$1" "$2"
}

poll_for 20 page_is "$port" "release A" || fail "web never served: $(cat run.log)"
pid1=$(state web pid)
kill -9 "$pid1"
poll_for 10 grep -q "web: pid $pid1 killed by signal 9 (SIGKILL) unexpectedly" run.log ||
	fail "SIGKILL not noticed: $(cat run.log)"
poll_for 20 page_is "$port" "release A" || fail "web not restarted: $(cat run.log)"
pid2=$(state web pid)
[ "$pid2" != "$pid1" ] && [ "$pid2" -gt 0 ] || fail "web pid did not change ($pid1 -> $pid2)"
assert_eq "$(state web restarts)" "1" "web restarts"
assert_eq "$(state web last_exit)" "killed by signal 9 (SIGKILL)" "web last_exit"

# The crasher: delays 200, 400, 800, 800 ms ... (cap), never faster.
restarted_4() { [ "$(state crasher restarts)" -ge 4 ]; }
poll_for 20 restarted_4 || fail "crasher not restarted 4 times: $(cat run.log)"
assert_eq "$(state crasher last_exit)" "exited with status 3" "crasher last_exit"
expect_rc 0 "$SLIPWAY" status --root store
line=$(echo "$out" | grep "^  crasher ")
assert_contains "$line" "last exit: exited with status 3" "status line of crasher"
n=$(echo "$line" | sed -n 's/.*restarts \([0-9]*\).*/\1/p')
[ "${n:-0}" -ge 4 ] || fail "status shows $n restarts: $line"
assert_contains "$(cat run.log)" "crasher: restarting in 0.2s (failure 1 in a row)"
assert_contains "$(cat run.log)" "crasher: restarting in 0.4s (failure 2 in a row)"
assert_contains "$(cat run.log)" "crasher: restarting in 0.8s (failure 3 in a row)"
assert_contains "$(cat run.log)" "crasher: restarting in 0.8s (failure 4 in a row)"
assert_contains "$(cat run.log)" "crasher | crashing"
n=$(grep -c "crasher | crashing" run.log)
runs_expected=$(( $(state crasher restarts) + 2 ))
[ "$n" -le "$runs_expected" ] || fail "crasher ran $n times for $(state crasher restarts) restarts"

escaped=$(sed -n 's/.*escaper | escaped \([0-9]*\).*/\1/p' run.log | head -1)
[ -n "$escaped" ] && kill -0 "$escaped" || fail "escaped process not found: $(cat run.log)"

procs=$(descendants "$sup")
kill -TERM "$sup"
wait "$sup"
assert_eq "$?" "0" "exit status"
RUN_PID=
for p in $procs $escaped; do kill -0 "$p" 2>/dev/null && fail "process $p outlived slipway run"; done
assert_contains "$("$PY" -c 'import json; print(json.load(open("store/run/state.json"))["phase"])')" "stopping"
true
