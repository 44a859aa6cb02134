# An archive rewritten in place after its signature was checked and before (or while) it is
# unpacked cannot get changed bytes installed (specs/store.md "Install"):
# - an archive too large to be copied (here: SLIPWAY_TEST_ARCHIVE_COPY_MAX=0) is read from
#   the file, whose bytes are hashed as they are unpacked and checked against the signature
#   again: refused;
# - a smaller one is copied into a sealed memfd while it is hashed: the copy is what is
#   verified and unpacked, so the signed content is installed, whatever became of the file.
# The window is widened with strace, which delays the first lseek(2) install makes (after the
# hashing pass: on the file before unpacking it, or on the sealed copy); the byte changed
# lies in a tar padding block, which no other check looks at. Skipped when strace is missing.
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

cp "$A" "$T/original.tar"
# LeakSanitizer cannot run under ptrace (make check-asan): leaks are checked by other tests.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
SLIPWAY_TEST_ARCHIVE_COPY_MAX=0 strace -o "$T/trace" -e trace=lseek \
	-e inject=lseek:delay_exit=3000000:when=1 \
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

# The same race against the copied archive: the signed bytes are installed.
cp "$T/original.tar" "$A"
rm -f "$T/trace"
strace -o "$T/trace" -e trace=lseek -e inject=lseek:delay_exit=3000000:when=1 \
	"$SLIPWAY" install "$A" --root "$S" >"$T/inst.out" 2>"$T/inst.err" &
pid=$!
poll_for 20 grep -q DELAYED "$T/trace" || fail "install never reached its lseek: $(cat "$T/inst.err")"
printf 'X' | dd of="$A" bs=1 seek="$off" conv=notrunc 2>/dev/null
wait $pid || fail "install of the copied archive failed: $(cat "$T/inst.err")"
assert_eq "$(cat "$S/releases/1.0.0/app/index.txt")" "hello 1.0.0" "installed content"
assert_contains "$(cat "$S/meta/1.0.0.json")" "$(b2sum "$T/original.tar" | cut -c1-128)" \
	"the record's archive digest (the signed bytes')"
! cmp -s "$A" "$T/original.tar" || fail "the archive was not rewritten during the install"
