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
