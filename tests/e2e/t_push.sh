# slipway push over ssh to Debian's sshd on loopback (throwaway TEST keys): v1 to a host
# with no supervisor yet (--no-wait), v2 with --wait while `slipway run` serves (curl sees
# it), v2 again sends nothing (the host checks it is the same archive), v1 again is the
# host's downgrade refusal, a tampered archive is refused with the host's exit code 1 and
# current unchanged, a stream cut short installs nothing, an unreachable host is exit 3.
source "$REPO/tests/e2e/run_helpers.sh"
source "$REPO/tests/e2e/ssh_lib.sh"
trap 'run_cleanup; sshd_stop' EXIT

port=$(free_port)
H=$T/host
run_store "$H"
# push_release VERSION SERIAL: a signed release whose web serves "release VERSION".
push_release() {
	web_tree "$T/tree-$1" "$1"
	"$PY" "$REPO/tests/e2e/make_release.py" --tree "$T/tree-$1" --app testapp --version "$1" \
		--serial "$2" --out "$T/rel-$1.tar.zst" --sign "$T/test.key" \
		--service "$(web_service "$port")" >/dev/null || fail "make_release.py failed for $1"
}
push_release 1.0.0 1
push_release 2.0.0 2
sshd_serve
push() { "$SLIPWAY" push 127.0.0.1 "$@" -p "$SSH_PORT" -F "$SSH_CONFIG" --slipway "$SLIPWAY" --root "$H"; }

# v1: no supervisor yet, so no waiting; the host's own lines come back
expect_rc 0 push "$T/rel-1.0.0.tar.zst" --no-wait --json
sent=$(echo "$out" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]=="1.0.0" and d["exit"]==0 and not d["skipped"], d; print(d["sent"])') ||
	fail "push --json: $out"
size=$(($(stat -c %s "$T/rel-1.0.0.tar.zst") + $(stat -c %s "$T/rel-1.0.0.tar.zst.minisig")))
[ "$sent" -gt "$size" ] && [ "$sent" -lt $((size + 200)) ] || fail "sent $sent bytes for $size bytes of files"
assert_contains "$errout" "installed 1.0.0"
assert_contains "$errout" "activated 1.0.0"
assert_eq "$(readlink "$H/current")" "releases/1.0.0" "current after push 1.0.0"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a push"

run_start "$H" run.log SLIPWAY_STABLE_MS=500
poll_for 20 page_is "$port" "release 1.0.0" || fail "1.0.0 never served; log: $(cat run.log)"

# v2 with --wait: the host's deploy --wait answer, printed here
expect_rc 0 push "$T/rel-2.0.0.tar.zst"
assert_contains "$out" "sending 2.0.0"
assert_contains "$out" "2.0.0 is live: every service is ready"
page_is "$port" "release 2.0.0" || fail "2.0.0 not served after push --wait"

# v2 again: the host has it and runs it; nothing sent, the host decides as deploy would
expect_rc 0 push "$T/rel-2.0.0.tar.zst" --json
echo "$out" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["skipped"] and d["sent"]==0 and d["exit"]==0, d' ||
	fail "second push of 2.0.0: $out"
assert_contains "$errout" "has 2.0.0 installed: nothing sent"
assert_contains "$errout" "2.0.0 is already installed from this archive"
# v1 again (installed, older, not current): nothing sent, the host's downgrade guard says no
expect_rc 1 push "$T/rel-1.0.0.tar.zst" --no-wait
assert_contains "$out" "has 1.0.0 installed: nothing sent"
assert_contains "$errout" "slipway: receive: downgrade refused: 1.0.0 (serial 1) is installed"
# another archive claiming the installed 2.0.0: refused without a byte sent
mv "$T/rel-2.0.0.tar.zst" "$T/rel-2.0.0.tar.zst.good" && mv "$T/rel-2.0.0.tar.zst.minisig" "$T/rel-2.0.0.tar.zst.minisig.good"
echo other >"$T/tree-2.0.0/www/other.txt"
push_release 2.0.0 2
expect_rc 1 push "$T/rel-2.0.0.tar.zst"
assert_contains "$errout" "version 2.0.0 is already installed from a different archive"
mv "$T/rel-2.0.0.tar.zst.good" "$T/rel-2.0.0.tar.zst" && mv "$T/rel-2.0.0.tar.zst.minisig.good" "$T/rel-2.0.0.tar.zst.minisig"
assert_eq "$(readlink "$H/current")" "releases/2.0.0" "current after refused re-pushes"

