# Reproducible archives: the same sources give byte-identical archives, after touching
# every file and under another umask; SOURCE_DATE_EPOCH sets the mtimes; gzip has no
# timestamp. The signature is deterministic too (Ed25519).
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
git -C "$T/p" tag v1
test_key "$T/k"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/a" -s "$T/k/test.key"
find "$T/p" -path "$T/p/.git" -prune -o -exec touch -d "2030-01-02 03:04:05" {} +
chmod 600 "$T/p/agent/main.py"   # group/other bits are not part of the release
expect_rc 0 bash -c "umask 077 && exec \"\$0\" pack \"$T/p\" -o \"$T/b\" -s \"$T/k/test.key\"" "$SLIPWAY"
cmp "$T/a/demo-v1.tar.zst" "$T/b/demo-v1.tar.zst" || fail "archives differ between runs"
cmp "$T/a/demo-v1.tar.zst.minisig" "$T/b/demo-v1.tar.zst.minisig" || fail "signatures differ"
assert_eq "$(stat -c %a "$T/b/demo-v1.tar.zst")" "644" "archive mode under umask 077"

# gzip: identical across runs, and no timestamp in the gzip header (bytes 4..7 zero).
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/g1" --unsigned --no-build --compress gzip
touch -d "2031-01-02 03:04:05" "$T/p/agent/main.py"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/g2" --unsigned --no-build --compress gzip
cmp "$T/g1/demo-v1.tar.gz" "$T/g2/demo-v1.tar.gz" || fail "gzip archives differ"
assert_eq "$(od -An -tx1 -j4 -N4 "$T/g1/demo-v1.tar.gz" | tr -d ' ')" "00000000" "gzip MTIME"
tar -tzf "$T/g1/demo-v1.tar.gz" >/dev/null || fail "GNU tar cannot read the gzip archive"

# SOURCE_DATE_EPOCH overrides the commit time for the mtimes and build_time.
expect_rc 0 env SOURCE_DATE_EPOCH=1000000000 "$SLIPWAY" pack "$T/p" -o "$T/s" --unsigned --no-build
assert_eq "$(TZ=UTC tar -tvf "$T/s/demo-v1.tar.zst" | awk '{print $4" "$5}' | sort -u)" "2001-09-09 01:46"
manifest_of "$T/s/demo-v1.tar.zst" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" 'm["build_time"]')" "2001-09-09T01:46:40Z"
expect_rc 2 env SOURCE_DATE_EPOCH=yesterday "$SLIPWAY" pack "$T/p" -o "$T/s2" --unsigned --no-build
assert_contains "$errout" "SOURCE_DATE_EPOCH"
