# Helpers for the t_run_* tests (sourced after lib.sh): a real store (slipway init) with
# signed test archives (tests/e2e/make_release.py) installed and activated by slipway itself.

# The real interpreter, not a version-manager shim that costs a process tree per start.
PY=$(python3 -c 'import sys; print(sys.executable)')

# run_store ROOT: an initialised store pinned to a TEST KEY, with an empty 0600 shared/env.
run_store() {
	test_key
	"$SLIPWAY" init --root "$1" -p "$T/test.pub" >/dev/null || fail "slipway init failed"
	mkdir -p "$1/shared"
	: >"$1/shared/env"
	chmod 600 "$1/shared/env"
}

RUN_SERIAL=0
# run_install ROOT VERSION TREE [make_release.py args: --service JSON, --required NAMES...]:
# a signed test archive of TREE installed (not activated) into the store.
run_install() {
	local root=$1 v=$2 tree=$3
	shift 3
	RUN_SERIAL=$((RUN_SERIAL + 1))
	"$PY" "$REPO/tests/e2e/make_release.py" --tree "$tree" --app testapp --version "$v" \
		--serial "$RUN_SERIAL" --out "$T/rel-$v.tar.zst" --sign "$T/test.key" "$@" >/dev/null ||
		fail "make_release.py failed for $v"
	"$SLIPWAY" install "$T/rel-$v.tar.zst" --root "$root" >/dev/null || fail "install of $v failed"
}

# web_service PORT [READY_TIMEOUT_MS]: the service JSON of python's http.server on
# 127.0.0.1:PORT serving the release's www/.
web_service() {
	echo "{\"name\": \"web\", \"argv\": [\"$PY\", \"-u\", \"-m\", \"http.server\", \"--bind\",
	  \"127.0.0.1\", \"$1\"], \"cwd\": \"www\", \"env\": {}, \"port\": $1, \"ready\": \"http\",
	  \"ready_path\": \"/\", \"ready_timeout_ms\": ${2:-20000}, \"stop_timeout_ms\": 5000}"
}

# svc NAME ARGV_JSON [PORT READY TIMEOUT_MS]: a service JSON object.
svc() {
	local ready=${4:-none} path=""
	[ "$ready" = http ] && path='"ready_path": "/",'
	echo "{\"name\": \"$1\", \"argv\": $2, \"cwd\": \"\", \"env\": {}, \"port\": ${3:-0},
	  \"ready\": \"$ready\", $path \"ready_timeout_ms\": ${5:-10000}, \"stop_timeout_ms\": 5000}"
}

# web_tree DIR VERSION: www/index.html = "release VERSION".
web_tree() {
	mkdir -p "$1/www"
	echo "release $2" >"$1/www/index.html"
}

# run_web_release ROOT VERSION PORT [READY_TIMEOUT_MS]: install a release whose "web"
# serves "release VERSION" on 127.0.0.1:PORT.
run_web_release() {
	web_tree "$T/tree-$2" "$2"
	run_install "$1" "$2" "$T/tree-$2" --service "$(web_service "$3" "${4:-20000}")"
}

# run_activate ROOT VERSION: `slipway activate` (the store flips `current` atomically).
run_activate() {
	"$SLIPWAY" activate "$2" --root "$1" >/dev/null || fail "activate $2 failed"
}

# run_start ROOT LOG [ENV...]: starts `slipway run` in the background; sets $RUN_PID.
run_start() {
	local root=$1 log=$2
	shift 2
	env "$@" "$SLIPWAY" run --root "$root" >"$log" 2>&1 &
	RUN_PID=$!
}

# page PORT: the body at http://127.0.0.1:PORT/ (curl is the oracle).
page() { curl -fsS --max-time 2 "http://127.0.0.1:$1/"; }
page_is() { [ "$(page "$1")" = "$2" ]; }

# group_procs PGID: how many processes are in process group PGID.
group_procs() { ps -e -o pgid= | awk -v g="$1" '$1 == g' | wc -l; }

# descendants PID: pids of every process below PID.
descendants() {
	local c
	for c in $(ps -e -o pid= -o ppid= | awk -v p="$1" '$2 == p {print $1}'); do
		echo "$c"
		descendants "$c"
	done
}

# run_cleanup: kill -9 the supervisor and everything below it, and the stand-in LiveKit
# server (trap on EXIT).
run_cleanup() {
	local p
	if [ -n "${LK_PID:-}" ]; then
		kill "$LK_PID" 2>/dev/null
		wait "$LK_PID" 2>/dev/null
	fi
	[ -n "${RUN_PID:-}" ] || return 0
	for p in $(descendants "$RUN_PID"); do kill -9 "$p" 2>/dev/null; done
	kill -9 "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
	return 0
}

# lk_start: the stand-in LiveKit server (tests/e2e/livekit_standin.py) on a free loopback
# port; sets $LK_PORT and $LK_PID, its log in $T/livekit.log.
lk_start() {
	rm -f "$T/livekit.port"
	"$PY" "$REPO/tests/e2e/livekit_standin.py" serve --port-file "$T/livekit.port" \
		>"$T/livekit.log" 2>&1 &
	LK_PID=$!
	poll_for 10 test -s "$T/livekit.port" || fail "the stand-in LiveKit server did not start"
	LK_PORT=$(cat "$T/livekit.port")
}