# a tampered archive (one byte flipped, its signature kept): the host refuses, exit 1
push_release 3.0.0 3
"$PY" -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$T/rel-3.0.0.tar.zst"
expect_rc 1 push "$T/rel-3.0.0.tar.zst"
assert_contains "$errout" "slipway: receive:"
assert_eq "$(grep -c '^slipway: receive:' <<<"$errout")" "1" "lines of the host's refusal"
assert_eq "$(readlink "$H/current")" "releases/2.0.0" "current after a tampered push"
assert_no_file "$H/releases/3.0.0"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a refused push"
page_is "$port" "release 2.0.0" || fail "2.0.0 no longer served after a refused push"

# the host's end fed directly (no ssh: the same bytes it would read from the channel):
# a stream cut short (the archive's length announced, half of it sent) is exit 3, an
# oversized announcement is refused before a byte is written; nothing left in ROOT/tmp
half=$(($(stat -c %s "$T/rel-2.0.0.tar.zst") / 2))
offer="slipway-push 2\noffer 9.9.9 $(printf '%0128d' 0) 1000 0 -\n"
expect_rc 3 sh -c '{ printf "$1archive %s\n" "$2"; head -c "$3" "$4"; } |
	"$5" receive --root "$6"' _ "$offer" $((half * 2 + 1)) "$half" "$T/rel-2.0.0.tar.zst" "$SLIPWAY" "$H"
assert_eq "$out" "send" "the host's answer to an offer of a release it lacks"
assert_eq "$errout" "slipway: receive: archive: the stream ended after $half of $((half * 2 + 1)) bytes; nothing installed" "the cut stream's message"
expect_rc 1 sh -c 'printf "$1minisig 99999999\n" | "$2" receive --root "$3"' _ "$offer" "$SLIPWAY" "$H"
assert_contains "$errout" "the minisig is 99999999 bytes, more than the 16384 accepted"
expect_rc 1 sh -c 'printf "GET / HTTP/1.1\r\n\r\n" | "$1" receive --root "$2"' _ "$SLIPWAY" "$H"
assert_contains "$errout" "not a slipway push stream"
expect_rc 1 sh -c 'printf "slipway-push 2\noffer ../../etc %0128d 1000 0 -\n" 0 | "$1" receive --root "$2"' _ "$SLIPWAY" "$H"
assert_contains "$errout" "bad offer"
assert_eq "$out" "" "the answer to an offer of an invalid version"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after hostile streams"
assert_eq "$(readlink "$H/current")" "releases/2.0.0" "current after hostile streams"

# A push whose bytes come slowly does not hold the store (specs/channel.md "Locks"): while
# receive waits in the middle of the archive, a command that takes the store lock gets it at
# once; the stream then cut installs nothing.
mkfifo "$T/slow.in"
"$SLIPWAY" receive --root "$H" <"$T/slow.in" >"$T/slow.out" 2>"$T/slow.err" &
slow=$!
exec 7>"$T/slow.in"
printf "${offer}archive %s\n" $((half * 2 + 1)) >&7
head -c "$half" "$T/rel-2.0.0.tar.zst" >&7
archive_half() { [ "$(stat -c %s "$H/tmp/push.archive" 2>/dev/null || echo 0)" -ge "$half" ]; }
poll_for 10 archive_half || fail "receive did not read the half sent: $(cat "$T/slow.err")"
SLIPWAY_LOCK_TIMEOUT=0 expect_rc 0 "$SLIPWAY" activate 2.0.0 --root "$H"
assert_contains "$out" "2.0.0 is already active"
kill -0 "$slow" || fail "receive ended early: $(cat "$T/slow.err")"
exec 7>&-
wait "$slow"
assert_eq "$?" "3" "exit of receive when the held stream ends"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a held stream"

# an unreachable host: ssh's own message, then one line of ours, exit 3
dead=$(free_port)
expect_rc 3 "$SLIPWAY" push 127.0.0.1 "$T/rel-2.0.0.tar.zst" -p "$dead" -F "$SSH_CONFIG" --root "$H"
assert_contains "$errout" "slipway: push: cannot reach or log in to 127.0.0.1 with ssh (exit 255)"
assert_eq "$(readlink "$H/current")" "releases/2.0.0" "current at the end"
