# e2e: alone
# A service that prints faster than slipway can log (issue 15 item 3) must not freeze the
# supervisor: with `yes` flooding its pipe, another service still becomes ready, a crashing
# one is still restarted with backoff, and SIGTERM still stops everything promptly.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
web_tree tree A
run_install store A tree --service "$(svc chatty '["yes", "flood"]')" \
	--service "$(svc chatty2 '["yes", "flood"]')" \
	--service "$(svc crasher '["sh", "-c", "sleep 0.2; exit 2"]')" \
	--service "$(web_service "$port")"
run_activate store A
# slipway's output goes to a slow reader (about 1 MB/s, like a busy journald) that keeps
# only slipway's own lines: each line slipway logs waits for it, so the floods always
# refill their pipes faster than slipway can empty them.
slow_reader() {
	"$PY" -c 'import sys, time
out = open(sys.argv[1], "wb", buffering=0)
rest = b""
while True:
    data = sys.stdin.buffer.read1(4096)
    if not data:
        break
    lines = (rest + data).split(b"\n")
    rest = lines.pop()
    out.write(b"".join(l + b"\n" for l in lines if not l.startswith(b"chatty")))
    time.sleep(0.004)' "$1"
}
SLIPWAY_BACKOFF_MIN_MS=100 SLIPWAY_BACKOFF_MAX_MS=100 "$SLIPWAY" run --root store |
	slow_reader run.log &
run_pid() { RUN_PID=$(pgrep -f -- "$SLIPWAY run --root store" | head -1) && [ -n "$RUN_PID" ]; }
poll_for 5 run_pid
[ -n "$RUN_PID" ] || fail "slipway run did not start"

state() { "$PY" -c 'import json,sys
s = json.load(open("store/run/state.json"))
print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
web_ready() { [ "$(state '[x["state"] for x in s["services"] if x["name"] == "web"][0]')" = ready ]; }
# Unloaded, each takes well under a second; the bounds allow for a loaded machine, and
# without bounded reads the loop never gets there at all.
poll_for 10 web_ready || fail "web never became ready under the flood: $(grep -v crasher run.log | tail)"
restarts() { state '[x["restarts"] for x in s["services"] if x["name"] == "crasher"][0]'; }
restarted() { [ "$(restarts)" -ge 3 ]; }
poll_for 10 restarted || fail "the crashing service was not restarted under the flood: $(restarts)"
page_is "$port" "release A" || fail "web does not answer"

t0=$(date +%s%N)
kill -TERM "$RUN_PID"
gone() { ! kill -0 "$RUN_PID" 2>/dev/null; }
poll_for 10 gone || fail "slipway did not stop within 10 s of SIGTERM"
ms=$((($(date +%s%N) - t0) / 1000000))
wait
RUN_PID=
assert_contains "$(cat run.log)" "all services stopped; exiting"
echo "stopped ${ms} ms after SIGTERM"
pgrep -f "yes flood" >/dev/null && fail "yes is still running"
true
