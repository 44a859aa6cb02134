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

export LIVEKIT_URL=wss://placeholder.invalid LIVEKIT_API_KEY=test-key LIVEKIT_API_SECRET=test-secret
export AGENT_CONNECT_SECONDS=0.2 AGENT_DRAIN_SECONDS=1

# One SIGTERM: registered, health 200, draining, exit 0 after the drain time.
hport=$(free_port)
AGENT_HEALTH_PORT=$hport python3 "$agent" start >agent1.log 2>&1 &
pid=$!
pids+=("$pid")
wait_for_line agent1.log "registered worker"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/")" 200 "agent health"
start=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$rc" 0 "agent exit status after one SIGTERM"
[ "$elapsed_ms" -ge 900 ] || fail "agent exited after ${elapsed_ms}ms, before its 1s drain"
log=$(cat agent1.log)
assert_contains "$log" "received SIGTERM (1)"
assert_contains "$log" "draining"
assert_contains "$log" "drained, exiting"
assert_not_contains "$log" "force exit"

# A second signal during the drain: force exit, non-zero, at once.
AGENT_HEALTH_PORT=0 AGENT_DRAIN_SECONDS=30 python3 "$agent" start >agent2.log 2>&1 &
pid=$!
pids+=("$pid")
wait_for_line agent2.log "registered worker"
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

# The example's slipway.ini is valid and says what the README and the demo rely on.
expect_rc 0 "$SLIPWAY" pack "$REPO/examples/mediai" --print-config
assert_contains "$out" "[service web]"
assert_contains "$out" "ready = http /api/health"
assert_contains "$out" "port = 5000"
assert_contains "$out" "[service agent]"
assert_contains "$out" "command = python3 agent/main.py start"
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
for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/api/health" >health.json 2>/dev/null && break
	sleep 0.1
done
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
