# Helpers for end-to-end tests. Each test file is run by run.sh in a fresh temporary
# directory ($T, also the cwd) with $SLIPWAY pointing at the binary under test.
# A test fails on the first failed assertion (set -e is not relied upon).
#
# The example app (examples/mediai), shared across the whole run (tests/e2e/fixture.sh):
#   source "$REPO/tests/e2e/fixture.sh"
#   fixture_mediai DIR          a copy with node_modules (one `npm ci` per lockfile)
#   fixture_mediai_built DIR    the same, built as release v1 (fixture_mediai_built_v2: v2)
#   "$SLIPWAY" pack DIR ...     runs `npm run build`, which run.sh routes to the shared build:
#                               the first build of given sources and SLIPWAY_VERSION (the
#                               version packed) runs `next build`, later ones copy its output.
#                               Tag v1 (or v2 after fixture_mediai_v2_change) to share the
#                               builds the demo and the other tests make.
# A `next build` costs 20 to 40 s here: never build the example any other way, and change its
# sources only when the test is about that change.
# Each test's duration is printed; keep one under 30 s unless it needs the time.

# `deploy --wait` of a new release waits out slipway run's stability window (10 s by default,
# specs/runtime.md "Probation after the switch"); the suite's many deploys use 1 s, and the
# tests about the window (t_run_probation) set their own.
export SLIPWAY_STABLE_MS=${SLIPWAY_STABLE_MS:-1000}

fail() { echo "FAIL: $*" >&2; exit 1; }

# run CMD...: runs a command, capturing $out (stdout), $errout (stderr) and $rc.
run() {
	set +e
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
}

# expect_rc N CMD...: runs CMD and requires exit status N.
expect_rc() {
	local want=$1
	shift
	run "$@"
	[ "$rc" = "$want" ] || fail "expected exit $want, got $rc from: $*
--- stdout:
$out
--- stderr:
$errout"
}

assert_contains() { # HAYSTACK NEEDLE [what]
	case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain '$2': $1" ;; esac
}
assert_not_contains() {
	case "$1" in *"$2"*) fail "${3:-output} contains '$2': $1" ;; *) ;; esac
}
assert_file() { [ -f "$1" ] || fail "missing file $1"; }
assert_no_file() { [ ! -e "$1" ] && [ ! -L "$1" ] || fail "unexpected $1"; }
assert_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"; }
# flip_byte FILE OFFSET: the byte at OFFSET made different from what it was, in place (a
# fixed byte written there may already be the one there).
flip_byte() {
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
at = int(sys.argv[2])
os.pwrite(fd, bytes([os.pread(fd, 1, at)[0] ^ 1]), at)' "$1" "$2" || fail "flip_byte $1 $2"
}

# poll_for SECONDS CMD... (tests/e2e/poll.sh): retries CMD every 0.05 s until it succeeds;
# returns 1 after SECONDS without success.
source "$(dirname "${BASH_SOURCE[0]}")/poll.sh"

# wait_for SECONDS CMD...: as poll_for, but a timeout fails the test, naming CMD.
wait_for() {
	poll_for "$@" || fail "timed out after $1 s waiting for: ${*:2}"
}

# test_key [DIR]: DIR/test.pub + DIR/test.key (default $T), an unencrypted TEST key pair made
# by stock minisign; kept when DIR/test.key exists already.
test_key() {
	local d=${1:-$T}
	mkdir -p "$d"
	[ -f "$d/test.key" ] || minisign -G -W -p "$d/test.pub" -s "$d/test.key" \
		-c "slipway TEST KEY" >/dev/null 2>&1 || fail "minisign -G failed"
}

# A free loopback TCP port.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Repository root, for fixtures.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# downloads_left STORE: what ROOT/tmp holds besides pull.lock (the downloads' lock stays,
# as ROOT/lock does).
downloads_left() {
	ls -A "$1/tmp" | grep -vx pull.lock || true
}
