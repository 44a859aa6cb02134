# Helpers for the t_run_* tests (sourced after lib.sh). They build release directories by
# hand (the supervisor only reads the store layout: specs/store.md) and flip `current` the
# way the store does (temporary symlink renamed over it).

# The real interpreter, not a version-manager shim that costs a process tree per start.
PY=$(python3 -c 'import sys; print(sys.executable)')

# run_store ROOT: an empty store with a 0600 shared/env.
run_store() {
	mkdir -p "$1/releases" "$1/shared"
	: >"$1/shared/env"
	chmod 600 "$1/shared/env"
}

# run_web_release ROOT VERSION PORT [READY_TIMEOUT_MS]: a release whose "web" service is
# python's http.server on 127.0.0.1:PORT serving www/index.html = "release VERSION".
run_web_release() {
	local root=$1 v=$2 port=$3 rt=${4:-10000} d="$1/releases/$2"
	mkdir -p "$d/www"
	echo "release $v" >"$d/www/index.html"
	"$PY" "$REPO/tests/e2e/run_manifest.py" "$d" "$v" "[{\"name\": \"web\",
	  \"argv\": [\"$PY\", \"-u\", \"-m\", \"http.server\", \"--bind\", \"127.0.0.1\", \"$port\"],
	  \"cwd\": \"www\", \"port\": $port, \"ready\": \"http\", \"ready_path\": \"/\",
	  \"ready_timeout_ms\": $rt, \"stop_timeout_ms\": 5000}]"
}

# run_activate ROOT VERSION: atomic flip of ROOT/current to releases/VERSION.
run_activate() {
	ln -sfn "releases/$2" "$1/.current.test" && mv -T "$1/.current.test" "$1/current"
}

# run_start ROOT LOG [ENV...]: starts `slipway run` in the background; sets $RUN_PID.
run_start() {
	local root=$1 log=$2
	shift 2
	env "$@" "$SLIPWAY" run --root "$root" >"$log" 2>&1 &
	RUN_PID=$!
}

# wait_for SECONDS CMD...: retries CMD every 0.05 s until it succeeds; fails the test on timeout.
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt $((limit * 20)) ] || return 1
		sleep 0.05
	done
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

# run_cleanup: kill -9 the supervisor and everything below it (trap on EXIT).
run_cleanup() {
	local p
	[ -n "${RUN_PID:-}" ] || return 0
	for p in $(descendants "$RUN_PID"); do kill -9 "$p" 2>/dev/null; done
	kill -9 "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
	return 0
}

# run_app_release ROOT VERSION PORT: web (as run_web_release) plus the example's stand-in
# LiveKit agent (examples/mediai/agent/main.py, no health port) with a 10 s stop timeout.
run_app_release() {
	local root=$1 v=$2 port=$3 d="$1/releases/$2"
	mkdir -p "$d/www" "$d/agent"
	echo "release $v" >"$d/www/index.html"
	cp "$REPO/examples/mediai/agent/main.py" "$d/agent/main.py"
	"$PY" "$REPO/tests/e2e/run_manifest.py" "$d" "$v" "[{\"name\": \"web\",
	  \"argv\": [\"$PY\", \"-u\", \"-m\", \"http.server\", \"--bind\", \"127.0.0.1\", \"$port\"],
	  \"cwd\": \"www\", \"port\": $port, \"ready\": \"http\", \"ready_path\": \"/\",
	  \"ready_timeout_ms\": 20000, \"stop_timeout_ms\": 5000},
	  {\"name\": \"agent\", \"argv\": [\"$PY\", \"\${RELEASE}/agent/main.py\", \"start\"],
	  \"env\": {\"AGENT_HEALTH_PORT\": \"0\", \"AGENT_CONNECT_SECONDS\": \"0.2\"},
	  \"stop_timeout_ms\": 10000}]" LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET
}

# run_agent_env ROOT DRAIN_SECONDS: the agent's secrets (test values) and drain time.
run_agent_env() {
	printf 'LIVEKIT_URL=ws://127.0.0.1:1\nLIVEKIT_API_KEY=test-key\nLIVEKIT_API_SECRET=test-secret\nAGENT_DRAIN_SECONDS=%s\n' \
		"$2" >"$1/shared/env"
	chmod 600 "$1/shared/env"
}

# line_of FILE TEXT: the number of the first line of FILE containing TEXT (0 if none).
line_of() { grep -nF -- "$2" "$1" | head -1 | cut -d: -f1 | grep . || echo 0; }
