# Progress (specs/store.md "Install"): on a terminal, install and deploy draw a progress line
# on stderr (files, bytes, rate, files linked); with stderr not a terminal, nothing at all.
# pack draws one too, and none with --json.
source "$REPO/tests/e2e/store_lib.sh"
command -v script >/dev/null || fail "script (util-linux) is needed for a terminal"
test_key
release 1.0.0 1
release 2.0.0 2
S="$T/store"
new_store "$S"

# Not a terminal: stdout has the result, stderr nothing.
expect_rc 0 "$SLIPWAY" install "$T/rel-1.0.0.tar.zst" --root "$S"
assert_contains "$out" "installed 1.0.0"
assert_eq "$errout" "" "stderr of install without a terminal"

# A terminal (script(1) gives the command a pty; everything it printed comes back on stdout).
expect_rc 0 script -qefc "'$SLIPWAY' deploy '$T/rel-2.0.0.tar.zst' --root '$S'" /dev/null
assert_contains "$out" "slipway: deploy: unpacking 3/3 files" "progress on a terminal"
assert_contains "$out" "MB/s" "progress on a terminal"
assert_contains "$out" "1 linked" "progress on a terminal (bin/start.sh is unchanged)"
assert_contains "$out" "activated 2.0.0"

source "$REPO/tests/e2e/pack_lib.sh"
make_project "$T/p"
git -C "$T/p" tag v1.0
expect_rc 0 script -qefc "'$SLIPWAY' pack '$T/p' -o '$T/out' -s '$T/test.key'" /dev/null
assert_contains "$out" "slipway: pack: hashing" "pack's progress on a terminal"
expect_rc 0 script -qefc "'$SLIPWAY' pack '$T/p' -o '$T/out2' -s '$T/test.key' --json" /dev/null
assert_not_contains "$out" "slipway: pack: hashing" "pack --json"
assert_not_contains "$out" "MB/s" "pack --json"
