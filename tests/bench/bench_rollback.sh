# Rollback-to-serving on the example Next.js app, without other load: the time from starting
# `slipway rollback` to the first HTTP 200 (curl, every 10 ms) that shows the old release,
# median of several runs (goal <= 1.0 s; the old release's web is kept warm, so a rollback
# promotes it: specs/runtime.md "Warm generation"), against the peer floor measured in the
# same run: a bare `node server.js` cold start to its first 200 (what any restart-based
# rollback pays at least). Also slipway's own part (from the log), the supervisor's RSS and
# its CPU use while idle (from /proc; no busy polling means ~0%). bench_web_switch measures
# switches under load, warm and cold.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/run_env.sh"
RUNS=${BENCH_ROLLBACK_RUNS:-7}
trap run_cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

next_store
for v in A B; do
	"$PY" "$REPO/tests/e2e/make_release.py" --tree app --app mediai --version "$v" \
		--serial "$( [ $v = A ] && echo 1 || echo 2)" --out "$T/$v.tar.zst" \
		--sign "$T/test.key" --service "$(next_service "$port")" >/dev/null || exit 1
	"$SLIPWAY" install "$T/$v.tar.zst" --root store >/dev/null || exit 1
done
"$SLIPWAY" activate A --root store >/dev/null || exit 1
run_start store run.log
poll_for 60 running_is "$port" A || { echo "A never served"; tail -20 run.log; exit 1; }

# Peer: node server.js from cold to first 200, on another port.
peer=()
pport=$(free_port)
for i in $(seq "$RUNS"); do
	t0=$(now_ms)
	(cd app/.next/standalone && PORT=$pport HOSTNAME=127.0.0.1 exec node server.js) >/dev/null 2>&1 &
	npid=$!
	until curl -fs -o /dev/null "http://127.0.0.1:$pport/api/health"; do sleep 0.01; done
	peer+=($(($(now_ms) - t0)))
	kill "$npid"
	wait "$npid" 2>/dev/null
done

times=()
inside=()
for i in $(seq "$RUNS"); do
	"$SLIPWAY" activate B --root store --wait >/dev/null || { echo "activate B failed"; exit 1; }
	t0=$(now_ms)
	"$SLIPWAY" rollback --root store >/dev/null || { echo "rollback failed"; exit 1; }
	until running_is "$port" A 2>/dev/null; do sleep 0.01; done
	times+=($(($(now_ms) - t0)))
	inside+=($(grep -o '[0-9]* ms after the switch began' run.log | tail -1 | cut -d' ' -f1))
done
med=$(printf '%s\n' "${times[@]}" | median /dev/stdin | cut -d. -f1)
pmed=$(printf '%s\n' "${peer[@]}" | median /dev/stdin | cut -d. -f1)

# Idle: 5 s with nothing happening.
sleep 1
read -r rss_kb < <(awk '/^VmRSS/ {print $2}' "/proc/$RUN_PID/status")
ticks() { awk '{print $14 + $15}' "/proc/$RUN_PID/stat"; }
c0=$(ticks)
sleep 5
c1=$(ticks)
hz=$(getconf CLK_TCK)
web_pid=$("$PY" -c 'import json; print([s["pid"] for s in json.load(open("store/run/state.json"))["services"] if s["name"]=="web"][0])')
web_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$web_pid/status")

echo "rollback to first 200 with the old page (ms, $RUNS runs): ${times[*]}"
echo "peer: node server.js cold start to first 200 (ms):        ${peer[*]}"
echo "inside slipway, \`current\` changed to old web accepting (ms): ${inside[*]}"
echo "median rollback-to-serving: ${med} ms (goal <= 1000 ms); inside slipway (median):"
echo "  $(printf '%s\n' "${inside[@]}" | median /dev/stdin | cut -d. -f1) ms; the rest is the rollback command, the page's render and curl"
echo "median node cold start:     ${pmed} ms"
awk -v a="$med" -v b="$pmed" 'BEGIN {printf "ratio slipway rollback / node cold start: %.2f\n", a / b}'
echo "supervisor RSS: ${rss_kb} kB (the web it supervises: ${web_rss} kB)"
awk -v a="$rss_kb" -v b="$web_rss" 'BEGIN {printf "ratio supervisor RSS / web RSS: %.3f\n", a / b}'
awk -v d=$((c1 - c0)) -v hz="$hz" 'BEGIN {printf "supervisor idle CPU: %d ticks in 5 s = %.2f%% of one core\n", d, 100 * d / hz / 5}'
[ "$med" -le 1000 ] && echo "goal met" || echo "goal NOT met"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
