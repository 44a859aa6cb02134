# The zero-downtime web switch (specs/runtime.md, "Zero-downtime switch") under load: the
# real Next.js example app behind `slipway run`, releases A and B from two builds whose
# /_next/static assets differ, a steady loopback load of 120 requests/s (tests/e2e/loadgen.py:
# half on 4 keep-alive connections, half on a fresh connection each; 1 page render in 16, the
# rest health checks and static assets) through activate/rollback cycles (2 switches each):
#   warm  the previous generation kept warm (the default): $BENCH_WEB_CYCLES (20) cycles
#   cold  SLIPWAY_WARM_MS=0, the old release starts cold while the new one serves: same count
#   peer  SLIPWAY_SOCKET=off: stop the old web, then start the new one (slipway before it
#         owned the socket; any restart-based deploy): $BENCH_WEB_PEER_CYCLES (3) cycles
# Prints, per mode: requests and rate, failed requests by kind, refused connections,
# p50/p95 rollback-to-serving and activate-to-serving (from starting the command to the first
# answer of the other page, a new poll every 5 ms), of which the command itself, and the
# assets of the page left behind that did not answer 200 after a switch.
# Goals: 0 failed, 0 refused, 0 asset failures through every switch; rollback-to-serving
# median <= 50 ms warm; no refused connection cold.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/run_env.sh"
CYCLES=${BENCH_WEB_CYCLES:-20}
PEER_CYCLES=${BENCH_WEB_PEER_CYCLES:-3}
trap run_cleanup EXIT

bench_init
bench_next_ab

# mode LABEL CYCLES [ENV...]: one supervisor with ENV, CYCLES cycles under load, a summary.
mode() {
	local label=$1 cycles=$2
	shift 2
	"$SLIPWAY" activate A --root store >/dev/null || exit 1
	run_start store "run-$label.log" "$@"
	poll_for 60 running_is "$port" A || { echo "A never served"; tail -20 "run-$label.log"; exit 1; }
	"$PY" "$REPO/tests/e2e/switch_load.py" --port "$port" --root store --slipway "$SLIPWAY" \
		--a A --b B --cycles "$cycles" >"$label.json" ||
		{ echo "switch_load failed ($label)"; tail -20 "run-$label.log"; exit 1; }
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	RUN_PID=
	# slipway's own part: from seeing `current` change to telling the new web to accept.
	grep -o '[0-9]* ms after the switch began' "run-$label.log" | cut -d' ' -f1 >"$label.inside"
	"$PY" - "$label" "$label.json" "$label.inside" <<'EOF'
import json, sys
label, d = sys.argv[1], json.load(open(sys.argv[2]))
l = d["load"]
ms = lambda x: "-" if x is None else "%.0f" % x
print(f"{label}: {d['switches']} switches under {l['rate']:.0f} req/s for {l['seconds']:.0f} s: "
      f"{l['requests']} requests, {l['failed']} failed (refused {l['refused']}, reset "
      f"{l['reset']}, timeout {l['timeout']}, bad status {l['status']}), "
      f"{l['idle_closed']} idle keep-alive connections closed unannounced")
for e in l["errors"][:5]:
    print(f"{label}:   {e}")
print(f"{label}: rollback-to-serving p50 {ms(d['rollback_ms_p50'])} ms, p95 "
      f"{ms(d['rollback_ms_p95'])} ms; activate-to-serving p50 {ms(d['activate_ms_p50'])} ms, "
      f"p95 {ms(d['activate_ms_p95'])} ms; the command alone p50 {ms(d['command_ms_p50'])} ms; "
      f"never served {d['never_served']}; client latency p50 {l['latency_ms_p50']} ms, "
      f"p99 {l['latency_ms_p99']} ms")
inside = sorted(float(x) for x in open(sys.argv[3]).read().split())
if inside:
    print(f"{label}: inside slipway, from `current` changing to the new web accepting: p50 "
          f"{inside[len(inside) // 2]:.0f} ms, max {inside[-1]:.0f} ms ({len(inside)} promotions)")
print(f"{label}: assets of the page left behind not answering 200 after a switch: "
      f"{len(d['asset_failures'])} of {d['assets_checked']}"
      + (f" (e.g. {d['asset_failures'][0]})" if d['asset_failures'] else ""))
EOF
}

mode warm "$CYCLES"
mode cold "$CYCLES" SLIPWAY_WARM_MS=0
echo SLIPWAY_SOCKET=off >>store/shared/env
mode peer "$PEER_CYCLES"
"$PY" - warm.json cold.json <<'EOF'
import json, sys
w, c = (json.load(open(f)) for f in sys.argv[1:])
ok = all(d["load"]["failed"] == 0 and d["never_served"] == 0 and not d["asset_failures"]
         for d in (w, c))
med = w["rollback_ms_p50"]
print("goal: 0 failed, 0 refused, every asset 200 through %d switches: %s" %
      (w["switches"] + c["switches"], "met" if ok else "NOT met"))
print("goal: rollback-to-serving median <= 50 ms while warm: %s (%s ms)" %
      ("met" if med is not None and med <= 50 else "NOT met", med))
EOF
bench_done
