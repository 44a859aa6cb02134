#!/usr/bin/env bash
# The newcomer's tour, run by `make demo`: one release's life on this machine.
#
# Packs the example app (examples/mediai) as v1 with a throwaway key, creates a store in a
# temporary directory, deploys v1, starts `slipway run`, shows the page; changes the page,
# packs and deploys v2, shows the change; rolls back to v1; stops everything.
#
# Environment: SLIPWAY (the binary; default build/slipway), DEMO_DIR (where to work;
# default a new directory under ${TMPDIR:-/tmp}, kept afterwards so you can look around).
# Nothing listens beyond 127.0.0.1, and no process is left running when it ends.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLIPWAY=${SLIPWAY:-$REPO/build/slipway}
SLIPWAY=$(cd "$(dirname "$SLIPWAY")" && pwd)/$(basename "$SLIPWAY")
[ -x "$SLIPWAY" ] || { echo "demo: $SLIPWAY is missing; run 'make demo'" >&2; exit 2; }
# shellcheck source=../tests/e2e/fixture.sh
source "$REPO/tests/e2e/fixture.sh"

if [ -n "${DEMO_DIR:-}" ]; then
	mkdir -p "$DEMO_DIR"
	W=$(cd "$DEMO_DIR" && pwd)
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/slipway-demo.XXXXXX")
fi
PROJECT=$W/project KEYS=$W/test-keys DIST=$W/dist STORE=$W/store RUNLOG=$W/run.log
export SLIPWAY_ROOT=$STORE
unset SLIPWAY_SECRET_KEY SLIPWAY_SECRET_KEY_DATA SLIPWAY_PASSWORD
export NEXT_TELEMETRY_DISABLED=1

