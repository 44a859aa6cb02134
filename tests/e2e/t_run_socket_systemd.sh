# The web's socket outlives a restart of `slipway run` under systemd (specs/runtime.md,
# "Socket ownership"): slipway offers the socket it binds to the file-descriptor store
# (FDSTORE=1, FDNAME=port-<port>), and a restarted slipway adopts it from LISTEN_FDS. The
# stand-in for systemd is tests/e2e/fake_systemd.py. Under a steady load through the restart
# (the web itself restarts cold), no connection is refused and no request fails: they wait
# in the socket's queue.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

next_store
next_archive A 1 app
expect_rc 0 "$SLIPWAY" deploy "$T/A.tar.zst" --root store

"$PY" "$REPO/tests/e2e/fake_systemd.py" --events events.jsonl -- \
	"$SLIPWAY" run --root store >run.log 2>&1 &
RUN_PID=$!
poll_for 60 running_is "$port" A || fail "A not served: $(tail -20 run.log)"
stored() { "$PY" - "$port" <<'EOF'
import json, sys
for line in open("events.jsonl"):
    e = json.loads(line)
    if "FDSTORE=1" in e.get("lines", []) and "FDNAME=port-" + sys.argv[1] in e["lines"]:
        assert e["ports"] == [int(sys.argv[1])], e
        sys.exit(0)
sys.exit(1)
EOF
}
poll_for 10 stored || fail "the socket was not offered to the fd store: $(cat events.jsonl)"
assert_not_contains "$(cat run.log)" "inherited from systemd"

rm -f stop
"$PY" "$REPO/tests/e2e/loadgen.py" --port "$port" --rate 100 --timeout 30 --path /api/health \
	--stop-file stop --max-seconds 120 >load.json &
load=$!
sleep 1
kill -HUP "$RUN_PID" # restart slipway run
readies() { grep -c '"READY=1' events.jsonl; }
second_ready() { [ "$(readies)" -ge 2 ]; }
poll_for 60 second_ready || fail "slipway did not come back: $(tail -30 run.log)"
sleep 1
touch stop
wait "$load"
assert_contains "$(cat run.log)" "listening socket for port $port inherited from systemd"
"$PY" - load.json <<'EOF' || fail "clients saw failures across the restart: $(cat load.json)"
import json, sys
l = json.load(open(sys.argv[1]))
assert l["requests"] > 100 and l["failed"] == 0 and l["refused"] == 0, l
EOF
running_is "$port" A || fail "A not served after the restart"
kill -TERM "$RUN_PID"
wait "$RUN_PID" || fail "slipway run exited $? under the stand-in"
RUN_PID=
