# Build provenance (specs/trust.md "Provenance"): pack writes ARCHIVE.intoto.jsonl (in-toto
# Statement v1, SLSA provenance v1, DSSE signed with the release key), Debian's
# python3-securesystemslib verifies it and refuses it after a one-byte change, and a host
# whose keyring has a provenance policy refuses the wrong repository, ref or builder, a
# missing, tampered or borrowed provenance and unknown external parameters, before
# unpacking. Keys are TEST KEYS made here.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
JUDGE="$REPO/tests/e2e/dsse_judge.py"

for k in a r; do
	minisign -G -W -p "$T/$k.pub" -s "$T/$k.key" -c "slipway TEST KEY $k" >/dev/null 2>&1 || fail "keygen"
done
make_project "$T/p"
git -C "$T/p" remote add origin https://example.invalid/team/app.git # never contacted

# pack_as NAME SERIAL [VAR=VALUE...]: $T/out/NAME/demo-NAME.tar.zst from the project, with
# GitHub Actions' variables as a CI would set them.
pack_as() {
	local n=$1 s=$2
	shift 2
	mkdir -p "$T/out"
	env GITHUB_ACTIONS=true GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=team/app \
		GITHUB_REF=refs/heads/main GITHUB_RUN_ID=42 \
		GITHUB_WORKFLOW_REF=team/app/.github/workflows/release.yml@refs/heads/main "$@" \
		"$SLIPWAY" pack "$T/p" -o "$T/out/$n" -s "$T/r.key" --version "$n" --serial "$s" \
		>"$T/.pout" 2>"$T/.perr" || { cat "$T/.perr"; fail "pack $n"; }
	A="$T/out/$n/demo-$n.tar.zst"
	assert_file "$A.intoto.jsonl"
}

pack_as 1.0 10
P="$A.intoto.jsonl"
python3 - "$P" "$A" <<'PY' || fail "statement content"
import base64, hashlib, json, sys
env = json.loads(open(sys.argv[1]).read())
assert env["payloadType"] == "application/vnd.in-toto+json"
st = json.loads(base64.b64decode(env["payload"]))
assert st["_type"] == "https://in-toto.io/Statement/v1"
assert st["predicateType"] == "https://slsa.dev/provenance/v1"
assert st["subject"][0]["digest"]["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
bd, rd = st["predicate"]["buildDefinition"], st["predicate"]["runDetails"]
assert bd["externalParameters"] == {"repository": "https://github.com/team/app", "ref": "refs/heads/main"}, bd
assert bd["internalParameters"]["buildCommand"] == "npm run build", bd
assert len(bd["resolvedDependencies"][0]["digest"]["gitCommit"]) == 40
assert rd["builder"]["id"] == "https://github.com/team/app/.github/workflows/release.yml@refs/heads/main", rd
assert rd["metadata"]["invocationId"].endswith("/actions/runs/42/attempts/1"), rd
PY
commit=$(git -C "$T/p" rev-parse HEAD)
grep -q "$(printf '%s' "$commit" | head -c 40)" <(python3 -c 'import base64,json,sys; print(base64.b64decode(json.load(open(sys.argv[1]))["payload"]).decode())' "$P") ||
	fail "the commit is not libgit2's HEAD"

# The independent judge: verifies, and refuses after a one-byte change of the statement.
expect_rc 0 python3 "$JUDGE" verify "$P" "$T/r.pub"
python3 - "$P" "$T/tampered.jsonl" <<'PY'
import base64, json, sys
env = json.loads(open(sys.argv[1]).read())
p = bytearray(base64.b64decode(env["payload"]))
p[p.index(b"team/app")] ^= 1  # one byte
env["payload"] = base64.b64encode(bytes(p)).decode()
open(sys.argv[2], "w").write(json.dumps(env, separators=(",", ":")) + "\n")
PY
expect_rc 1 python3 "$JUDGE" verify "$T/tampered.jsonl" "$T/r.pub"

# A keyring whose policy names the repository, the refs and the builder.
"$SLIPWAY" keyring create -o "$T/k1" --keyring-keys "$T/a.pub" --release-keys "$T/r.pub" \
	--provenance-repositories https://github.com/team/app \
	--provenance-refs 'refs/heads/main,refs/tags/v*' \
	--provenance-builders https://github.com/team/app/.github/workflows/release.yml@refs/heads/main \
	>/dev/null || fail "keyring create"
"$SLIPWAY" keyring sign "$T/k1" -s "$T/a.key" >/dev/null && "$SLIPWAY" keyring append "$T/chain" --from "$T/k1" >/dev/null ||
	fail "keyring"
S="$T/s"
expect_rc 0 "$SLIPWAY" init --root "$S" --keyring "$T/chain"
expect_rc 0 "$SLIPWAY" deploy "$A" --root "$S"
good="$A"

# refuse ARCHIVE MESSAGE: exit 1, one line, nothing unpacked, current unchanged.
refuse() {
	expect_rc 1 "$SLIPWAY" deploy "$1" --root "$S"
	assert_contains "$errout" "$2"
	assert_eq "$(printf '%s\n' "$errout" | wc -l)" 1 "one error line for $2"
	assert_eq "$(readlink "$S/current")" "releases/1.0" "current after: $2"
	assert_eq "$(ls "$S/releases")" "1.0" "releases after: $2"
	assert_eq "$(ls "$S/staging")" "" "staging after: $2"
}
pack_as 2.0 20 GITHUB_REPOSITORY=evil/app
refuse "$A" 'repository "https://github.com/evil/app" is not allowed'
pack_as 2.1 21 GITHUB_WORKFLOW_REF=team/app/.github/workflows/other.yml@refs/heads/main
refuse "$A" "builder \"https://github.com/team/app/.github/workflows/other.yml@refs/heads/main\" is not allowed"
pack_as 2.2 22 GITHUB_REF=refs/heads/feature
refuse "$A" 'ref "refs/heads/feature" is not allowed'
pack_as 2.3 23
cp "$T/tampered.jsonl" "$A.intoto.jsonl"
refuse "$A" "no valid signature by a release key"
cp "$good.intoto.jsonl" "$A.intoto.jsonl"
refuse "$A" "no subject has the archive's sha256"
rm "$A.intoto.jsonl"
refuse "$A" "keyring version 1 requires provenance"
# An external parameter slipway does not know, validly signed (by securesystemslib).
pack_as 2.4 24
python3 - "$A.intoto.jsonl" "$T/stmt" <<'PY'
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
st["predicate"]["buildDefinition"]["externalParameters"]["workflowInputs"] = {"x": 1}
open(sys.argv[2], "w").write(json.dumps(st))
PY
python3 "$JUDGE" sign "$T/stmt" "$T/r.key" "$A.intoto.jsonl" || fail "judge sign"
expect_rc 0 python3 "$JUDGE" verify "$A.intoto.jsonl" "$T/r.pub"
refuse "$A" 'unrecognised external parameter "workflowInputs"'
# The same, without the extra parameter: accepted (slipway reads securesystemslib's DSSE).
python3 - "$A.intoto.jsonl" "$T/stmt" <<'PY'
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
del st["predicate"]["buildDefinition"]["externalParameters"]["workflowInputs"]
open(sys.argv[2], "w").write(json.dumps(st))
PY
python3 "$JUDGE" sign "$T/stmt" "$T/r.key" "$A.intoto.jsonl" || fail "judge sign"
expect_rc 0 "$SLIPWAY" deploy "$A" --root "$S"