n=0
bold= plain=
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() {
	n=$((n + 1))
	printf '\n%s== %d. %s%s\n' "$bold" "$n" "$*" "$plain"
}
say() { printf '   %s\n' "$*"; }
show() { # show CMD...: print the command, then run it
	printf '   $ %s\n' "$*"
	"$@"
}
die() {
	printf '\ndemo: %s\n' "$*" >&2
	exit 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Processes whose working directory is inside $W: the supervisor's services.
demo_processes() {
	local p cwd
	for p in /proc/[0-9]*; do
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $cwd in "$W" | "$W"/*) echo "${p#/proc/}" ;; esac
	done
}

RUN_PID=
stop_run() {
	local i
	[ -n "$RUN_PID" ] || return 0
	if kill -0 "$RUN_PID" 2>/dev/null; then
		kill -TERM "$RUN_PID" 2>/dev/null || true
		for i in $(seq 600); do
			kill -0 "$RUN_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$RUN_PID" 2>/dev/null; then
			echo "demo: slipway run did not stop within 60s; killing it" >&2
			kill -KILL "$RUN_PID" 2>/dev/null || true
		fi
	fi
	wait "$RUN_PID" 2>/dev/null || true
	RUN_PID=
}

cleanup() {
	local rc=$? left
	trap - EXIT INT TERM
	stop_run
	if [ -n "${LK_PID:-}" ]; then
		kill "$LK_PID" 2>/dev/null || true
		wait "$LK_PID" 2>/dev/null || true
	fi
	left=$(demo_processes)
	if [ -n "$left" ]; then
		echo "demo: killing leftover processes: $left" >&2
		kill -KILL $left 2>/dev/null || true
	fi
	if [ -n "$INTERRUPTED" ]; then
		echo "demo: interrupted; everything stopped; the files are in $W" >&2
		rc=130
	elif [ $rc -ne 0 ]; then
		echo "demo: failed (exit $rc); everything is in $W" >&2
		[ -s "$RUNLOG" ] && { echo "--- last lines of $RUNLOG:" >&2; tail -30 "$RUNLOG" >&2; }
	fi
	exit $rc
}
INTERRUPTED=
trap cleanup EXIT
trap 'INTERRUPTED=1; exit 130' INT TERM

# wait_page TEXT SECONDS: until the page at / contains TEXT.
wait_page() {
	local i
	for i in $(seq $(($2 * 10))); do
		if curl -sf --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null | grep -qF -- "$1"; then
			return 0
		fi
		[ -z "$RUN_PID" ] || kill -0 "$RUN_PID" 2>/dev/null || die "slipway run exited; see $RUNLOG"
		sleep 0.1
	done
	die "the page did not show '$1' within $2s; see $RUNLOG"
}

# What the page says, in two lines.
show_page() {
	local html h1 release running
	html=$(curl -sf --max-time 5 "http://127.0.0.1:$PORT/") || die "GET / failed"
	h1=$(printf '%s' "$html" | sed -n 's:.*<h1>\([^<]*\)</h1>.*:\1:p')
	release=$(printf '%s' "$html" | sed -n 's:.*id="release">\([^<]*\)<.*:\1:p')
	running=$(printf '%s' "$html" | sed -n 's:.*id="running">\([^<]*\)<.*:\1:p')
	say "\$ curl http://127.0.0.1:$PORT/"
	say "   heading: $h1"
	say "   release: $release (built into the page), running: $running (set by slipway run)"
}

# pack VERSION SERIAL: tag the project and pack it; sets ARCHIVE.
pack() {
	git -C "$PROJECT" tag "$1"
	say "\$ slipway pack $PROJECT -o $DIST -s $KEYS/demo-test.key --serial $2"
	say "  (runs 'npm run build' with SLIPWAY_VERSION=$1, the output of 'git describe',"
	say "   which the example's next.config.js bakes into the page)"
	ARCHIVE=$("$SLIPWAY" pack "$PROJECT" -o "$DIST" -s "$KEYS/demo-test.key" \
		--serial "$2" 2>"$W/pack-$1.log") || {
		tail -30 "$W/pack-$1.log" >&2
		die "slipway pack failed; log: $W/pack-$1.log"
	}
	tail -4 "$W/pack-$1.log" | sed 's/^/     | /'
	[ -f "$ARCHIVE" ] || die "slipway pack printed '$ARCHIVE', which is not a file"
	say "archive:   $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
	say "signature: $ARCHIVE.minisig"
}

echo "slipway demo: pack, deploy, run, upgrade and roll back the example app"
echo "binary:  $SLIPWAY ($("$SLIPWAY" --version))"
echo "working in $W"

step "Prepare the example app (examples/mediai: a Next.js server and a LiveKit agent stand-in)"
PORT=$(free_port)
say "copying it to $PROJECT, with node_modules from 'npm ci' (cached in $(_fixture_cache))"
fixture_mediai "$PROJECT" || die "could not prepare the example (npm ci failed?)"
say "the app normally listens on port 5000; to stay out of the way the demo uses $PORT"
sed -i "s/^port = 5000/port = $PORT/" "$PROJECT/slipway.ini"
grep -q "^port = $PORT" "$PROJECT/slipway.ini" || die "could not set the port in slipway.ini"
say "making it a git repository, as on CI: slipway takes the version from 'git describe'"
git -C "$PROJECT" init -q
git -C "$PROJECT" add -A
git -C "$PROJECT" -c user.name=demo -c user.email=demo@localhost commit -q -m "MediAI, first release"

step "Make a throwaway signing key pair (a TEST key, for this demo only)"
mkdir -p "$KEYS"
show "$SLIPWAY" keygen -W -p "$KEYS/demo-test.pub" -s "$KEYS/demo-test.key"
say "on a real project you make the key once, with a password, and keep it in CI's secrets"

step "Pack the app as v1 (what CI does)"
say "the serial orders releases (the store refuses an older one); it defaults to the"
say "commit time, and the demo's two commits may share a second, so it is given here"
pack v1 1
ARCHIVE_V1=$ARCHIVE

step "Create a store, as on the server, pinning the public key"
show "$SLIPWAY" init --root "$STORE" -p "$KEYS/demo-test.pub"

step "Start a stand-in LiveKit server on loopback, for the agent to register with"
python3 "$REPO/tests/e2e/livekit_standin.py" serve --port-file "$W/livekit.port" >"$W/livekit.log" 2>&1 &
LK_PID=$!
for i in $(seq 100); do [ -s "$W/livekit.port" ] && break; sleep 0.1; done
[ -s "$W/livekit.port" ] || die "the stand-in LiveKit server did not start; see $W/livekit.log"
LK_PORT=$(cat "$W/livekit.port")
say "ws://127.0.0.1:$LK_PORT (tests/e2e/livekit_standin.py: registers workers, hands out"
say "consultations, and notes every call that is cut)"

step "Put the secrets in $STORE/shared/env (mode 0600; placeholder values)"
mkdir -p "$STORE/shared"
(
	umask 077
	sed -n '/^[A-Z_]*=/p' "$PROJECT/shared-env.example" | grep -v '^LIVEKIT_URL='
	echo "LIVEKIT_URL=ws://127.0.0.1:$LK_PORT" # the stand-in server
	echo "HOSTNAME=127.0.0.1"                  # the web server listens on loopback only
	echo "AGENT_HEALTH_HOST=127.0.0.1"         # so does the agent stand-in's health server
) >"$STORE/shared/env"
chmod 0600 "$STORE/shared/env"
say "names: $(cut -d= -f1 "$STORE/shared/env" | tr '\n' ' ')"
say "the values never enter an archive or a log"
say "HOSTNAME=127.0.0.1 keeps the web server on loopback. The agent's health port is not"
say "here: slipway gives each generation its own (SLIPWAY_HEALTH_PORT, from 8081 up), so the"
say "old and new agents can overlap during a deploy"

step "Deploy v1: verify the signature, unpack, check every file, switch 'current'"
show "$SLIPWAY" deploy "$ARCHIVE_V1" --root "$STORE"
say "current -> $(readlink "$STORE/current")"

step "Start the supervisor: 'slipway run' launches the web server and the agent"
say "\$ slipway run --root $STORE   (in the background; its log: $RUNLOG)"
"$SLIPWAY" run --root "$STORE" >"$RUNLOG" 2>&1 &
RUN_PID=$!
wait_page 'id="release">v1<' 90
show_page
curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null || die "/api/health did not answer"
say "/api/health: $(curl -sf "http://127.0.0.1:$PORT/api/health")"
for i in $(seq 300); do grep -q "release v1 is live" "$RUNLOG" && break; sleep 0.1; done
grep -q "registered worker" "$RUNLOG" || die "the agent did not register; see $RUNLOG"
say "the agent says: $(grep -m1 'registered worker' "$RUNLOG")"
say "slipway says:   $(grep -m1 'agent: ready after' "$RUNLOG")"

step "Change the page and pack v2"
fixture_mediai_v2_change "$PROJECT" || die "could not change the page"
git -C "$PROJECT" -c user.name=demo -c user.email=demo@localhost commit -q -am "New greeting"
say "app/page.js: GREETING = 'Welcome to MediAI, now in version 2'; a new rule in"
say "app/globals.css and new text in app/health-check.js, so v2's /_next/static files differ"
pack v2 2
ARCHIVE_V2=$ARCHIVE

step "A patient calls: the stand-in LiveKit server hands a consultation to the v1 agent"
lk() { python3 "$REPO/tests/e2e/livekit_standin.py" ctl "$LK_PORT" "$1"; }
show lk dispatch
for i in $(seq 100); do grep -q "call AJ_1 live" "$W/livekit.log" && break; sleep 0.1; done
grep -q "call AJ_1 live" "$W/livekit.log" || die "the call did not start; see $W/livekit.log"

step "Deploy v2 during the call; the supervisor moves the services to it"
say "--wait: return once 'slipway run' has v2's services up (or has rolled back)"
show "$SLIPWAY" deploy "$ARCHIVE_V2" --root "$STORE" --wait
wait_page 'id="release">v2<' 30
show_page
say "the v2 agent registered first; only then did the v1 agent get its one SIGTERM:"
grep -E "agent: (started|ready after|sent SIGTERM)" "$RUNLOG" | tail -3 | sed 's/^/   | /'
say "the v1 agent drains: it takes no new consultations and finishes the live one"
show lk end
for i in $(seq 100); do grep -q "call AJ_1 finished" "$W/livekit.log" && break; sleep 0.1; done
grep -q "call AJ_1 finished" "$W/livekit.log" || die "the call was not finished; see $W/livekit.log"
for i in $(seq 100); do grep -qE "agent: stopped \(pid [0-9]+ exited with status 0\)" "$RUNLOG" && break; sleep 0.1; done
say "$(grep -m1 "call AJ_1 finished" "$W/livekit.log")"
say "$(grep -m1 -E "agent: stopped \(pid [0-9]+ exited" "$RUNLOG")"

step "Roll back to v1: a symlink flip, no rebuild, no download"
start=$(date +%s%N)
show "$SLIPWAY" rollback --root "$STORE" --wait
wait_page 'id="release">v1<' 30
say "v1 answered again $((($(date +%s%N) - start) / 1000000)) ms after the rollback command"
show_page

step "What the store says"
show "$SLIPWAY" list --root "$STORE"
show "$SLIPWAY" status --root "$STORE"

step "Stop: one SIGTERM to 'slipway run'; it stops the web server and lets the agent drain"
start=$(date +%s%N)
stop_run
say "stopped in $((($(date +%s%N) - start) / 1000000)) ms"
[ -z "$(demo_processes)" ] || die "processes are still running in $W: $(demo_processes)"
say "no process left running"
say "the last lines of the log:"
tail -6 "$RUNLOG" | sed 's/^/   | /'

step "Where things are"
say "project (a git repo):  $PROJECT"
say "archives + signatures: $DIST"
say "test key pair:         $KEYS"
say "store:                 $STORE   (releases/, current, shared/env)"
say "supervisor log:        $RUNLOG"
say "remove it all with:    rm -rf $W"
echo
echo "demo: done"
