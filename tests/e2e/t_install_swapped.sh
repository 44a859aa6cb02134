# An archive rewritten in place after its signature was checked and before (or while) it is
# unpacked is refused: install hashes the bytes it actually reads and checks them against the
# signature again. The window is widened with strace, which delays the one lseek(2) install
# makes between verifying and unpacking; the byte changed lies in a tar padding block, which
# no other check looks at. Skipped when strace is missing.
source "$REPO/tests/e2e/store_lib.sh"
command -v strace >/dev/null || { echo "strace not installed: skipping"; exit 0; }
test_key
S="$T/store"
new_store "$S"
release 1.0.0 1 --compress none
A="$T/rel-1.0.0.tar.zst" # an uncompressed tar despite the name; the reader takes both
# Offset of app/index.txt's data ("hello 1.0.0\n"), then a byte inside its zero padding.
off=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.index(b"hello 1.0.0\n") + 100)' "$A")
[ "$(dd if="$A" bs=1 skip="$off" count=1 2>/dev/null | od -An -tx1 | tr -d ' ')" = 00 ] || fail "not a padding byte"

strace -o "$T/trace" -e trace=lseek -e inject=lseek:delay_exit=3000000:when=1 \
	"$SLIPWAY" install "$A" --root "$S" >"$T/inst.out" 2>"$T/inst.err" &
pid=$!
# strace logs the lseek as "(DELAYED)" when the delay starts: the signature is checked by then.
poll_for 20 grep -q DELAYED "$T/trace" || fail "install never reached its lseek: $(cat "$T/inst.err")"
printf 'X' | dd of="$A" bs=1 seek="$off" conv=notrunc 2>/dev/null
wait $pid
rc=$?
[ $rc = 1 ] || fail "expected exit 1, got $rc: $(cat "$T/inst.err")"
assert_contains "$(cat "$T/inst.err")" "changed while it was being installed"
assert_no_file "$S/releases/1.0.0"
assert_no_file "$S/meta/1.0.0.json"
assert_eq "$(ls -A "$S/staging")" "" "staging"
# Without the race, the very same bytes fail the first check.
expect_rc 1 "$SLIPWAY" install "$A" --root "$S"
assert_contains "$errout" "signature does not match"
