# The signed keyring (specs/trust.md): k-of-n ceremonies, stock minisign as the judge of every
# signature, a fresh host refusing below the floor offline, a chain of 3 versions converging on
# every host whichever archive it sees first, revocation, and hostile keyrings that change
# nothing. Every key here is a TEST KEY (unencrypted, made in $T).
source "$REPO/tests/e2e/store_lib.sh"
ENV_TOOL="$REPO/tests/e2e/envelope_tool.py"
KT=application/vnd.slipway.keyring+json

for k in a b c r1 r2; do
	minisign -G -W -p "$T/$k.pub" -s "$T/$k.key" -c "slipway TEST KEY $k" >/dev/null 2>&1 ||
		fail "minisign -G $k"
done
# id_of KEY: the key id as stock minisign prints it (leading zeros dropped, 1 key in 16);
# canon_id KEY: slipway's 16-digit form of it.
id_of() { sed -n 1p "$T/$1.pub" | sed 's/.*public key //'; }
canon_id() { printf '%016s' "$(id_of "$1")" | tr ' ' 0; }

# rel VERSION SERIAL KEY [CHAIN]: $T/rel-VERSION.tar.zst signed by KEY (stock minisign),
# carrying CHAIN as its .keyring when given.
rel() {
	rm -rf "$T/tree-$1"
	test_tree "$T/tree-$1" "$1"
	python3 "$MAKE_RELEASE" --tree "$T/tree-$1" --app testapp --version "$1" --serial "$2" \
		--out "$T/rel-$1.tar.zst" --sign "$T/$3.key" >/dev/null || fail "make_release $1"
	rm -f "$T/rel-$1.tar.zst.keyring"
	[ -z "${4:-}" ] || cp "$4" "$T/rel-$1.tar.zst.keyring"
}

# judge_sigs ENVELOPE N: stock minisign verifies each of its N signatures over the PAE,
# and refuses each after a one-byte change of the payload.
judge_sigs() {
	local d="$T/judge" n i ok
	rm -rf "$d" && mkdir "$d"
	n=$(python3 "$ENV_TOOL" split "$1" "$d") || fail "split $1"
	assert_eq "$n" "$2" "signatures in $1"
	for i in $(seq 0 $((n - 1))); do
		ok=
		for k in a b c; do
			minisign -V -q -p "$T/$k.pub" -m "$d/pae" -x "$d/sig.$i" >/dev/null 2>&1 && ok=$k
		done
		[ -n "$ok" ] || fail "stock minisign -V refused signature $i of $1"
		sed 's/"version":/"version" :/' "$d/payload" >"$d/payload2"
		python3 "$ENV_TOOL" pae "$KT" "$d/payload2" "$d/pae2"
		minisign -V -q -p "$T/$ok.pub" -m "$d/pae2" -x "$d/sig.$i" >/dev/null 2>&1 &&
			fail "minisign accepted signature $i over a changed payload"
	done
}

# ---- version 1: keyring keys a and b, 2 of 2; release key r1. b signs on "another machine".
expect_rc 0 "$SLIPWAY" keyring create -o "$T/p1" --keyring-keys "$T/a.pub,$T/b.pub" \
	--release-keys "$T/r1.pub" --threshold 2
expect_rc 0 "$SLIPWAY" keyring sign "$T/p1" -s "$T/a.key"
# Below threshold: append refuses and writes no chain.
expect_rc 1 "$SLIPWAY" keyring append "$T/chain" --from "$T/p1"
assert_contains "$errout" "threshold not met: 1 of the 2"
assert_no_file "$T/chain"
cp "$T/p1" "$T/p1.to-b"
expect_rc 0 "$SLIPWAY" keyring sign "$T/p1.to-b" -s "$T/b.key" -x "$T/b.sig"
expect_rc 0 "$SLIPWAY" keyring attach "$T/p1" -x "$T/b.sig"
expect_rc 0 "$SLIPWAY" keyring append "$T/chain" --from "$T/p1"
judge_sigs "$T/p1" 2
cp "$T/chain" "$T/chain1"

# ---- fresh host from version 1 accepts r1's release; another key's is refused.
S1="$T/s1"
expect_rc 0 "$SLIPWAY" init --root "$S1" --keyring "$T/chain1"
assert_contains "$out" "trusted keyring version 1"
rel 1.0 1 r1
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.tar.zst" --root "$S1"
rel 1.1 2 r2
expect_rc 1 "$SLIPWAY" deploy "$T/rel-1.1.tar.zst" --root "$S1"
assert_contains "$errout" "no release key of keyring version 1"
assert_eq "$(current_of "$S1")" "releases/1.0" "current after another key"

# ---- version 2 raises the floor to 5.
expect_rc 0 "$SLIPWAY" keyring next "$T/chain" -o "$T/p2" --min-serial 5
expect_rc 0 "$SLIPWAY" keyring sign "$T/p2" -s "$T/a.key"
expect_rc 0 "$SLIPWAY" keyring sign "$T/p2" -s "$T/b.key"
expect_rc 0 "$SLIPWAY" keyring append "$T/chain" --from "$T/p2"
judge_sigs "$T/p2" 2
cp "$T/chain" "$T/chain2"

