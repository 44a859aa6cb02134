# What `slipway pack` writes, `slipway deploy` accepts: the packer's archive installs, the tree
# equals GNU tar's extraction, and a second pack (higher serial) upgrades; an older one is a
# refused downgrade until --allow-downgrade.
source "$REPO/tests/e2e/pack_lib.sh"
make_project "$T/p"
git -C "$T/p" tag v1.0
test_key "$T/k"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/out1" -s "$T/k/test.key"
A1=$out
S="$T/store"
expect_rc 0 "$SLIPWAY" init --root "$S" -p "$T/k/test.pub"
expect_rc 0 "$SLIPWAY" deploy "$A1" --root "$S"
assert_contains "$out" "installed v1.0"
v1=$(readlink "$S/current")
v1=${v1#releases/}
mkdir "$T/ref" && tar -C "$T/ref" -xf "$A1"
# The tree is the archive's, plus the empty writable cache directory of the Next.js build.
diff -r --no-dereference -x slipway-manifest.json -x cache "$T/ref" "$S/releases/$v1" ||
	fail "installed tree differs from tar -x"
[ ! -e "$T/ref/.next/standalone/.next/cache" ] || fail "the packed archive has a .next/cache"
assert_eq "$(stat -c %a "$S/releases/$v1/.next/standalone/.next/cache")" 755 "writable cache mode"
assert_eq "$(ls -A "$S/releases/$v1/.next/standalone/.next/cache")" "" "cache contents"
assert_eq "$(find "$S/releases/$v1" -perm /222 | sed "s|^$S/releases/$v1/||")" \
	".next/standalone/.next/cache" "writable entries of the release"
cmp -s <(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$T/ref/slipway-manifest.json") \
	<(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$S/releases/$v1/slipway-manifest.json") ||
	fail "installed manifest differs from the packed one"

# A later commit gives a later release with a higher serial (the serial is the commit time:
# the second commit is dated explicitly, a minute after the first, never in the same second).
echo "// v2" >>"$T/p/build.js"
GIT_COMMITTER_DATE="@$(($(commit_time "$T/p") + 60)) +0000" git -C "$T/p" commit -qam "v2" &&
	git -C "$T/p" tag v2.0 || fail "git commit v2"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/out2" -s "$T/k/test.key"
A2=$out
expect_rc 0 "$SLIPWAY" deploy "$A2" --root "$S"
assert_contains "$out" "activated v2.0 (was v1.0)"
# Replaying the older signed archive into a fresh-but-advanced store: a downgrade.
expect_rc 0 "$SLIPWAY" prune --keep 0 --root "$S"
rm -rf "$S/releases/v1.0" "$S/meta/v1.0.json"
expect_rc 1 "$SLIPWAY" install "$A1" --root "$S"
assert_contains "$errout" "downgrade refused"
expect_rc 0 "$SLIPWAY" install "$A1" --root "$S" --allow-downgrade
assert_contains "$out" "downgrade allowed"
grep -q '"downgrade":true' "$S/history.jsonl" || fail "allowed downgrade not in the history"
