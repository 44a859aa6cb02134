# libcurl and libgit2 are loaded by the commands that use them, never linked: every other
# command (the host's install among them) starts without their forty-odd libraries
# (cmd/support/libcurl.h, pack/libgit2.h). The dynamic loader's own log is the judge.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
test_key
S="$T/store"

libs=$(ldd "$SLIPWAY")
assert_not_contains "$libs" "libcurl" "ldd $SLIPWAY"
assert_not_contains "$libs" "libgit2" "ldd $SLIPWAY"

# loaded_by NAME CMD...: runs CMD (any exit status) with the loader logging to $T/ld-NAME.*;
# $loaded is that log.
loaded_by() {
	local name=$1
	shift
	run env LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld-$name" "$@"
	loaded=$(cat "$T/ld-$name".* 2>/dev/null)
	[ -n "$loaded" ] || fail "no loader log for $name"
}

loaded_by init "$SLIPWAY" init --root "$S" -p "$T/test.pub"
[ "$rc" = 0 ] || fail "init failed: $errout"
assert_not_contains "$loaded" "libcurl" "init's loader log"
assert_not_contains "$loaded" "libgit2" "init's loader log"
loaded_by status "$SLIPWAY" status --root "$S"
assert_not_contains "$loaded" "libcurl" "status's loader log"
assert_not_contains "$loaded" "libgit2" "status's loader log"

# A fetch loads libcurl (here to be refused: nothing listens on the port), and only libcurl.
port=$(free_port)
loaded_by pull "$SLIPWAY" pull "http://127.0.0.1:$port/" --root "$S"
assert_eq "$rc" 3 "pull from a closed port"
assert_contains "$loaded" "file=libcurl" "pull's loader log"
assert_not_contains "$loaded" "libgit2" "pull's loader log"
assert_contains "$errout" "127.0.0.1:$port" "pull's error"

# pack reads the project's repository through libgit2, loaded then, and still gets git's
# answer (`git describe`, the oracle; t_pack_git covers every shape).
make_project "$T/p"
cd "$T/p"
printf '[app]\nbuild =\n' >slipway.ini
mkdir -p .next/standalone .next/static && echo s >.next/standalone/server.js
git add slipway.ini && git commit -qm "no build" && git tag v1.2.3
loaded_by pack "$SLIPWAY" pack -o "$T/out" --unsigned
[ "$rc" = 0 ] || fail "pack failed: $errout"
assert_contains "$loaded" "file=libgit2" "pack's loader log"
assert_not_contains "$loaded" "libcurl" "pack's loader log"
assert_file "$T/out/demo-$(git describe --tags --always --dirty).tar.zst"
