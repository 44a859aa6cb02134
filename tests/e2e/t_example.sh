# The example app (examples/mediai) without slipway: the agent stand-in keeps the LiveKit
# worker's lifecycle, and the Next.js build serves its page, static assets, public/ and
# /api/health from the standalone server. Other tests build on both.
source "$REPO/tests/e2e/fixture.sh"

pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT

# wait_for_line FILE TEXT: up to 10 s for TEXT to appear in FILE.
wait_for_line() {
	poll_for 10 grep -qF -- "$2" "$1" || fail "'$2' never appeared in $1: $(cat "$1")"
}

agent="$REPO/examples/mediai/agent/main.py"

# Missing LiveKit settings: exit 1 at once, naming the variables and nothing else.
expect_rc 1 env -u LIVEKIT_URL -u LIVEKIT_API_KEY -u LIVEKIT_API_SECRET \
	LIVEKIT_API_KEY=key-value-must-not-leak python3 "$agent" start
assert_contains "$errout" "LIVEKIT_URL"
assert_contains "$errout" "LIVEKIT_API_SECRET"
assert_not_contains "$errout" "LIVEKIT_API_KEY" "error (LIVEKIT_API_KEY is set)"
assert_not_contains "$errout$out" "key-value-must-not-leak" "agent output"
expect_rc 2 python3 "$agent" frob

# The stand-in LiveKit server it registers with and takes consultations from.
python3 "$REPO/tests/e2e/livekit_standin.py" serve --port-file lk.port >livekit.log 2>&1 &
pids+=("$!")
poll_for 10 test -s lk.port
lk() { python3 "$REPO/tests/e2e/livekit_standin.py" ctl "$(cat lk.port)" "$1"; }
export LIVEKIT_URL=ws://127.0.0.1:$(cat lk.port) LIVEKIT_API_KEY=test-key LIVEKIT_API_SECRET=test-secret
export AGENT_CONNECT_SECONDS=0.5 AGENT_JOB_INIT_SECONDS=0.2
code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/"; }

# The health port comes from SLIPWAY_HEALTH_PORT; GET / is 503 until registered, then 200.
hport=$(free_port)
SLIPWAY_HEALTH_PORT=$hport python3 "$agent" start >agent1.log 2>&1 &
pid=$!
pids+=("$pid")
wait_for_line agent1.log "health server listening on port $hport"
assert_eq "$(code "$hport")" 503 "agent health before registering"
wait_for_line agent1.log "registered worker"
assert_eq "$(code "$hport")" 200 "agent health once registered"

# The trap of the real frameworks: a second worker on the same port dies at once.
expect_rc 1 env SLIPWAY_HEALTH_PORT="$hport" python3 "$agent" start
assert_contains "$errout" "address already in use"
assert_contains "$errout" "$hport"

# One SIGTERM during a call: draining, the call finishes, exit 0 only after it ended.
lk dispatch >/dev/null || fail "dispatch failed"
wait_for_line livekit.log "call AJ_1 live"
kill -TERM "$pid"
wait_for_line agent1.log "draining"
kill -0 "$pid" || fail "the agent did not wait for its call"
lk end >/dev/null
wait "$pid"
rc=$?
assert_eq "$rc" 0 "agent exit status after one SIGTERM"
log=$(cat agent1.log)
assert_contains "$log" "received SIGTERM (1)"
assert_contains "$log" "drained, exiting"
assert_not_contains "$log" "force exit"
wait_for_line livekit.log "call AJ_1 finished"

# A second signal during the drain: force exit, non-zero, at once, and the call is cut.
AGENT_HEALTH_PORT=0 python3 "$agent" start >agent2.log 2>&1 &
pid=$!
pids+=("$pid")
wait_for_line agent2.log "registered worker"
lk dispatch >/dev/null || fail "dispatch failed"
wait_for_line livekit.log "call AJ_2 live"
kill -TERM "$pid"
wait_for_line agent2.log "draining"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -ne 0 ] || fail "force exit returned 0"
log=$(cat agent2.log)
assert_contains "$log" "received SIGINT (2)"
assert_contains "$log" "force exit"
assert_not_contains "$log" "health server" "agent log with AGENT_HEALTH_PORT=0"
wait_for_line livekit.log "call AJ_2 CUT"

# The example's slipway.ini is valid and says what the README and the demo rely on.
expect_rc 0 "$SLIPWAY" pack "$REPO/examples/mediai" --print-config
assert_contains "$out" "[service web]"
assert_contains "$out" "ready = http /api/health"
assert_contains "$out" "port = 5000"
assert_contains "$out" "[service agent]"
assert_contains "$out" "command = python3 agent/main.py start"
assert_contains "$out" "health_port = 8081"
assert_contains "$out" "ready = log registered worker"
assert_contains "$out" "stop_timeout = 30m"
assert_contains "$out" "required = GEMINI_API_KEY LIVEKIT_API_KEY LIVEKIT_API_SECRET LIVEKIT_URL DATABASE_URL JWT_SECRET"
# ... and shared-env.example names every required secret.
for name in GEMINI_API_KEY LIVEKIT_API_KEY LIVEKIT_API_SECRET LIVEKIT_URL DATABASE_URL JWT_SECRET; do
	grep -q "^$name=." "$REPO/examples/mediai/shared-env.example" || fail "shared-env.example lacks $name"
done

# The web app: built once (cached), served the way a release lays it out.
fixture_mediai_built app >fixture.log 2>&1 || fail "fixture: $(tail -20 fixture.log)"
assert_file app/.next/standalone/server.js
assert_file app/.next/BUILD_ID
assert_no_file app/.next/cache
cp -r app/.next/static app/.next/standalone/.next/static
cp -r app/public app/.next/standalone/public
port=$(free_port)
(cd app/.next/standalone && PORT=$port HOSTNAME=127.0.0.1 SLIPWAY_VERSION=vtest exec node server.js) >web.log 2>&1 &
pids+=("$!")
poll_for 10 curl -sf -o health.json "http://127.0.0.1:$port/api/health"
assert_contains "$(cat health.json)" '"status":"ok"' "/api/health"
version=v1 # fixture_mediai_built builds release v1, as `slipway pack` of a v1 tag does
assert_contains "$(cat health.json)" "\"release\":\"$version\"" "/api/health"
page=$(curl -sf "http://127.0.0.1:$port/") || fail "GET / failed: $(cat web.log)"
assert_contains "$page" "Welcome to MediAI"
assert_contains "$page" "id=\"release\">$version<" "page"
assert_contains "$page" "id=\"running\">vtest<" "page (rendered per request)"
asset=$(printf '%s' "$page" | grep -o '/_next/static/[^"]*\.js' | head -1)
[ -n "$asset" ] || fail "the page references no /_next/static script"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$asset")" 200 "GET $asset"
assert_contains "$(curl -sf "http://127.0.0.1:$port/robots.txt")" "User-agent"