# lk CMD: a control command to the stand-in server (dispatch, end, stats); prints its JSON.
lk() { "$PY" "$REPO/tests/e2e/livekit_standin.py" ctl "$LK_PORT" "$1"; }

# lk_stat EXPR: evaluates a Python expression over the server's stats as `s` (workers and
# calls), e.g. lk_stat 'len(s["workers"])'.
lk_stat() { lk stats | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# agent_service HEALTH_BASE [EXTRA_ENV_JSON_MEMBERS]: the example's stand-in LiveKit worker
# as the "agent" service: health ports from HEALTH_BASE, ready on `registered worker`.
agent_service() {
	echo "{\"name\": \"agent\", \"argv\": [\"$PY\", \"\${RELEASE}/agent/main.py\", \"start\"],
	  \"cwd\": \"\", \"env\": {\"AGENT_CONNECT_SECONDS\": \"0.3\", \"AGENT_JOB_INIT_SECONDS\": \"0.3\"${2:+, $2}},
	  \"port\": 0, \"health_port\": $1, \"ready\": \"log\", \"ready_log\": \"registered worker\",
	  \"ready_timeout_ms\": 15000, \"stop_timeout_ms\": 20000}"
}

# agent_tree DIR: a release tree holding the example's agent/main.py.
agent_tree() {
	mkdir -p "$1/agent"
	cp "$REPO/examples/mediai/agent/main.py" "$1/agent/main.py"
}

# run_app_release ROOT VERSION PORT [HEALTH_BASE]: web (as run_web_release) plus the
# example's stand-in LiveKit agent (agent_service).
run_app_release() {
	local d="$T/tree-$2"
	web_tree "$d" "$2"
	agent_tree "$d"
	run_install "$1" "$2" "$d" --service "$(web_service "$3")" \
		--service "$(agent_service "${4:-$(free_port)}")" \
		--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET
}

# run_agent_env ROOT DRAIN_SECONDS: starts the stand-in LiveKit server (lk_start) and writes
# the agent's secrets (test values) pointing at it, and its drain timeout.
run_agent_env() {
	[ -n "${LK_PORT:-}" ] || lk_start
	printf 'LIVEKIT_URL=ws://127.0.0.1:%s\nLIVEKIT_API_KEY=test-key\nLIVEKIT_API_SECRET=test-secret\nAGENT_DRAIN_SECONDS=%s\n' \
		"$LK_PORT" "$2" >"$1/shared/env"
	chmod 600 "$1/shared/env"
}

# line_of FILE TEXT: the number of the first line of FILE containing TEXT (0 if none).
line_of() { grep -nF -- "$2" "$1" | head -1 | cut -d: -f1 | grep . || echo 0; }

# next_store: $port (a free port) and ./store (run_store) whose shared/env pins the Next.js
# server to 127.0.0.1, with the built example in ./app (run_next_tree).
next_store() {
	port=$(free_port)
	run_store store
	echo HOSTNAME=127.0.0.1 >>store/shared/env
	run_next_tree app
}

# run_next_tree DIR [v2]: the example app (examples/mediai), built through the fixture cache
# and laid out as a release: .next/standalone with .next/static and public/ next to
# server.js, plus agent/. The page shows `running: <version>` from SLIPWAY_VERSION, so one
# build serves as any number of releases. With v2: the second build (fixture.sh), whose
# /_next/static assets differ from the first's.
run_next_tree() {
	local src=$T/next-src built=fixture_mediai_built
	source "$REPO/tests/e2e/fixture.sh"
	[ "${2:-}" = v2 ] && src=$T/next-src-v2 built=fixture_mediai_built_v2
	[ -d "$src/.next/standalone" ] || "$built" "$src" >&2 ||
		fail "could not build the example app"
	rm -rf "$1"
	mkdir -p "$1/.next"
	cp -a "$src/.next/standalone" "$1/.next/standalone"
	cp -a "$src/.next/static" "$1/.next/standalone/.next/static"
	cp -a "$src/public" "$1/.next/standalone/public"
	cp -a "$src/agent" "$1/agent"
	rm -rf "$1/agent/__pycache__"
}

# next_archive VERSION SERIAL TREE [SERVICE_JSON]: $T/VERSION.tar.zst, a signed archive of
# TREE (run_next_tree) as app mediai, whose one service is SERVICE_JSON (default: the
# Next.js server on $port, next_service).
next_archive() {
	"$PY" "$REPO/tests/e2e/make_release.py" --tree "$3" --app mediai --version "$1" \
		--serial "$2" --out "$T/$1.tar.zst" --sign "$T/test.key" \
		--service "${4:-$(next_service "$port")}" >/dev/null || fail "make_release.py $1"
}

# next_service PORT: the Next.js standalone server as the "web" service.
next_service() {
	echo "{\"name\": \"web\", \"argv\": [\"node\", \"server.js\"], \"cwd\": \".next/standalone\",
	  \"env\": {\"NEXT_TELEMETRY_DISABLED\": \"1\", \"NODE_ENV\": \"production\"}, \"port\": $1,
	  \"ready\": \"http\", \"ready_path\": \"/api/health\", \"ready_timeout_ms\": 30000,
	  \"stop_timeout_ms\": 10000}"
}

# running_is PORT VERSION: the Next.js page says it runs VERSION.
running_is() { page "$1" | grep -q "id=\"running\">$2<"; }
