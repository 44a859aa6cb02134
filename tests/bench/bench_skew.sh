# Skew protection (specs/runtime.md, "Skew protection"): tabs left open across switches. The
# real Next.js example app behind `slipway run`, releases A and B from two builds (their
# Server Action ids and /_next/static assets differ), 120 requests/s of loopback load
# (tests/e2e/loadgen.py, half on keep-alive connections) through $BENCH_SKEW_CYCLES (10)
# activate/rollback cycles with the previous generation warm. Before each switch a tab opens
# /notes and starts a 2-second stream; after it the tab posts its form (no JavaScript), calls
# its Server Action, fetches a navigation and every chunk (tests/e2e/skew_tabs.py).
# Prints: failed requests (and keep-alive connections closed unannounced), the tabs' lost,
# repeated or failed actions, missing assets, wrong navigations, cut streams, rollback-to-
# serving, and the memory the warm previous generation costs (RSS of its process tree).
# Goals: 0 lost Server Action calls (each recorded once), 0 missing assets, 0 failed requests
# on kept-alive connections, 0 cut streams; 0 failed requests; warm rollback median <= 50 ms.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/run_env.sh"
CYCLES=${BENCH_SKEW_CYCLES:-10}
trap run_cleanup EXIT

bench_init
bench_next_ab
run_start store run.log
poll_for 60 running_is "$port" A || { echo "A never served"; tail -20 run.log; exit 1; }
"$PY" "$REPO/tests/e2e/switch_load.py" --port "$port" --root store --slipway "$SLIPWAY" \
	--a A --b B --cycles "$CYCLES" --tabs >skew.json ||
	{ echo "switch_load failed"; tail -20 run.log; exit 1; }

# The memory of each web instance now (the state file: specs/runtime.md): A serves, B is warm
# (the last switch was a rollback).
rss_tree() { # PID: kB of resident memory of PID and its descendants
	local p sum=0 kids
	sum=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
	for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		kids=$(rss_tree "$p")
		sum=$((sum + kids))
	done
	echo "${sum:-0}"
}
read -r live warm < <("$PY" -c 'import json,sys
s = json.load(open(sys.argv[1]))["services"]
pid = lambda f: next((x["pid"] for x in s if x["name"] == "web" and f(x)), 0)
print(pid(lambda x: x["serving"]), pid(lambda x: x["warm"]))' store/run/state.json)
echo "memory: the warm previous generation (B, pid $warm) $(($(rss_tree "$warm") / 1024)) MB RSS; the live one (A) $(($(rss_tree "$live") / 1024)) MB"

"$PY" - skew.json <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
l, t = d["load"], d["tabs"]
ms = lambda x: "-" if x is None else "%.0f" % x
print(f"skew: {d['switches']} switches under {l['rate']:.0f} req/s: {l['requests']} requests, "
      f"{l['failed']} failed (refused {l['refused']}, reset {l['reset']}, timeout {l['timeout']}, "
      f"bad status {l['status']}), {l['idle_closed']} idle keep-alive connections closed unannounced")
print(f"skew: {t['opened']} tabs opened before a switch: {t['actions']} Server Action calls and "
      f"form posts, {len(t['lost_actions'])} lost, {len(t['repeated_actions'])} recorded twice; "
      f"{len(t['failures'])} failures (assets, navigations, actions); "
      f"{t['streams'] - len(t['streams_cut'])} of {t['streams']} streams whole")
for e in (t["failures"] + t["streams_cut"] + t["lost_actions"])[:8]:
    print(f"skew:   {e}")
print(f"skew: rollback-to-serving p50 {ms(d['rollback_ms_p50'])} ms, p95 {ms(d['rollback_ms_p95'])} ms; "
      f"assets of the page left behind not answering 200: {len(d['asset_failures'])} of {d['assets_checked']}")
ok = (not t["lost_actions"] and not t["repeated_actions"] and not t["failures"]
      and not t["streams_cut"] and l["failed"] == 0 and not d["asset_failures"])
print("goal: 0 lost Server Action calls, 0 missing assets, 0 failed requests, 0 cut streams: %s"
      % ("met" if ok else "NOT met"))
med = d["rollback_ms_p50"]
print("goal: warm rollback-to-serving median <= 50 ms: %s (%s ms)"
      % ("met" if med is not None and med <= 50 else "NOT met", med))
PYEOF
bench_done
