# Hostile review, round 3, class 2: run/ was used whoever owned it. specs/store.md "Every store
# directory is the store owner's": "it must be owned by ROOT's owner (... exit 3, nothing
# written there) -- whoever owns run/ could replace the Node preload that every Node web
# server loads". The case (run/ another user's, with a planted preload), and variants: run/
# a symlink to a directory of ours (never followed), another store directory another user's,
# and a run/ of ours writable by others (repaired, as the others are).
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "skipping: giving a directory to another user needs root"; exit 0; }
me=$(id -u)
S="$T/store"
run_store "$S"
mkdir -p "$T/tree-1.0.0"
echo data >"$T/tree-1.0.0/file"
run_install "$S" 1.0.0 "$T/tree-1.0.0" --service "$(svc worker '["sleep", "600"]')"
run_activate "$S" 1.0.0

mkdir "$S/run"
echo 'require("child_process").execSync("touch /tmp/pwned")' >"$S/run/node-preload.cjs"
chown -R 65534:65534 "$S/run"
planted=$(sha256sum <"$S/run/node-preload.cjs")
expect_rc 3 timeout 10 "$SLIPWAY" run --root "$S"
assert_contains "$errout" "slipway: run: $S/run is owned by uid 65534, not by the store's owner"
assert_eq "$(sha256sum <"$S/run/node-preload.cjs")" "$planted" "the planted preload"
assert_eq "$(ls -A "$S/run")" "node-preload.cjs" "files written into the foreign run/"
# status reads run/state.json: the same refusal, not another user's word.
expect_rc 3 "$SLIPWAY" status --root "$S"
assert_contains "$errout" "owned by uid 65534"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current"

# Variant: run/ a symlink to a directory of ours, elsewhere: never worked through.
rm -rf "$S/run"
mkdir "$T/elsewhere"
ln -s "$T/elsewhere" "$S/run"
expect_rc 3 timeout 10 "$SLIPWAY" run --root "$S"
assert_contains "$errout" "$S/run is a symlink, not a directory; refusing to work through it"
assert_eq "$(ls -A "$T/elsewhere")" "" "written through the link"
rm "$S/run"

# Variant: meta/ another user's: every command refuses, install included, nothing installed.
chown 65534 "$S/meta"
release 2.0.0 2
expect_rc 3 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
assert_contains "$errout" "$S/meta is owned by uid 65534"
assert_no_file "$S/releases/2.0.0"
chown "$me" "$S/meta"

# Variant: run/ ours but writable by everyone: repaired to 0755, then used.
mkdir -m 0777 "$S/run"
chmod 0777 "$S/run"
expect_rc 0 "$SLIPWAY" status --root "$S"
assert_eq "$(stat -c %a "$S/run")" "755" "run/ mode after the repair"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
