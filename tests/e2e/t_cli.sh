# The dispatcher: help, version, unknown commands and flags.
expect_rc 0 "$SLIPWAY" --help
assert_contains "$out" "usage: slipway <command>"
for c in keygen pack sign verify inspect init install activate rollback deploy list status prune run; do
	assert_contains "$out" "  $c " "--help lists $c"
done
expect_rc 0 "$SLIPWAY" --version
assert_contains "$out" "slipway "
expect_rc 2 "$SLIPWAY"
expect_rc 2 "$SLIPWAY" frobnicate
assert_contains "$errout" "'frobnicate' is not a slipway command"
expect_rc 2 "$SLIPWAY" --frob
assert_contains "$errout" "unknown option"

# stdout is checked at exit, as git does: output that could not be written is a system
# error (exit 3), not a success.
source "$REPO/tests/e2e/store_lib.sh"
test_key
new_store store
"$SLIPWAY" list --root store >/dev/full 2>"$T/full.err"
assert_eq "$?" 3 "exit of list > /dev/full"
assert_contains "$(cat "$T/full.err")" "slipway: write error on stdout: No space left on device"
"$SLIPWAY" --help >/dev/full 2>/dev/null
assert_eq "$?" 3 "exit of --help > /dev/full"
expect_rc 0 "$SLIPWAY" list --root store
assert_contains "$out" "no releases installed"

# Option combinations are checked before anything touches the store: no lock taken, no
# sweep (a leftover of an interrupted command stays for the next real command).
mkdir store/staging/leftover.0
expect_rc 2 "$SLIPWAY" install nothing.tar.zst --root store --wait
assert_contains "$errout" "--wait needs --activate"
[ -d store/staging/leftover.0 ] || fail "install --wait without --activate swept the store"
expect_rc 2 "$SLIPWAY" list --root
assert_contains "$errout" "incomplete option '--root'"
expect_rc 2 "$SLIPWAY" status --root store extra
assert_contains "$errout" "unexpected argument 'extra'"

# One serial rule for `pack --serial` and the trusted comment's serial: (decimal, no sign,
# no leading zero, at most 2^53-1), checked before anything is built.
expect_rc 2 "$SLIPWAY" pack --serial 007 --no-build "$T/nowhere"
assert_contains "$errout" "bad --serial: serial '007' is not a decimal integer"
expect_rc 2 "$SLIPWAY" pack --serial 9007199254740992 "$T/nowhere"
assert_contains "$errout" "above 2^53-1"