# A fresh host initialised from version 1 learns the floor from the archive itself, offline,
# before judging it: serial 3 refused (and the keyring kept), serial 5 accepted.
for S in "$T/f1" "$T/f2"; do expect_rc 0 "$SLIPWAY" init --root "$S" --keyring "$T/chain1"; done
rel 3.0 3 r1 "$T/chain2"
rel 5.0 5 r1 "$T/chain2"
expect_rc 1 "$SLIPWAY" deploy "$T/rel-3.0.tar.zst" --root "$T/f1"
assert_contains "$errout" "serial 3 is below the floor 5 of keyring version 2"
assert_eq "$(printf '%s\n' "$errout" | wc -l)" 1 "one error line"
assert_no_file "$T/f1/current"
[ -z "$(ls "$T/f1/releases")" ] || fail "a release below the floor was unpacked"
cmp -s "$T/f1/keyring.jsonl" "$T/chain2" || fail "the carried keyring was not adopted"
# Without the carried keyring now: the host remembers the floor.
rm "$T/rel-3.0.tar.zst.keyring"
expect_rc 1 "$SLIPWAY" deploy "$T/rel-3.0.tar.zst" --root "$T/f1"
assert_contains "$errout" "below the floor 5"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-5.0.tar.zst" --root "$T/f1"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-5.0.tar.zst" --root "$T/f2"
assert_contains "$out" "adopted keyring version up to 2"
assert_eq "$(current_of "$T/f2")" "releases/5.0" "fresh host at the floor"
# --allow-downgrade does not lower the fleet's floor.
expect_rc 1 "$SLIPWAY" deploy "$T/rel-3.0.tar.zst" --root "$T/f2" --allow-downgrade
assert_contains "$errout" "below the floor 5"

# ---- version 3 rotates the release key: r2 added, r1 revoked, named by the id minisign printed
# in lower case (the id is a hex number: case and leading zeros do not matter).
expect_rc 0 "$SLIPWAY" keyring next "$T/chain" -o "$T/p3" --add-release-keys "$T/r2.pub" \
	--revoke "$(id_of r1 | tr A-F a-f)"
expect_rc 0 "$SLIPWAY" keyring sign "$T/p3" -s "$T/b.key"
expect_rc 0 "$SLIPWAY" keyring sign "$T/p3" -s "$T/a.key"
expect_rc 0 "$SLIPWAY" keyring append "$T/chain" --from "$T/p3"
cp "$T/chain" "$T/chain3"
expect_rc 0 "$SLIPWAY" keyring inspect "$T/chain3"
assert_contains "$out" "a valid chain of 3 versions"
assert_contains "$out" "revoked: $(canon_id r1)"

# Convergence: hosts at versions 1 and 2 (and the pinned-key host below) meet archives that
# carry chain 2 or chain 3 in either order; all end at version 3 with the same file.
rel 6.0 6 r2 "$T/chain3"
rel 5.5 5 r1 "$T/chain2"
expect_rc 0 "$SLIPWAY" init --root "$T/c1" --keyring "$T/chain1"
expect_rc 0 "$SLIPWAY" init --root "$T/c2" --keyring "$T/chain2"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-6.0.tar.zst" --root "$T/c1"
expect_rc 1 "$SLIPWAY" deploy "$T/rel-5.5.tar.zst" --root "$T/c1" # r1 revoked by now
assert_contains "$errout" "revoked by keyring version 3"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-5.5.tar.zst" --root "$T/c2" # r1 still trusted at 2
expect_rc 0 "$SLIPWAY" deploy "$T/rel-6.0.tar.zst" --root "$T/c2"
for S in c1 c2 f1; do
	[ "$S" = f1 ] && expect_rc 0 "$SLIPWAY" keyring adopt "$T/chain3" --root "$T/$S"
	cmp -s "$T/$S/keyring.jsonl" "$T/chain3" || fail "$S did not converge on version 3"
done
# After the revocation every archive r1 signs is refused.
rel 7.0 7 r1 "$T/chain3"
expect_rc 1 "$SLIPWAY" deploy "$T/rel-7.0.tar.zst" --root "$T/f1"
assert_contains "$errout" "revoked by keyring version 3"
assert_eq "$(current_of "$T/f1")" "releases/5.0" "current after a revoked key"

# ---- a store pinned to one key is a one-key keyring (version 0): it adopts a version 1
# signed by that key (N+1 exactly, thresholds of old and new).
minisign -G -W -p "$T/test.pub" -s "$T/test.key" -c "slipway TEST KEY" >/dev/null 2>&1
new_store "$T/pinned"
expect_rc 0 "$SLIPWAY" keyring create -o "$T/q1" --keyring-keys "$T/test.pub,$T/c.pub" \
	--release-keys "$T/test.pub" --threshold 1
