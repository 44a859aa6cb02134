# A server that takes its socket from LISTEN_FDS (SLIPWAY_SOCKET=inherit; here a small Python
# server, tests/e2e/listen_fds_server.py, that never binds a port) runs on slipway's socket:
# it gets fd 3 with LISTEN_FDS=1 and LISTEN_PID = its own pid; a switch stops the old
# server before starting the new one, but the socket stays open, so under a steady load
# (tests/e2e/loadgen.py) no connection is refused and no request fails; connections made in
# the gap wait in the socket's queue.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
server='{"name": "web", "argv": ["'"$PY"'", "${RELEASE}/www/listen_fds_server.py"], "cwd": "www",
  "env": {"SLIPWAY_SOCKET": "inherit"}, "port": '"$port"', "ready": "http", "ready_path": "/",
  "ready_timeout_ms": 20000, "stop_timeout_ms": 5000}'
for v in A B; do
	mkdir -p "tree-$v/www"
	cp "$REPO/tests/e2e/listen_fds_server.py" "tree-$v/www/"
	run_install store "$v" "tree-$v" --service "$server"
done
run_activate store A
run_start store run.log
poll_for 20 page_is "$port" "release A" || fail "A not served: $(cat run.log)"
# The page can answer before the server's own log line has come through the log pipe.
poll_for 10 grep -qF "serving on the inherited socket 0.0.0.0:$port (web)" run.log ||
	fail "no 'serving on the inherited socket' line: $(cat run.log)"
ss -ltnp | grep "0.0.0.0:$port " | grep -q slipway || fail "slipway does not hold the socket"

rm -f stop
"$PY" "$REPO/tests/e2e/loadgen.py" --port "$port" --rate 100 --timeout 30 --stop-file stop \
	--max-seconds 120 >load.json &
load=$!
sleep 0.5
for v in B A B; do
	if [ $v = A ]; then
		expect_rc 0 "$SLIPWAY" rollback --root store --wait
	else
		expect_rc 0 "$SLIPWAY" activate B --root store --wait
	fi
	page_is "$port" "release $v" || fail "$v not served after the switch"
	sleep 0.5
done
touch stop
wait "$load"
"$PY" - load.json <<'EOF' || fail "clients saw failures: $(cat load.json)"
import json, sys
l = json.load(open(sys.argv[1]))
assert l["requests"] > 100 and l["failed"] == 0 and l["refused"] == 0, l
EOF
# Stop-then-start: every switch stopped the old server first (one SIGTERM each).
assert_eq "$(grep -c "its port is handed over" run.log)" 3 "old servers stopped for the switch"
assert_eq "$(grep -c "serving on the inherited socket" run.log)" 4 "servers started"
