# The LiveKit worker handover, judged by the stand-in LiveKit server (what the "LiveKit side"
# saw), with the example's stand-in worker and its framework traps: a fixed default health
# port, registration after a delay, GET / 503 then 200, a job process in its group that must
# not get SIGTERM, and a live call that must finish.
#  - each generation gets its own SLIPWAY_HEALTH_PORT; no "address already in use";
#  - the new worker registers before the old one is told to stop (ready = log);
#  - the old worker gets exactly one SIGTERM, on its main process only, and drains its call;
#  - on shutdown too, even when slipway itself is signalled twice; nothing is left running.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
hbase=$(free_port)
run_store store
run_agent_env store 60
run_app_release store A "$port" "$hbase"
run_app_release store B "$port" "$hbase"
run_activate store A
run_start store run.log
sup=$RUN_PID
poll_for 30 grep -q "release A is live" run.log || fail "A not live: $(cat run.log)"
assert_contains "$(cat run.log)" "mediai-agent: registered worker"
assert_contains "$(cat run.log)" "agent: ready after"
old=$(sed -n 's/.*agent: started pid \([0-9]*\)  release A.*/\1/p' run.log)
[ -n "$old" ] || fail "no agent banner: $(cat run.log)"
hport() { # PID: the SLIPWAY_HEALTH_PORT of that agent process
	tr '\0' '\n' <"/proc/$1/environ" | sed -n 's/^SLIPWAY_HEALTH_PORT=//p'
}
old_hp=$(hport "$old")
[ -n "$old_hp" ] || fail "agent $old has no SLIPWAY_HEALTH_PORT"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$old_hp/")" 200 \
	"old agent's health (registered)"
assert_eq "$(lk_stat 'len(s["workers"])')" 1 "workers registered"

# A consultation on the old worker, then the deploy.
lk dispatch >call.json || fail "dispatch failed: $(cat call.json)"
assert_contains "$(cat call.json)" "\"worker_pid\": $old"
poll_for 10 grep -q "call AJ_1 live" "$T/livekit.log" || fail "call not live: $(cat "$T/livekit.log")"
run_activate store B
poll_for 30 grep -q "release B is live" run.log || fail "B not live: $(cat run.log)"
new=$(sed -n 's/.*agent: started pid \([0-9]*\)  release B.*/\1/p' run.log)
[ -n "$new" ] || fail "no new agent: $(cat run.log)"
new_hp=$(hport "$new")
[ "$new_hp" != "$old_hp" ] || fail "both generations got health port $old_hp"
assert_not_contains "$(cat run.log)" "address already in use"
assert_not_contains "$(cat run.log)" "EADDRINUSE"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$new_hp/")" 200 "new agent's health"

# The LiveKit side: B registered before A started draining; A got one SIGTERM and still
# holds the call; its job process got none.
poll_for 10 test "$(lk_stat '[w["draining_at"] > 0 for w in s["workers"] if w["pid"] == '"$old"'][0]')" = True ||
	fail "old worker never drained: $(lk stats)"
lk_stat '[w for w in s["workers"] if w["pid"] == '"$new"'][0]["registered_at"] < [w for w in s["workers"] if w["pid"] == '"$old"'][0]["draining_at"]' |
	grep -qx True || fail "old worker told to stop before the new one registered: $(lk stats)"
assert_eq "$(lk_stat '[w["sigterms"] for w in s["workers"] if w["pid"] == '"$old"'][0]')" 1 "SIGTERMs of the old worker"
kill -0 "$old" || fail "old worker did not wait for its call"
assert_eq "$(lk_stat 'sum(c["cut"] for c in s["calls"])')" 0 "calls cut"
assert_not_contains "$(cat run.log)" "received SIGTERM; ignoring" "job processes left alone"
assert_not_contains "$(cat run.log)" "died" "job processes left alone"

# The call ends: the old worker finishes its drain and exits 0.
lk end >/dev/null
poll_for 20 grep -q "agent: stopped (pid $old exited with status 0)" run.log ||
	fail "old agent did not finish its drain: $(cat run.log)"
assert_eq "$(lk_stat '[c["cut"] for c in s["calls"]]')" "[False]" "the call finished"

# Shutdown during a call on B: signal slipway twice; B still gets one SIGTERM, drains, and
# slipway exits only after the call ended.
lk dispatch >call2.json || fail "dispatch to B failed: $(cat call2.json)"
assert_contains "$(cat call2.json)" "\"worker_pid\": $new"
poll_for 10 grep -q "call AJ_2 live" "$T/livekit.log" || fail "call 2 not live"
cp run.log before.log
kill -TERM "$sup"
poll_for 10 grep -q "mediai-agent: draining" run.log || fail "B not draining: $(cat run.log)"
kill -INT "$sup"
sleep 0.3
kill -0 "$sup" || fail "slipway exited during the drain"
lk end >/dev/null
wait "$sup"
rc=$?
RUN_PID=
assert_eq "$rc" "0" "exit status"
tail -n +"$(($(wc -l <before.log) + 1))" run.log >stop.log
assert_contains "$(cat stop.log)" "already stopping"
assert_eq "$(grep -c 'received SIGTERM' stop.log)" "1" "SIGTERMs seen by the agent at shutdown"
assert_not_contains "$(cat stop.log)" "received SIGINT"
assert_contains "$(cat stop.log)" "mediai-agent: drained, exiting"
assert_contains "$(cat stop.log)" "agent: stopped (pid $new exited with status 0)"
assert_eq "$(lk_stat 'sum(c["cut"] for c in s["calls"])')" 0 "calls cut"
assert_eq "$(lk_stat '[w["sigterms"] for w in s["workers"]]')" "[1, 1]" "SIGTERMs per worker"
kill -0 "$new" 2>/dev/null && fail "agent survived"
left=$(pgrep -fc -- "$T/store/releases/") || true
assert_eq "$left" 0 "agent processes left"
true
