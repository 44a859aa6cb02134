#!/usr/bin/env bash
# The real framework's traps under slipway (part of `make check-livekit`):
#  1. a worker that ignores SLIPWAY_HEALTH_PORT (CHECK_FIXED_PORT) dies with Node's
#     "listen EADDRINUSE: address already in use 0.0.0.0:PORT" when the next generation
#     starts beside it: `deploy --wait` exits 1 naming the port and its holder, slipway
#     prints the one-line contract, and the old worker keeps its call and gets no SIGTERM;
#  2. with kill_mode = group the SIGTERM reaches the job processes ("SIGTERM received in
#     job proc" in the framework's debug log); with the default (process) it does not.
# Environment: SLIPWAY, LK_MODULES.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${SLIPWAY:?}" "${LK_MODULES:?}"
py=$(python3 -c 'import sys; print(sys.executable)')
W=$(mktemp -d "${TMPDIR:-/tmp}/slipway-traps.XXXXXX")
RUN_PID= LK_PID=
fail() {
	echo "traps: FAIL: $*" >&2
	[ -f "$W/run.log" ] && tail -30 "$W/run.log" | sed 's/^/    /' >&2
	exit 1
}
source "$here/lib.sh"
cd "$W" || exit 1
LK_MODULES=$LK_MODULES PORT_FILE="$W/lk.port" node "$here/standin_server.mjs" >livekit.log 2>&1 &
LK_PID=$!
poll_for 10 test -s lk.port || fail "the stand-in LiveKit server did not start"
LK_PORT=$(cat lk.port)
minisign -G -W -p test.pub -s test.key -c "slipway TEST KEY" >/dev/null 2>&1 || fail "minisign -G"
mkdir -p tree
cp "$here/agent.cjs" tree/agent.cjs
fixed=$(free_port)
release() { # VERSION SERIAL ENV_JSON [EXTRA_KEYS]
	"$py" "$repo/tests/e2e/make_release.py" --tree tree --app traps --version "$1" --serial "$2" \
		--out "$1.tar.zst" --sign test.key --service "{\"name\": \"agent\",
		  \"argv\": [\"node\", \"\${RELEASE}/agent.cjs\", \"start\"], \"cwd\": \"\", \"env\": $3,
		  \"port\": 0, \"health_port\": $(free_port), \"ready\": \"log\", \"ready_log\": \"registered worker\",
		  \"ready_timeout_ms\": 120000, \"stop_timeout_ms\": 120000${4:-}}" \
		--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET >/dev/null || fail "make_release.py $1"
}
store() {
	rm -rf store
	"$SLIPWAY" init --root store -p test.pub >/dev/null || fail "slipway init"
	printf 'LIVEKIT_URL=ws://127.0.0.1:%s\nLIVEKIT_API_KEY=devkey\nLIVEKIT_API_SECRET=secret-of-the-trap-check\nNODE_PATH=%s\n' \
		"$LK_PORT" "$LK_MODULES" >store/shared/env
	chmod 600 store/shared/env
}

# --- 1. a hard-coded health port
store
release F1 1 "{\"CHECK_FIXED_PORT\": \"$fixed\", \"LOG_LEVEL\": \"debug\"}"
release F2 2 "{\"CHECK_FIXED_PORT\": \"$fixed\", \"LOG_LEVEL\": \"debug\"}"
"$SLIPWAY" deploy F1.tar.zst --root store >/dev/null || fail "deploy F1"
"$SLIPWAY" run --root store >run.log 2>&1 &
RUN_PID=$!
poll_for 180 grep -q "release F1 is live" run.log || fail "F1 never went live"
old=$(sed -n 's/.*agent: started pid \([0-9]*\)  release F1.*/\1/p' run.log)
curl -sf -X POST "http://127.0.0.1:$LK_PORT/dispatch" >/dev/null || fail "dispatch"
poll_for 60 grep -q "call AJ_1 live" livekit.log || fail "call not live"
"$SLIPWAY" deploy F2.tar.zst --root store --wait >deploy.out 2>&1
rc=$?
[ "$rc" = 1 ] || fail "deploy --wait of F2 exited $rc: $(cat deploy.out)"
grep -q "listen EADDRINUSE: address already in use 0.0.0.0:$fixed" run.log ||
	fail "the framework's own EADDRINUSE is missing"
grep -q "address in use (port $fixed, held by agent of release F1 (pid $old))" deploy.out ||
	fail "deploy --wait does not name the port and its holder: $(cat deploy.out)"
grep -qF 'port=int(os.environ.get("SLIPWAY_HEALTH_PORT", 8081))' run.log ||
	fail "slipway did not print the one-line contract"
kill -0 "$old" || fail "the old worker was stopped"
grep -F '"msg":"SIGTERM received in CLI."' run.log | grep -q "\"pid\":$old," &&
	fail "the old worker got a SIGTERM"
grep -q "CUT" livekit.log && fail "the call was cut"
echo "traps: hard-coded health port: the framework's EADDRINUSE diagnosed ($(grep -o 'address in use (port [^)]*)' deploy.out | head -1)); F2 rolled back; the old worker kept its call"
curl -sf -X POST "http://127.0.0.1:$LK_PORT/end" >/dev/null
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=

# --- 2. kill_mode group reaches the job processes; the default does not
for mode in group process; do
	store
	release "K$mode" 3 '{"LOG_LEVEL": "debug"}' "$([ $mode = group ] && echo ', "kill_mode": "group"')"
	"$SLIPWAY" deploy "K$mode.tar.zst" --root store >/dev/null || fail "deploy K$mode"
	"$SLIPWAY" run --root store >"run-$mode.log" 2>&1 &
	RUN_PID=$!
	poll_for 180 grep -q "release K$mode is live" "run-$mode.log" || fail "K$mode never went live"
	# Let the job process finish initialising, as in production between deploys.
	poll_for 60 grep -q "job runner initialized" "run-$mode.log" ||
		fail "no job process initialised (K$mode)"
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	RUN_PID=
	n=$(grep -cF 'SIGTERM received in job proc' "run-$mode.log")
	echo "traps: kill_mode = $mode: job processes that got SIGTERM: $n"
	if [ $mode = group ]; then [ "$n" -gt 0 ] || fail "group mode did not reach the job processes"; fi
	if [ $mode = process ]; then [ "$n" = 0 ] || fail "the default mode signalled job processes"; fi
done
echo "traps: ok"
