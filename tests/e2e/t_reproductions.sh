# The reproduction policy (specs/trust.md "Reproduction policy"): a keyring that requires 2
# reproductions by named rebuilder keys refuses a deploy, before unpacking, until two distinct
# rebuilder keys have signed a "reproduced" attestation of the archive's sha256 (slipway
# rebuild on a second checkout). The same key twice, an outsider's key, an attestation of
# another archive and a tampered one (refused by Debian's python3-securesystemslib too) count
# for nothing. Keys are TEST KEYS made here.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
JUDGE="$REPO/tests/e2e/dsse_judge.py"
export TMPDIR="$T/tmp" # where rebuild makes its private directory
mkdir -p "$TMPDIR"
for k in k r b1 b2 b3; do
	minisign -G -W -p "$T/$k.pub" -s "$T/$k.key" -c "slipway TEST KEY $k" >/dev/null 2>&1 || fail "keygen"
done
make_project "$T/p"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/a" -s "$T/r.key" --version 1.0 --serial 10
A=$out
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/b" -s "$T/r.key" --version 2.0 --serial 20
B=$out
sha_a=$(sha256sum "$A" | cut -c1-64)
sha_b=$(sha256sum "$B" | cut -c1-64)

# Two rebuilders, each on its own checkout, each with its own key.
git clone -q "$T/p" "$T/second" || fail "clone"
expect_rc 0 "$SLIPWAY" rebuild "$A" --source "$T/second" -s "$T/b1.key"
head -1 "$A.reproduced.jsonl" >"$T/b1.jsonl"
expect_rc 0 "$SLIPWAY" rebuild "$A" --source "$T/second" -s "$T/b2.key"
tail -1 "$A.reproduced.jsonl" >"$T/b2.jsonl"
expect_rc 0 "$SLIPWAY" rebuild "$A" --source "$T/second" -s "$T/b3.key"
tail -1 "$A.reproduced.jsonl" >"$T/b3.jsonl"
rm "$A.reproduced.jsonl"
expect_rc 0 python3 "$JUDGE" verify "$T/b1.jsonl" "$T/b1.pub"
expect_rc 0 python3 "$JUDGE" verify "$T/b2.jsonl" "$T/b2.pub"

# craft LINE SHA NAME KEY OUT: LINE's statement for another subject, signed by KEY with
# securesystemslib's crypto library (not slipway).
craft() {
	python3 - "$1" "$2" "$3" "$T/stmt" <<'PY' || fail "craft"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
st["subject"] = [{"name": sys.argv[3], "digest": {"sha256": sys.argv[2]}}]
open(sys.argv[4], "w").write(json.dumps(st))
PY
	python3 "$JUDGE" sign "$T/stmt" "$4" "$5" || fail "judge sign"
}
craft "$T/b1.jsonl" "$sha_b" "$(basename "$B")" "$T/b1.key" "$T/b1-for-b.jsonl"
craft "$T/b2.jsonl" "$sha_b" "$(basename "$B")" "$T/b2.key" "$T/b2-for-b.jsonl"
# b2's attestation with one byte of its statement changed: the independent judge refuses it.
python3 - "$T/b2.jsonl" "$T/b2-tampered.jsonl" <<'PY'
import base64, json, sys
env = json.loads(open(sys.argv[1]).read())
p = bytearray(base64.b64decode(env["payload"]))
p[p.index(b"identical")] ^= 0x20  # one byte: "Identical"
env["payload"] = base64.b64encode(bytes(p)).decode()
open(sys.argv[2], "w").write(json.dumps(env, separators=(",", ":")) + "\n")
PY
expect_rc 1 python3 "$JUDGE" verify "$T/b2-tampered.jsonl" "$T/b2.pub"

# A rebuilder key must be independent of the build: a release key is refused as one.
expect_rc 1 "$SLIPWAY" keyring create -o "$T/bad" --keyring-keys "$T/k.pub" \
	--release-keys "$T/r.pub" --reproductions 1 --rebuilder-keys "$T/r.pub"
assert_contains "$errout" "both a release key and a rebuilder key"
assert_no_file "$T/bad"
expect_rc 1 "$SLIPWAY" keyring create -o "$T/bad" --keyring-keys "$T/k.pub" \
	--reproductions 3 --rebuilder-keys "$T/b1.pub,$T/b2.pub"
assert_contains "$errout" "3 required of 2 rebuilder keys"

