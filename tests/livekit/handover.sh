#!/usr/bin/env bash
# Back-to-back deploys of a LiveKit worker while consultations are live, judged by the
# stand-in LiveKit server (what the "LiveKit side" saw) and by the workers' own logs:
#
#   handover.sh real      the real @livekit/agents (tests/livekit/agent.cjs; LK_MODULES is
#                         its node_modules) against tests/livekit/standin_server.mjs
#   handover.sh stock     the same, with the framework's README worker as users copy it: no
#                         port line (tests/livekit/agent_stock.cjs), health_port 8081, the
#                         framework's own port; slipway's preload moves its bind
#   handover.sh standin   the example's stand-in worker (examples/mediai/agent/main.py)
#                         against tests/e2e/livekit_standin.py
#
# Before each deploy a call is dispatched to the live worker, so every worker that is
# replaced still holds a call; after the last deploy the calls end. Goal: 0 calls cut,
# 0 "address already in use", each new worker registered before its predecessor's SIGTERM,
# exactly one SIGTERM per worker main process and none to a job process, 0 processes left
# after `slipway run` stops. Prints one line with the numbers; exit 1 if a goal is missed.
#
# Environment: SLIPWAY (the binary), DEPLOYS (default 10), LK_MODULES (real only).
set -u
kind=${1:?usage: handover.sh real|stock|standin}
node_kind=; [ "$kind" = standin ] || node_kind=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${SLIPWAY:?set SLIPWAY to the slipway binary}"
deploys=${DEPLOYS:-10}
py=$(python3 -c 'import sys; print(sys.executable)')
W=$(mktemp -d "${TMPDIR:-/tmp}/slipway-handover.XXXXXX")
RUN_PID= LK_PID=

say() { printf '%s\n' "$*"; }
die() {
	say "handover ($kind): $*" >&2
	[ -f "$W/run.log" ] && tail -40 "$W/run.log" | sed 's/^/    /' >&2
	exit 1
}
source "$here/lib.sh"

# --- the stand-in LiveKit server, and how to talk to it
if [ -n "$node_kind" ]; then
	: "${LK_MODULES:?set LK_MODULES to the node_modules holding @livekit/agents}"
	LK_MODULES=$LK_MODULES PORT_FILE="$W/lk.port" node "$here/standin_server.mjs" >"$W/livekit.log" 2>&1 &
	LK_PID=$!
	lk() {
		case $1 in
		stats) curl -sf "http://127.0.0.1:$LK_PORT/stats" ;;
		*) curl -sf -X POST "http://127.0.0.1:$LK_PORT/$1" ;;
		esac
	}
else
	"$py" "$repo/tests/e2e/livekit_standin.py" serve --port-file "$W/lk.port" >"$W/livekit.log" 2>&1 &
	LK_PID=$!
	lk() { "$py" "$repo/tests/e2e/livekit_standin.py" ctl "$LK_PORT" "$1"; }