expect_rc 0 "$SLIPWAY" keyring sign "$T/q1" -s "$T/c.key"
expect_rc 0 "$SLIPWAY" keyring append "$T/qchain" --from "$T/q1"
expect_rc 1 "$SLIPWAY" keyring adopt "$T/qchain" --root "$T/pinned"
assert_contains "$errout" "from the previous version's keyring keys (version 0"
assert_no_file "$T/pinned/keyring.jsonl"
expect_rc 0 "$SLIPWAY" keyring sign "$T/q1" -s "$T/test.key"
rm "$T/qchain"
expect_rc 0 "$SLIPWAY" keyring append "$T/qchain" --from "$T/q1"
expect_rc 0 "$SLIPWAY" keyring adopt "$T/qchain" --root "$T/pinned"
expect_rc 0 "$SLIPWAY" keyring inspect --root "$T/pinned"
assert_contains "$out" "keyring version 1"

# ---- hostile keyrings: exit 1, one line, nothing changed on the host.
H="$T/h"
expect_rc 0 "$SLIPWAY" init --root "$H" --keyring "$T/chain2"
rel 8.0 8 r1
# signed_line PAYLOAD_FILE KEY...: an envelope of PAYLOAD signed by stock minisign.
signed_line() {
	local p=$1 out=$2 sigs=() k
	shift 2
	python3 "$ENV_TOOL" pae "$KT" "$p" "$T/x.pae"
	for k in "$@"; do
		rm -f "$T/x.$k.sig"
		minisign -S -s "$T/$k.key" -m "$T/x.pae" -x "$T/x.$k.sig" -t "TEST" >/dev/null 2>&1 ||
			fail "minisign -S"
		sigs+=("$T/x.$k.sig")
	done
	python3 "$ENV_TOOL" make "$KT" "$p" "$out" "${sigs[@]}"
}
python3 "$ENV_TOOL" split "$T/p3" "$T/judge" >/dev/null
v3="$T/judge/payload"
hostile() { # NAME EXPECTED-MESSAGE: chain2 + the line $T/bad.line, carried by rel 8.0
	cat "$T/chain2" "$T/bad.line" >"$T/rel-8.0.tar.zst.keyring"
	cp "$H/keyring.jsonl" "$T/before"
	expect_rc 1 "$SLIPWAY" deploy "$T/rel-8.0.tar.zst" --root "$H"
	assert_contains "$errout" "$2" "$1"
	assert_eq "$(printf '%s\n' "$errout" | wc -l)" 1 "$1: one error line"
	cmp -s "$H/keyring.jsonl" "$T/before" || fail "$1 changed the host's keyring"
	assert_no_file "$H/current"
	[ -z "$(ls "$H/releases")" ] || fail "$1: something was unpacked"
}
sed 's/^{/{"extra":1,/' "$v3" >"$T/pl" && signed_line "$T/pl" "$T/bad.line" a b
hostile "unknown field" 'unknown field "extra"'
sed 's/^{/{"version":9,/' "$v3" >"$T/pl" && signed_line "$T/pl" "$T/bad.line" a b
hostile "duplicate key" 'duplicate key "version"'
sed 's/"version":3/"version":4/' "$v3" >"$T/pl" && signed_line "$T/pl" "$T/bad.line" a b
hostile "version step" "cannot follow version 2"
signed_line "$v3" "$T/bad.line" a
hostile "threshold" "threshold not met: 1 of the 2"
signed_line "$v3" "$T/bad.line" a a
hostile "same signer twice" "a key counts once"
signed_line "$v3" "$T/bad.line" a c
hostile "outsider" "threshold not met: 1 of the 2"
sed 's/"min_serial":5/"min_serial":4/' "$v3" >"$T/pl" && signed_line "$T/pl" "$T/bad.line" a b
hostile "lower floor" "lowers the floor from 5 to 4"
sed 's/"expires":0,/"expires": 0,/' "$v3" >"$T/pl" && signed_line "$T/pl" "$T/bad.line" a b
hostile "not canonical" "not in canonical form"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/bad.line"
hostile "oversized line" "larger than 65536 bytes"
python3 -c 'import sys; sys.stdout.write(" " * (1 << 20) + "\n")' >"$T/bad.line"
hostile "oversized file" "larger than 1048576 bytes"
# An expired keyring: adopted (it is valid), then every release is refused.
sed 's/"expires":0,/"expires":1000,/' "$v3" >"$T/pl" && signed_line "$T/pl" "$T/exp.line" a b
rel 8.1 8 r2
cat "$T/chain2" "$T/exp.line" >"$T/rel-8.1.tar.zst.keyring"
expect_rc 1 "$SLIPWAY" deploy "$T/rel-8.1.tar.zst" --root "$H"
assert_contains "$errout" "keyring version 3 expired at 1970-01-01T00:16:40Z"
assert_no_file "$H/current"
# Two different version 3 (the expired one H adopted, chain3's): refused as a compromise
# signal, nothing changed.
expect_rc 0 "$SLIPWAY" keyring adopt "$T/chain3" --root "$T/c2" # same: nothing to do
assert_contains "$out" "already trusts version 3"
cp "$H/keyring.jsonl" "$T/before"
expect_rc 1 "$SLIPWAY" keyring adopt "$T/chain3" --root "$H"
assert_contains "$errout" "differs from the one this host trusts"
cmp -s "$H/keyring.jsonl" "$T/before" || fail "a second version 3 changed the keyring"
