# The traps of the real LiveKit frameworks, reproduced by the example's stand-in worker:
#  1. a worker that ignores SLIPWAY_HEALTH_PORT (a hard-coded health port) dies with
#     "address already in use" when the next generation starts beside it: slipway says so,
#     names the holder and what to change, and the gate keeps the old worker and its call;
#  2. kill_mode = group sends the SIGTERM to the job processes too (the trap the default,
#     process, avoids: the stand-in's job process reports it).
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

run_store store
run_agent_env store 60
fixed=$(free_port)
agent_tree tree
run_install store A tree --service "$(agent_service "$(free_port)" "\"AGENT_HEALTH_PORT\": \"$fixed\"")" \
	--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET
run_install store B tree --service "$(agent_service "$(free_port)" "\"AGENT_HEALTH_PORT\": \"$fixed\"")" \
	--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET
run_activate store A
run_start store run.log
poll_for 30 grep -q "release A is live" run.log || fail "A not live: $(cat run.log)"
old=$(sed -n 's/.*agent: started pid \([0-9]*\)  release A.*/\1/p' run.log)
lk dispatch >/dev/null || fail "dispatch failed"
poll_for 10 grep -q "call AJ_1 live" "$T/livekit.log" || fail "call not live"

expect_rc 1 "$SLIPWAY" activate B --root store --wait
assert_contains "$errout" "B failed its health check and was rolled back"
assert_contains "$errout" "address in use (port $fixed, held by agent of release A (pid $old))"
log=$(cat run.log)
assert_contains "$log" "agent: it bound port $fixed instead of SLIPWAY_HEALTH_PORT="
assert_contains "$log" 'port=int(os.environ.get("SLIPWAY_HEALTH_PORT", 8081))'
assert_eq "$(readlink store/current)" "releases/A" "current after the failed switch"
kill -0 "$old" || fail "the old worker was stopped"
assert_eq "$(lk_stat '[w["sigterms"] for w in s["workers"] if w["pid"] == '"$old"'][0]')" 0 \
	"SIGTERMs of the old worker"
assert_eq "$(lk_stat 'sum(c["cut"] for c in s["calls"])')" 0 "calls cut"
lk end >/dev/null
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=

# kill_mode group: the job process gets the SIGTERM as well.
rm -rf store
run_store store
run_agent_env store 5
run_install store G tree --service "$(agent_service "$(free_port)" | sed 's/"ready":/"kill_mode": "group", "ready":/')" \
	--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET
run_activate store G
run_start store run2.log
poll_for 30 grep -q "release G is live" run2.log || fail "G not live: $(cat run2.log)"
# Past the job process's initialisation, so it reports the signal instead of dying of it.
poll_for 10 grep -q "job process [0-9]*: initialised" run2.log || fail "no job process: $(cat run2.log)"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
assert_contains "$(cat run2.log)" "received SIGTERM; ignoring it"
true
