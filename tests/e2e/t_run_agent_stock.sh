# A stock LiveKit worker moves to a new release with no code change (specs/runtime.md,
# "Health ports"): the framework binds its health server to a fixed port, the service's
# declared health_port, and never reads SLIPWAY_HEALTH_PORT. slipway's startup hooks move
# that one bind to the instance's own port: Python through ROOT/run/python/sitecustomize.py
# (stand-in: aiohttp's web.TCPSite, as livekit-agents binds), Node through the preload
# (stand-in: http.createServer().listen, as @livekit/agents binds). Judged by the stand-in
# LiveKit server: the new worker registers before the old one's SIGTERM, one SIGTERM each,
# no call cut, no "address in use". With SLIPWAY_HEALTH_REDIRECT=off the same worker dies
# on the taken port: the hook is what makes the difference.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

# Debian's interpreter, which has python3-aiohttp (make deps); $PY may be another one.
SYSPY=/usr/bin/python3
"$SYSPY" -c 'import aiohttp' 2>/dev/null || fail "$SYSPY cannot import aiohttp: run make deps"

hbase=$(free_port)
run_store store
run_agent_env store 60
tree=$T/tree
mkdir -p "$tree/agent"
cp "$REPO/examples/mediai/agent/main.py" "$REPO/tests/e2e/aiohttp_agent.py" \
	"$REPO/tests/e2e/node_agent.cjs" "$tree/agent/"
# stock ARGV_JSON [EXTRA_ENV_MEMBERS]: the worker binds $hbase itself, declared as health_port.
stock() {
	echo "{\"name\": \"agent\", \"argv\": $1, \"cwd\": \"\",
	  \"env\": {\"AGENT_FIXED_PORT\": \"$hbase\", \"AGENT_CONNECT_SECONDS\": \"0.3\",
	  \"AGENT_JOB_INIT_SECONDS\": \"0.3\", \"PYTHONUNBUFFERED\": \"1\"${2:+, $2}},
	  \"port\": 0, \"health_port\": $hbase, \"ready\": \"log\", \"ready_log\": \"registered worker\",
	  \"ready_timeout_ms\": 15000, \"stop_timeout_ms\": 20000}"
}
py="[\"$SYSPY\", \"\${RELEASE}/agent/aiohttp_agent.py\", \"start\"]"
node='["node", "${RELEASE}/agent/node_agent.cjs", "start"]'
req="--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET"
# shellcheck disable=SC2086
{
	run_install store P1 "$tree" --service "$(stock "$py")" $req
	run_install store POFF "$tree" --service "$(stock "$py" '"SLIPWAY_HEALTH_REDIRECT": "off"')" $req
	run_install store P2 "$tree" --service "$(stock "$py" '"PYTHONPATH": "/nonexistent-app-dir"')" $req
	run_install store N1 "$tree" --service "$(stock "$node")" $req
	run_install store N2 "$tree" --service "$(stock "$node")" $req
}

started() { sed -n "s/.*agent: started pid \([0-9]*\)  release $1 .*/\1/p" run.log | tail -1; }
hport() { tr '\0' '\n' <"/proc/$1/environ" | sed -n 's/^SLIPWAY_HEALTH_PORT=//p'; }
worker() { lk_stat "[w for w in s['workers'] if w['pid'] == $1][0]['$2']"; }
state() { "$PY" -c 'import json,sys; print(json.load(open("store/run/state.json"))["switch"][sys.argv[1]])' "$1"; }
switch_is() { [ "$(state result)/$(state to)" = "$1" ]; }
calls_more() { [ "$(lk_stat 'len(s["calls"])')" -gt "$1" ]; }
draining() { [ "$(worker "$1" draining_at)" != 0 ]; }

run_activate store P1
run_start store run.log
sup=$RUN_PID
poll_for 30 grep -q "release P1 is live" run.log || fail "P1 not live: $(cat run.log)"
p1=$(started P1)
assert_eq "$(hport "$p1")" "$hbase" "first worker's health port"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hbase/")" 200 "P1's health"

# The control: the hook turned off, the stock worker dies on the port P1 holds; the switch
# fails and P1 keeps serving, untouched.
run_activate store POFF
poll_for 30 switch_is rolled_back/POFF ||
	fail "POFF not rolled back: $(cat store/run/state.json) $(tail -5 run.log)"