fi
poll_for 10 test -s "$W/lk.port" || die "the stand-in LiveKit server did not start"
LK_PORT=$(cat "$W/lk.port")
# stat EXPR: a Python expression over the server's stats `s`.
stat() { lk stats | "$py" -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
calls_live() { [ "$(stat 'len(s["calls"])')" -ge "$1" ]; }

# --- a store with a TEST key, and the releases v1 .. v(deploys+1)
cd "$W" || exit 1
minisign -G -W -p test.pub -s test.key -c "slipway TEST KEY" >/dev/null 2>&1 || die "minisign -G"
"$SLIPWAY" init --root store -p test.pub >/dev/null || die "slipway init"
mkdir -p tree
hbase=$(free_port)
if [ "$kind" = stock ]; then
	hbase=8081 # the framework's port; if taken, slipway gives the next and moves the bind
	cp "$here/agent_stock.cjs" tree/agent.cjs
	argv='["node", "${RELEASE}/agent.cjs", "start"]'
	env='{"LOG_LEVEL": "debug"}'
	extra="NODE_PATH=$LK_MODULES"
elif [ -n "$node_kind" ]; then
	cp "$here/agent.cjs" tree/agent.cjs
	argv='["node", "${RELEASE}/agent.cjs", "start"]'
	env='{"LOG_LEVEL": "debug"}'
	extra="NODE_PATH=$LK_MODULES"
else
	mkdir -p tree/agent
	cp "$repo/examples/mediai/agent/main.py" tree/agent/main.py
	argv="[\"$py\", \"\${RELEASE}/agent/main.py\", \"start\"]"
	env='{"PYTHONUNBUFFERED": "1"}'
	extra="AGENT_DRAIN_SECONDS=3600"
fi
service="{\"name\": \"agent\", \"argv\": $argv, \"cwd\": \"\", \"env\": $env, \"port\": 0,
  \"health_port\": $hbase, \"ready\": \"log\", \"ready_log\": \"registered worker\",
  \"ready_timeout_ms\": 120000, \"stop_timeout_ms\": 600000}"
printf 'LIVEKIT_URL=ws://127.0.0.1:%s\nLIVEKIT_API_KEY=devkey\nLIVEKIT_API_SECRET=secret-of-the-handover-check\n%s\n' \
	"$LK_PORT" "$extra" >store/shared/env
chmod 600 store/shared/env
for i in $(seq 1 $((deploys + 1))); do
	"$py" "$repo/tests/e2e/make_release.py" --tree tree --app handover --version "v$i" \
		--serial "$i" --out "v$i.tar.zst" --sign test.key --service "$service" \
		--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET >/dev/null || die "make_release.py v$i"
done

# --- v1 live, then the deploys, each during a live call on the worker being replaced
"$SLIPWAY" deploy v1.tar.zst --root store >/dev/null || die "deploy v1"
"$SLIPWAY" run --root store >run.log 2>&1 &
RUN_PID=$!
poll_for 180 grep -q "release v1 is live" run.log || die "v1 never went live"
t0=$(date +%s%N)
for i in $(seq 2 $((deploys + 1))); do
	lk dispatch >"dispatch-$i.json" || die "no worker took call $((i - 1))"
	poll_for 60 calls_live $((i - 1)) || die "call $((i - 1)) never went live"
	ts=$(date +%s%N)
	"$SLIPWAY" deploy "v$i.tar.zst" --root store --wait >"deploy-$i.out" 2>&1 ||
		die "deploy v$i --wait failed: $(cat "deploy-$i.out")"
	echo $((($(date +%s%N) - ts) / 1000000)) >>deploy-ms
done
total_ms=$((($(date +%s%N) - t0) / 1000000))
lk end >/dev/null || die "could not end the calls"
# Every replaced worker finishes its drain once its call is over.
old_left() { [ "$(grep -cE 'agent: stopped \(pid [0-9]+ ' run.log)" -ge "$deploys" ]; }
poll_for 300 old_left || die "the replaced workers did not all finish their drain"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
run_rc=$?
RUN_PID=

# --- the verdict
pids=$(sed -n 's/.*agent: started pid \([0-9]*\)  release v\([0-9]*\) .*/\2 \1/p' run.log | sort -n | cut -d' ' -f2)
n_workers=$(echo "$pids" | wc -w)
cut=$(stat 'sum(1 for c in s["calls"] if c["cut"])')
calls=$(stat 'len(s["calls"])')
inuse=$(grep -ciE 'EADDRINUSE|address already in use' run.log)
order_ok=0 prev=
for p in $pids; do
	if [ -n "$prev" ]; then
		ok=$(stat "[w['registered_at'] for w in s['workers'] if w['pid'] == $p][0] < [w['draining_at'] for w in s['workers'] if w['pid'] == $prev][0] and [w['draining_at'] for w in s['workers'] if w['pid'] == $prev][0] > 0")
		[ "$ok" = True ] && order_ok=$((order_ok + 1))
	fi
	prev=$p
done
if [ -n "$node_kind" ]; then
	# The framework logs each SIGTERM at debug level; a second one would kill it at once.
	sigterms() { grep -F '"msg":"SIGTERM received in CLI."' run.log | grep -c "\"pid\":$1,"; }
	job_sigterms=$(grep -cF 'SIGTERM received in job proc' run.log)
else
	sigterms() { stat "[w['sigterms'] for w in s['workers'] if w['pid'] == $1][0]"; }
	job_sigterms=$(grep -cF 'received SIGTERM; ignoring' run.log)
fi
one_each=0 spread=
for p in $pids; do
	c=$(sigterms "$p")
	[ "$c" = 1 ] && one_each=$((one_each + 1))
	spread="$spread $c"
done
killed=$(grep -cE 'agent: stopped \(pid [0-9]+ killed by signal' run.log)
left=$(pgrep -fc -- "$W/store" || true)
median=$(sort -n deploy-ms | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

say "handover ($kind): $deploys deploys during live calls in $((total_ms / 1000)) s (deploy --wait median ${median} ms):"
say "  calls cut: $cut of $calls"
say "  \"address already in use\": $inuse"
say "  new worker registered before its predecessor's SIGTERM: $order_ok of $deploys"
say "  SIGTERMs per worker main process:$spread (exactly one: $one_each of $n_workers)"
say "  SIGTERMs to job processes: $job_sigterms; workers killed by a signal: $killed"
say "  processes left after slipway run stopped: $left (slipway run exit $run_rc)"
[ "$cut" = 0 ] && [ "$calls" = "$deploys" ] && [ "$inuse" = 0 ] && [ "$order_ok" = "$deploys" ] &&
	[ "$one_each" = "$n_workers" ] && [ "$n_workers" = $((deploys + 1)) ] && [ "$job_sigterms" = 0 ] &&
	[ "$killed" = 0 ] && [ "$left" = 0 ] && [ "$run_rc" = 0 ] || die "a goal was missed"
say "  goal met"
