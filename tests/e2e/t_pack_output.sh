# What pack prints where: the path alone on stdout; progress (files, MB, MB/s) on stderr only
# when stderr is a terminal; an unusable key fails before building and leaves nothing.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
git -C "$T/p" tag v1
test_key "$T/k"

(cd "$T/p" && NEXT_TELEMETRY_DISABLED=1 node build.js >/dev/null) || fail "fake build"

# Not a terminal: no progress line, no carriage returns.
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/out" -s "$T/k/test.key" --no-build
assert_eq "$out" "$T/out/demo-v1.tar.zst" "stdout"
assert_not_contains "$errout" "MB/s" "stderr without a terminal"
assert_not_contains "$errout" $'\r' "stderr without a terminal"

# A terminal (script(1) gives the command a pty): a progress line for each pass.
if command -v script >/dev/null; then
	script -qec "\"$SLIPWAY\" pack \"$T/p\" -o \"$T/tty\" -s \"$T/k/test.key\" --no-build" /dev/null >"$T/tty.log" 2>&1 ||
		fail "pack under a pty failed: $(cat "$T/tty.log")"
	log=$(cat "$T/tty.log")
	assert_contains "$log" "hashing 7/7 files" "progress on a terminal"
	assert_contains "$log" "writing 7/7 files" "progress on a terminal"
	assert_contains "$log" "MB/s" "progress on a terminal"
	cmp "$T/out/demo-v1.tar.zst" "$T/tty/demo-v1.tar.zst" || fail "a terminal changed the archive"
fi

# A key that is not a key: exit 1 before the build runs, nothing in OUTDIR.
printf 'untrusted comment: nope\nAAAA\n' >"$T/bad.key"
rm -rf "$T/p/.next"
expect_rc 1 "$SLIPWAY" pack "$T/p" -o "$T/bad" -s "$T/bad.key"
assert_contains "$errout" "slipway: pack: "
assert_not_contains "$errout" "fake next build done" "build output (the key is checked first)"
assert_no_file "$T/bad"
assert_no_file "$T/p/.next"
expect_rc 2 "$SLIPWAY" pack "$T/p" -o "$T/bad" -s "$T/k/test.key" --unsigned
assert_contains "$errout" "contradict"

# Interrupted while writing (SIGTERM, as Ctrl-C or a CI timeout would): dies of the signal
# and leaves nothing in OUTDIR, not even the temporary file it was writing.
(cd "$T/p" && NEXT_TELEMETRY_DISABLED=1 node build.js >/dev/null) || fail "fake build"
head -c 120000000 /dev/urandom >"$T/p/public/big.bin"
mkdir "$T/int"
"$SLIPWAY" pack "$T/p" -o "$T/int" --unsigned --no-build --allow-dirty >"$T/int.out" 2>&1 &
pid=$!
poll_for 6 compgen -G "$T/int/.demo-*.tmp-*" || fail "the temporary archive never appeared: $(cat "$T/int.out")"
kill -TERM "$pid"
wait "$pid"
rc=$?
assert_eq "$rc" 143 "exit status after SIGTERM (128+15)"
assert_eq "$(ls -A "$T/int")" "" "OUTDIR after SIGTERM"
rm -f "$T/p/public/big.bin"
