# A key passed as $SLIPWAY_SECRET_KEY_DATA (with $SLIPWAY_PASSWORD) signs the pack, but the
# build that pack runs afterwards must not inherit either variable, and neither may end up
# in the archive or on stdout/stderr. TEST KEY only.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
cat >>"$T/p/build.js" <<'JS'
fs.writeFileSync(process.env.ENV_DUMP, JSON.stringify(process.env));
JS
git -C "$T/p" commit -qam "dump the build's environment" || fail "git commit"
test_key "$T/k"
key_b64=$(sed -n 2p "$T/k/test.key")

expect_rc 0 env ENV_DUMP="$T/env.json" SLIPWAY_SECRET_KEY_DATA="$(cat "$T/k/test.key")" \
	SLIPWAY_PASSWORD="hunter2-test" "$SLIPWAY" pack "$T/p" -o "$T/out"
A=$out
assert_file "$T/env.json"
assert_contains "$(cat "$T/env.json")" '"ENV_DUMP"' "the dump works"
assert_not_contains "$(cat "$T/env.json")" "SLIPWAY_SECRET_KEY_DATA" "build environment"
assert_not_contains "$(cat "$T/env.json")" "SLIPWAY_PASSWORD" "build environment"
assert_not_contains "$(cat "$T/env.json")" "$key_b64" "build environment"
assert_not_contains "$out$errout" "$key_b64" "pack output"
assert_not_contains "$out$errout" "hunter2-test" "pack output"
tar -xOf "$A" >"$T/all-content" || fail "tar cannot read $A"
grep -q -F "$key_b64" "$T/all-content" && fail "the secret key is inside the archive"
expect_rc 0 minisign -V -p "$T/k/test.pub" -m "$A"
expect_rc 0 "$SLIPWAY" verify "$A" -p "$T/k/test.pub"
