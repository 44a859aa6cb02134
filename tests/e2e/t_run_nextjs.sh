# The real Next.js example app under slipway run: curl sees release A's page, B after
# `deploy --wait`, A again after `rollback --wait`, all from one supervisor; static assets
# are served; SIGTERM leaves no node or python process behind.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
run_agent_env store 1
echo HOSTNAME=127.0.0.1 >>store/shared/env
run_next_tree app
agent='{"name": "agent", "argv": ["'"$PY"'", "${RELEASE}/agent/main.py", "start"], "cwd": "",
  "env": {"AGENT_HEALTH_PORT": "0", "AGENT_CONNECT_SECONDS": "0.2"}, "port": 0, "ready": "none",
  "ready_timeout_ms": 10000, "stop_timeout_ms": 10000}'
for v in A B; do
	"$PY" "$REPO/tests/e2e/make_release.py" --tree app --app mediai --version "$v" \
		--serial "$( [ $v = A ] && echo 1 || echo 2)" --out "$T/$v.tar.zst" --sign "$T/test.key" \
		--service "$(next_service "$port")" --service "$agent" \
		--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET >/dev/null ||
		fail "make_release.py $v"
done
expect_rc 0 "$SLIPWAY" deploy "$T/A.tar.zst" --root store
run_start store run.log
sup=$RUN_PID
poll_for 60 running_is "$port" A || fail "A not served: $(tail -30 run.log)"
page "$port" | grep -q "Welcome to MediAI" || fail "not the example page"
css=$(page "$port" | grep -o '/_next/static/[^"]*\.css' | head -1)
[ -n "$css" ] || fail "no stylesheet link in the page"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$css")" 200 "static asset"
assert_contains "$(cat run.log)" "mediai-agent: registered worker"
ss -ltn | grep -q "127.0.0.1:$port " || fail "web does not listen on 127.0.0.1:$port (HOSTNAME)"

expect_rc 0 "$SLIPWAY" deploy "$T/B.tar.zst" --root store --wait
running_is "$port" B || fail "B not served right after deploy --wait"
expect_rc 0 "$SLIPWAY" rollback --root store --wait
running_is "$port" A || fail "A not served right after rollback --wait"
kill -0 "$sup" || fail "slipway run restarted"
assert_not_contains "$(cat run.log)" "received SIGTERM (2)"

procs=$(descendants "$sup")
kill -TERM "$sup"
wait "$sup"
assert_eq "$?" "0" "exit status"
RUN_PID=
for p in $procs; do kill -0 "$p" 2>/dev/null && fail "process $p survived: $(ps -o args= -p "$p")"; done
true
