# verify refuses hostile or broken signatures with exit 1, a precise reason on stderr and
# nothing on stdout. Signatures are made by stock minisign (the oracle). TEST KEYS only.
command -v minisign >/dev/null || fail "minisign is not installed (make deps)"

expect_rc 0 minisign -G -W -p k.pub -s k.key
expect_rc 0 minisign -G -W -p other.pub -s other.key
head -c 200000 /dev/urandom >a.tar.zst
expect_rc 0 minisign -S -s k.key -m a.tar.zst -t "app:demo version:1.0.0 serial:5 file:a.tar.zst"
cp a.tar.zst.minisig good.minisig
expect_rc 0 "$SLIPWAY" verify a.tar.zst -p k.pub -x good.minisig

# refuse SIGFILE REASON: verify must exit 1, say REASON, print nothing on stdout.
refuse() {
	expect_rc 1 "$SLIPWAY" verify a.tar.zst -p k.pub -x "$1"
	assert_contains "$errout" "slipway: verify: a.tar.zst: " "message format"
	assert_contains "$errout" "$2" "reason for $1"
	assert_eq "$out" "" "stdout for $1"
}
line() { sed -n "${2}p" "$1"; }
b64_line() { line "$1" "$2" | tr -d '\n'; }
# sigfile_with L1 L2 L3 L4 -> stdout
sigfile() { printf '%s\n%s\n%s\n%s\n' "$1" "$2" "$3" "$4"; }
L1=$(line good.minisig 1) L2=$(line good.minisig 2) L3=$(line good.minisig 3) L4=$(line good.minisig 4)

# Edited trusted comment (a replayed-serial attack).
sigfile "$L1" "$L2" "${L3/serial:5/serial:6}" "$L4" >edited-tc.minisig
refuse edited-tc.minisig "trusted comment signature does not match"

# The untrusted comment is not authenticated: editing it is fine.
sigfile "untrusted comment: anything" "$L2" "$L3" "$L4" >edited-uc.minisig
expect_rc 0 "$SLIPWAY" verify a.tar.zst -p k.pub -x edited-uc.minisig

# Flipped archive byte.
cp a.tar.zst orig.tar.zst
printf '\x00' | dd of=a.tar.zst bs=1 seek=1000 conv=notrunc 2>/dev/null
cmp -s a.tar.zst orig.tar.zst && printf '\x01' | dd of=a.tar.zst bs=1 seek=1000 conv=notrunc 2>/dev/null
refuse good.minisig "signature does not match the file"
cp orig.tar.zst a.tar.zst
# Appended and truncated archive.
printf 'x' >>a.tar.zst
refuse good.minisig "signature does not match the file"
head -c 199999 orig.tar.zst >a.tar.zst
refuse good.minisig "signature does not match the file"
cp orig.tar.zst a.tar.zst

# Signed by another key.
expect_rc 0 minisign -S -s other.key -m a.tar.zst -x other.minisig
refuse other.minisig "signature made by another key"
# Another key that claims our key id: the signature itself fails.
sigfile "$L1" "$(line good.minisig 2 | base64 -d | head -c 10 | cat - <(line other.minisig 2 | base64 -d | tail -c 64) | base64 -w0)" "$L3" "$L4" >forged.minisig
expect_rc 1 "$SLIPWAY" verify a.tar.zst -p k.pub -x forged.minisig
assert_contains "$errout" "does not match"

# Truncated and empty signature files, missing signature.
head -n 2 good.minisig >trunc.minisig
refuse trunc.minisig "truncated"
head -c 150 good.minisig >trunc2.minisig
refuse trunc2.minisig "malformed signature"
: >empty.minisig
refuse empty.minisig "empty"
refuse missing.minisig "no usable signature"
expect_rc 1 "$SLIPWAY" verify orig.tar.zst -p k.pub
assert_contains "$errout" "orig.tar.zst.minisig"

# Bad base64: a character outside the alphabet, and non-canonical padding bits.
sigfile "$L1" "${L2:0:20}*${L2:21}" "$L3" "$L4" >badchar.minisig
refuse badchar.minisig "line 2 is not the base64 of 74 bytes"
sigfile "$L1" "$L2" "$L3" "${L4:0:85}B==" >badpad.minisig
[ "${L4:85:1}" = B ] && sigfile "$L1" "$L2" "$L3" "${L4:0:85}C==" >badpad.minisig
refuse badpad.minisig "line 4 is not the base64 of 64 bytes"