assert_contains "$(state reason)" "address in use (port $hbase, held by agent of release P1"
assert_eq "$(worker "$p1" sigterms)" 0 "SIGTERMs of P1 while POFF failed"
poll_for 20 grep -q "release P1 is live" run.log || fail "P1 not back: $(cat run.log)"
cp run.log poff.log

# handover OLD_PID NEW_VERSION: a call on the old worker, then the switch; the checks.
handover() {
	local old=$1 n before
	before=$(wc -l <run.log)
	n=$(lk_stat 'len(s["calls"])')
	lk dispatch >"call-$2.json" || fail "dispatch failed: $(cat "call-$2.json")"
	assert_contains "$(cat "call-$2.json")" "\"worker_pid\": $old"
	poll_for 10 calls_more "$n" || fail "call not live before $2"
	"$SLIPWAY" activate "$2" --root store --wait >"activate-$2.out" 2>&1 ||
		fail "activate $2 --wait: $(cat "activate-$2.out") $(cat run.log)"
	new=$(started "$2")
	[ -n "$new" ] || fail "no $2 worker: $(cat run.log)"
	new_hp=$(hport "$new")
	[ "$new_hp" != "$(hport "$old")" ] || fail "$2 got its predecessor's health port $new_hp"
	tail -n +"$((before + 1))" run.log >"switch-$2.log"
	assert_not_contains "$(cat "switch-$2.log")" "address in use"
	assert_not_contains "$(cat "switch-$2.log")" "EADDRINUSE"
	assert_contains "$(cat "switch-$2.log")" "asked for port $hbase, listening on port $new_hp"
	# The stock worker's own server answers on the instance's port (curl is the oracle).
	assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$new_hp/")" 200 \
		"$2's health on port $new_hp"
	poll_for 10 draining "$old" || fail "old worker never drained"
	[ "$(worker "$new" registered_at)" -lt "$(worker "$old" draining_at)" ] ||
		fail "old worker told to stop before $2 registered: $(lk stats)"
	assert_eq "$(worker "$old" sigterms)" 1 "SIGTERMs of the worker before $2"
	kill -0 "$old" || fail "the worker before $2 did not wait for its call"
	lk end >/dev/null
	poll_for 20 grep -q "agent: stopped (pid $old exited with status 0)" run.log ||
		fail "the worker before $2 did not finish its drain: $(cat run.log)"
	assert_eq "$(lk_stat 'sum(c["cut"] for c in s["calls"])')" 0 "calls cut"
}

handover "$p1" P2
p2=$new
# The application's own PYTHONPATH stays, after slipway's directory.
assert_eq "$(tr '\0' '\n' <"/proc/$p2/environ" | sed -n 's/^PYTHONPATH=//p')" \
	"$T/store/run/python:/nonexistent-app-dir" "P2's PYTHONPATH"
assert_eq "$(tr '\0' '\n' <"/proc/$p2/environ" | sed -n 's/^SLIPWAY_HEALTH_REDIRECT=//p')" \
	"$hbase" "P2's SLIPWAY_HEALTH_REDIRECT"

# Node: N1 replaces P2, then N2 replaces N1 during a call.
"$SLIPWAY" activate N1 --root store --wait >activate-N1.out 2>&1 || fail "N1: $(cat activate-N1.out)"
n1=$(started N1)
poll_for 20 grep -q "agent: stopped (pid $p2 exited with status 0)" run.log || fail "P2 did not stop"
handover "$n1" N2
assert_contains "$(tr '\0' '\n' <"/proc/$new/environ" | sed -n 's/^NODE_OPTIONS=//p')" \
	"--require \"$T/store/run/node-preload.cjs\""

kill -TERM "$sup"
wait "$sup"
rc=$?
RUN_PID=
assert_eq "$rc" 0 "slipway run's exit status"
assert_eq "$(lk_stat '[w["sigterms"] for w in s["workers"]]')" "[1, 1, 1, 1]" \
	"SIGTERMs per worker (P1, P2, N1, N2; POFF never registered)"
left=$(pgrep -fc -- "$T/store/releases/") || true
assert_eq "$left" 0 "agent processes left"
true
