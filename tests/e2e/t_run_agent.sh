# The LiveKit worker lifecycle with the example's stand-in agent: on a switch the new agent
# starts before the old one is told to stop; the old one gets exactly one SIGTERM and its
# drain is awaited; on shutdown too, even when slipway itself is signalled twice.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
run_agent_env store 2
run_app_release store A "$port"
run_app_release store B "$port"
run_activate store A
run_start store run.log SLIPWAY_READY_NONE_MS=2500
sup=$RUN_PID
poll_for 30 grep -q "release A is live" run.log || fail "A not live: $(cat run.log)"
assert_contains "$(cat run.log)" "mediai-agent: registered worker"
old=$(sed -n 's/.*agent: started pid \([0-9]*\)  release A.*/\1/p' run.log)
[ -n "$old" ] || fail "no agent banner: $(cat run.log)"

run_activate store B
poll_for 30 grep -q "release B is live" run.log || fail "B not live: $(cat run.log)"
poll_for 20 grep -q "agent: stopped (pid $old exited with status 0)" run.log ||
	fail "old agent did not finish its drain: $(cat run.log)"
new=$(sed -n 's/.*agent: started pid \([0-9]*\)  release B.*/\1/p' run.log)
[ -n "$new" ] || fail "no new agent: $(cat run.log)"

started=$(line_of run.log "agent: started pid $new")
new_up=$(line_of run.log "mediai-agent: starting worker (stand-in for livekit-agents, pid $new)")
told=$(line_of run.log "agent: sent SIGTERM to pid $old")
got=$(line_of run.log "mediai-agent: received SIGTERM (1)")
drained=$(line_of run.log "mediai-agent: drained, exiting")
[ "$started" -gt 0 ] && [ "$new_up" -gt 0 ] && [ "$told" -gt 0 ] && [ "$got" -gt 0 ] ||
	fail "missing lines ($started $new_up $told $got): $(cat run.log)"
[ "$started" -lt "$told" ] || fail "old agent told to stop before the new one started"
[ "$new_up" -lt "$got" ] || fail "old agent got SIGTERM before the new one was running"
[ "$got" -lt "$drained" ] || fail "no drain after the SIGTERM"
assert_not_contains "$(cat run.log)" "received SIGTERM (2)" "only one SIGTERM"
assert_not_contains "$(cat run.log)" "force exit"
kill -0 "$new" || fail "new agent is not running"

# Shutdown: signal slipway twice during the drain; the agent still sees one SIGTERM and
# slipway waits for the drain (2 s) before exiting.
: >before.log
cp run.log before.log
t0=$(date +%s%N)
kill -TERM "$sup"
sleep 0.5
kill -INT "$sup"
wait "$sup"
rc=$?
t1=$(date +%s%N)
RUN_PID=
assert_eq "$rc" "0" "exit status"
tail -n +"$(($(wc -l <before.log) + 1))" run.log >stop.log
assert_contains "$(cat stop.log)" "already stopping"
assert_eq "$(grep -c 'received SIGTERM' stop.log)" "1" "SIGTERMs seen by the agent at shutdown"
assert_not_contains "$(cat stop.log)" "received SIGINT"
assert_contains "$(cat stop.log)" "mediai-agent: drained, exiting"
assert_contains "$(cat stop.log)" "agent: stopped (pid $new exited with status 0)"
[ $(((t1 - t0) / 1000000)) -ge 1900 ] || fail "slipway exited before the 2 s drain ended"
kill -0 "$new" 2>/dev/null && fail "agent survived"
true