# Wrong decoded lengths: 73 and 75 signature bytes, 63 global-signature bytes.
short=$(b64_line good.minisig 2 | base64 -d | head -c 73 | base64 -w0)
long=$( (b64_line good.minisig 2 | base64 -d; printf 'x') | base64 -w0)
g63=$(b64_line good.minisig 4 | base64 -d | head -c 63 | base64 -w0)
sigfile "$L1" "$short" "$L3" "$L4" >short.minisig
refuse short.minisig "line 2 is not the base64 of 74 bytes"
sigfile "$L1" "$long" "$L3" "$L4" >long.minisig
refuse long.minisig "line 2 is not the base64 of 74 bytes"
sigfile "$L1" "$L2" "$L3" "$g63" >g63.minisig
refuse g63.minisig "line 4 is not the base64 of 64 bytes"

# Over-long lines: beyond minisign's own limits.
sigfile "untrusted comment: $(head -c 2000 /dev/zero | tr '\0' u)" "$L2" "$L3" "$L4" >longuc.minisig
refuse longuc.minisig "line 1 is longer than"
sigfile "$L1" "$L2" "trusted comment: $(head -c 9000 /dev/zero | tr '\0' t)" "$L4" >longtc.minisig
refuse longtc.minisig "trusted comment is longer than"
head -c 20000 /dev/zero | tr '\0' x >huge.minisig
refuse huge.minisig "no usable signature"
# Missing prefixes and extra lines.
sigfile "comment: x" "$L2" "$L3" "$L4" >noprefix.minisig
refuse noprefix.minisig "line 1 does not start with"
sigfile "$L1" "$L2" "comment: x" "$L4" >notc.minisig
refuse notc.minisig "line 3 does not start with"
{ cat good.minisig; echo extra; } >extra.minisig
refuse extra.minisig "trailing data"

# Unknown algorithm tag.
unknown=$( (printf 'EX'; b64_line good.minisig 2 | base64 -d | tail -c 72) | base64 -w0)
sigfile "$L1" "$unknown" "$L3" "$L4" >alg.minisig
refuse alg.minisig "unknown signature algorithm 'EX'"

# Legacy "Ed" (whole file signed): refused unless explicitly allowed.
expect_rc 0 minisign -S -l -s k.key -m a.tar.zst -x legacy.minisig -t "legacy"
assert_eq "$(b64_line legacy.minisig 2 | base64 -d | head -c 2)" Ed "legacy tag"
refuse legacy.minisig "legacy signature refused"
expect_rc 0 "$SLIPWAY" verify a.tar.zst -p k.pub -x legacy.minisig --allow-legacy
assert_contains "$out" "trusted comment: legacy"
printf 'x' >>a.tar.zst
expect_rc 1 "$SLIPWAY" verify a.tar.zst -p k.pub -x legacy.minisig --allow-legacy
assert_contains "$errout" "signature does not match the file"
cp orig.tar.zst a.tar.zst

# Broken public keys: exit 1 with the key's path; unreadable public key: exit 3.
printf 'untrusted comment: x\nnot base64\n' >bad.pub
expect_rc 1 "$SLIPWAY" verify a.tar.zst -p bad.pub -x good.minisig
assert_contains "$errout" "bad.pub: malformed public key"
expect_rc 3 "$SLIPWAY" verify a.tar.zst -p nope.pub -x good.minisig
assert_contains "$errout" "nope.pub"

# Not a verdict but a system error (exit 3): the archive is missing. One that is not a
# regular file is a refused input (exit 1), as in install and deploy (specs/exit-codes.md).
expect_rc 3 "$SLIPWAY" verify gone.tar.zst -p k.pub -x good.minisig
assert_contains "$errout" "cannot open gone.tar.zst"
mkdir dir.tar.zst
expect_rc 1 "$SLIPWAY" verify dir.tar.zst -p k.pub -x good.minisig
assert_contains "$errout" "not a regular file"
