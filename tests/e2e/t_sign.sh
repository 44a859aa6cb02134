# sign and verify against stock minisign: each tool accepts the other's signatures, and the
# same key, file and comments give byte-identical .minisig files. TEST KEYS only.
command -v minisign >/dev/null || fail "minisign is not installed (make deps)"
unset SLIPWAY_SECRET_KEY SLIPWAY_SECRET_KEY_DATA SLIPWAY_PASSWORD

expect_rc 0 "$SLIPWAY" sign --help
assert_contains "$out" "usage: slipway sign"
expect_rc 0 "$SLIPWAY" verify --help
assert_contains "$out" "usage: slipway verify"
expect_rc 2 "$SLIPWAY" sign
expect_rc 2 "$SLIPWAY" verify
expect_rc 2 "$SLIPWAY" verify x.tar.zst
assert_contains "$errout" "no public key given"

expect_rc 0 minisign -G -W -p k.pub -s k.key
head -c 3000000 /dev/urandom >app-1.0.0.tar.zst
tc="app:demo version:1.0.0 serial:5 file:app-1.0.0.tar.zst"

# slipway signs -> minisign verifies, and -Q shows the exact trusted comment.
expect_rc 0 "$SLIPWAY" sign app-1.0.0.tar.zst -s k.key -t "$tc"
assert_eq "$out" "app-1.0.0.tar.zst.minisig" "sign prints the signature path"
assert_eq "$(stat -c %a app-1.0.0.tar.zst.minisig)" 644 "signature mode"
expect_rc 0 minisign -V -p k.pub -m app-1.0.0.tar.zst -Q
assert_eq "$out" "$tc" "trusted comment seen by minisign"
assert_eq "$(sed -n 2p app-1.0.0.tar.zst.minisig | base64 -d | head -c 2)" ED "algorithm tag"
expect_rc 0 "$SLIPWAY" verify app-1.0.0.tar.zst -p k.pub
assert_contains "$out" "trusted comment: $tc"
expect_rc 0 "$SLIPWAY" verify app-1.0.0.tar.zst -p k.pub -q
assert_eq "$out" "" "-q output"

# Byte-identical to minisign with the same key, file and both comments (Ed25519 is
# deterministic).
expect_rc 0 minisign -S -s k.key -m app-1.0.0.tar.zst -x by-minisign.minisig -c "TEST signature" -t "$tc"
expect_rc 0 "$SLIPWAY" sign app-1.0.0.tar.zst -s k.key -x by-slipway.minisig -c "TEST signature" -t "$tc"
cmp by-minisign.minisig by-slipway.minisig || fail "signatures differ from minisign's"

# minisign signs -> slipway verifies (the default trusted comment has a tab in it).
expect_rc 0 minisign -S -s k.key -m app-1.0.0.tar.zst
expect_rc 0 "$SLIPWAY" verify app-1.0.0.tar.zst -p k.pub
assert_contains "$out" "file:app-1.0.0.tar.zst"

# Re-signing replaces the old signature atomically; no temp files are left behind.
expect_rc 0 "$SLIPWAY" sign app-1.0.0.tar.zst -s k.key -t "second"
expect_rc 0 minisign -V -p k.pub -m app-1.0.0.tar.zst -Q
assert_eq "$out" "second"
assert_eq "$(ls -A | grep -c -v -E '^(k\.pub|k\.key|app-1\.0\.0\.tar\.zst(\.minisig)?|by-(minisign|slipway)\.minisig|\.out|\.err)$')" 0 "stray files: $(ls -A)"

# An empty file signs and verifies too.
: >empty
expect_rc 0 "$SLIPWAY" sign empty -s k.key -t "empty file"
expect_rc 0 minisign -V -p k.pub -m empty

# Failures: missing archive (3), directory (3), multi-line comment (2), nothing written.
expect_rc 3 "$SLIPWAY" sign nope.tar.zst -s k.key -t x
assert_contains "$errout" "cannot open nope.tar.zst"
assert_no_file nope.tar.zst.minisig
mkdir adir
expect_rc 3 "$SLIPWAY" sign adir -s k.key -t x
assert_no_file adir.minisig
expect_rc 2 "$SLIPWAY" sign empty -s k.key -t "two
lines"
assert_contains "$errout" "single line"
expect_rc 2 "$SLIPWAY" sign empty -s k.key -t x -c "$(head -c 1100 /dev/zero | tr '\0' c)"
expect_rc 0 minisign -V -p k.pub -m empty

# Without -t, a slipway archive is signed with the trusted comment its manifest implies, and
# the store installs it (it trusts app/version/serial only from that comment).
mkdir -p tree/agent
printf 'print("agent")\n' >tree/agent/main.py
python3 "$REPO/tests/e2e/make_release.py" --tree tree --app demo --version 2.0.1 --serial 12 \
	--out demo-2.0.1.tar.zst >/dev/null || fail "make_release.py failed"
expect_rc 0 "$SLIPWAY" sign demo-2.0.1.tar.zst -s k.key
expect_rc 0 minisign -V -p k.pub -m demo-2.0.1.tar.zst -Q
assert_eq "$out" "app:demo version:2.0.1 serial:12 file:demo-2.0.1.tar.zst" "derived trusted comment"
expect_rc 0 "$SLIPWAY" init --root store -p k.pub
expect_rc 0 "$SLIPWAY" install demo-2.0.1.tar.zst --root store
[ -f store/releases/2.0.1/agent/main.py ] || fail "signed archive was not installed"
# A file that is not a slipway archive needs -t.
expect_rc 1 "$SLIPWAY" sign empty -s k.key
assert_contains "$errout" "pass -t"