# The policy: 2 of b1, b2.
expect_rc 0 "$SLIPWAY" keyring create -o "$T/k1" --keyring-keys "$T/k.pub" \
	--release-keys "$T/r.pub" --reproductions 2 --rebuilder-keys "$T/b1.pub,$T/b2.pub"
"$SLIPWAY" keyring sign "$T/k1" -s "$T/k.key" >/dev/null &&
	"$SLIPWAY" keyring append "$T/chain" --from "$T/k1" >/dev/null || fail "keyring"
expect_rc 0 "$SLIPWAY" keyring inspect "$T/chain"
assert_contains "$out" "reproductions required: 2 of the rebuilder keys"
S="$T/s"
expect_rc 0 "$SLIPWAY" init --root "$S" --keyring "$T/chain"

# refuse ARCHIVE FILE MESSAGE [CURRENT RELEASES]: exit 1, one line, nothing unpacked, current
# as it was.
refuse() {
	expect_rc 1 "$SLIPWAY" deploy "$1" --root "$S" --reproduced "$2"
	assert_contains "$errout" "$3"
	assert_eq "$(printf '%s\n' "$errout" | wc -l)" 1 "one error line for $3"
	assert_eq "$(readlink "$S/current")" "${4:-}" "current after: $3"
	assert_eq "$(ls "$S/releases")" "${5:-}" "releases after: $3"
	assert_eq "$(ls "$S/staging")" "" "staging after: $3"
}
expect_rc 1 "$SLIPWAY" deploy "$A" --root "$S"
assert_contains "$errout" "keyring version 1 requires 2 reproductions"
assert_no_file "$S/current"
one="reproductions: 1 of the 2 needed by keyring version 1"
refuse "$A" "$T/b1.jsonl" "$one"
cat "$T/b1.jsonl" "$T/b1.jsonl" >"$T/twice.jsonl"
refuse "$A" "$T/twice.jsonl" "$one"
cat "$T/b1.jsonl" "$T/b3.jsonl" >"$T/outsider.jsonl"
refuse "$A" "$T/outsider.jsonl" "$one"
cat "$T/b1.jsonl" "$T/b2-for-b.jsonl" >"$T/other.jsonl"
refuse "$A" "$T/other.jsonl" "$one"
cat "$T/b1.jsonl" "$T/b2-tampered.jsonl" >"$T/tampered.jsonl"
refuse "$A" "$T/tampered.jsonl" "$one"
# Strict form: a field DSSE does not have refuses the file.
python3 - "$T/b2.jsonl" "$T/extra.jsonl" <<'PY'
import json, sys
env = json.loads(open(sys.argv[1]).read())
env["extra"] = 1
open(sys.argv[2], "w").write(json.dumps(env, separators=(",", ":")) + "\n")
PY
cat "$T/b1.jsonl" "$T/extra.jsonl" >"$T/unknown.jsonl"
refuse "$A" "$T/unknown.jsonl" 'line 2: attestation: unknown field "extra"'

# Two distinct rebuilders (the default file name): deployed.
cat "$T/b2.jsonl" "$T/b1.jsonl" >"$A.reproduced.jsonl"
expect_rc 0 "$SLIPWAY" deploy "$A" --root "$S"
assert_eq "$(readlink "$S/current")" "releases/1.0" "current"

# B with one rebuilder: refused, 1.0 stays; with both (made by securesystemslib's side):
# deployed.
refuse "$B" "$T/b1-for-b.jsonl" "$one" releases/1.0 1.0
cat "$T/b1-for-b.jsonl" "$T/b2-for-b.jsonl" >"$B.reproduced.jsonl"
expect_rc 0 "$SLIPWAY" deploy "$B" --root "$S"
assert_eq "$(readlink "$S/current")" "releases/2.0" "current"

# The next version drops the policy: --reproductions 0.
expect_rc 0 "$SLIPWAY" keyring next "$T/chain" -o "$T/k2" --reproductions 0
"$SLIPWAY" keyring sign "$T/k2" -s "$T/k.key" >/dev/null &&
	"$SLIPWAY" keyring append "$T/chain" --from "$T/k2" >/dev/null || fail "keyring next"
expect_rc 0 "$SLIPWAY" keyring inspect "$T/chain"
assert_eq "$(printf '%s\n' "$out" | grep -c 'reproductions required')" 1 "policies in the chain"
assert_eq "$(ls -A "$TMPDIR")" "" "private directories left behind"
