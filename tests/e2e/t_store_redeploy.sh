# Deploying an archive whose release is still installed (specs/store.md "Install", guard 4):
# `deploy` is the delivery path, so switching back to an older release through it is a
# downgrade (refused without --allow-downgrade); `install` of it stays a no-op success, and
# `activate`/`rollback`, which name an installed version, switch freely.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
for v in 1 2; do
	release "$v.0.0" $v
	expect_rc 0 "$SLIPWAY" deploy "$T/rel-$v.0.0.tar.zst" --root "$S"
done
events() { wc -l <"$S/history.jsonl"; }

# The older archive again: refused, nothing changes.
n=$(events)
expect_rc 1 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
assert_contains "$errout" "downgrade refused"
assert_contains "$errout" "--allow-downgrade"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after a refused redeploy"
assert_eq "$(events)" "$n" "history after a refused redeploy"
expect_rc 1 "$SLIPWAY" install "$T/rel-1.0.0.tar.zst" --activate --root "$S"
assert_contains "$errout" "downgrade refused"
# install alone changes nothing, so it stays a success.
expect_rc 0 "$SLIPWAY" install "$T/rel-1.0.0.tar.zst" --root "$S"
assert_contains "$out" "already installed from this archive"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after install of an installed archive"
# With --allow-downgrade it switches back.
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S" --allow-downgrade
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after an allowed redeploy"
# Redeploying what is already current moves nothing, so it needs no flag.
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
assert_contains "$out" "already active"
# The newest archive again (the high-water mark) rolls forward without a flag.
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after redeploying the newest"
# Operator switches name a version and are always allowed.
expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "rollback"
expect_rc 0 "$SLIPWAY" activate 2.0.0 --root "$S"
expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "activate of an older release"
