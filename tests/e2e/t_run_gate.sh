# Health-gated switch: a release whose web never becomes ready, one whose web crashes at
# once, and one missing a required secret are each rolled back automatically: `current`
# points at the old release again, curl sees the old page, the state file says why.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
run_web_release store A "$port"
mkdir -p empty
# C: listens on nothing, so the HTTP probe never passes within 1.5 s.
run_install store C empty --service "$(svc web '["sleep", "600"]' "$port" http 1500)"
# D: crashes at once.
run_install store D empty --service "$(svc web '["sh", "-c", "echo boom; exit 4"]' "$port" http)"
# E: needs a secret the store does not have.
web_tree "$T/tree-E" E
run_install store E "$T/tree-E" --service "$(web_service "$port")" --required NOT_IN_ENV

run_activate store A
run_start store run.log
poll_for 20 page_is "$port" "release A" || fail "A not served: $(cat run.log)"

field() { "$PY" -c 'import json,sys; print(json.load(open("store/run/state.json"))["switch"][sys.argv[1]])' "$1"; }
switch_is() { [ "$(field result)/$(field to)" = "$1" ]; }

check_rolled_back() { # VERSION REASON
	poll_for 30 switch_is "rolled_back/$1" ||
		fail "switch to $1 not rolled back: $(cat run.log)"
	assert_contains "$(field reason)" "$2" "reason for $1"
	assert_eq "$(readlink store/current)" "releases/A" "current after $1"
	poll_for 20 page_is "$port" "release A" || fail "A not served after $1: $(cat run.log)"
	assert_contains "$(cat run.log)" "release $1 failed its health check"
	expect_rc 0 "$SLIPWAY" list --root store --json
	"$PY" -c 'import json,sys
for r in json.loads(sys.argv[1])["releases"]:
    if r["version"] == sys.argv[2]:
        assert r["bad"], r
        break
else:
    sys.exit("release %s not listed" % sys.argv[2])' "$out" "$1" || fail "$1 not marked bad: $out"
	kill -0 "$RUN_PID" || fail "slipway run died"
}

run_activate store C
check_rolled_back C "web not ready within 1.5s"
# Only this supervisor's processes: other tests on the machine may run `sleep 600` too.
for p in $(descendants "$RUN_PID"); do
	[ "$(ps -o args= -p "$p" 2>/dev/null)" = "sleep 600" ] && fail "C's web still running"
done

run_activate store D
check_rolled_back D "web exited with status 4 before the switch completed"
assert_contains "$(cat run.log)" "web     | boom"

run_activate store E
check_rolled_back E "required secrets missing or empty"
assert_contains "$(field reason)" "NOT_IN_ENV"

# A failed release is not retried while nothing changes; a good one still goes live.
sleep 0.5
assert_eq "$(field to)" "E" "no retry"
run_web_release store F "$port"
run_activate store F
poll_for 20 page_is "$port" "release F" || fail "F not served: $(cat run.log)"
wait_for 10 switch_is "ok/F"
true
