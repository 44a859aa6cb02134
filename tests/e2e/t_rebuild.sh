# slipway rebuild (specs/trust.md "Reproduction"): a second checkout rebuilds an archive from
# its recorded commit byte for byte and signs a "reproduced" attestation with its own key
# (judged by Debian's python3-securesystemslib); a build that differs by one byte names the
# file; an archive packed from a dirty tree, or whose commit the source lacks, is refused.
# Keys are TEST KEYS made here.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
JUDGE="$REPO/tests/e2e/dsse_judge.py"
export TMPDIR="$T/tmp" # where rebuild makes its private directory
mkdir -p "$TMPDIR"
for k in ci rebuilder; do
	minisign -G -W -p "$T/$k.pub" -s "$T/$k.key" -c "slipway TEST KEY $k" >/dev/null 2>&1 || fail "keygen"
done
make_project "$T/p"
# A build that an environment variable can change by one byte, to prove the comparison.
cat >>"$T/p/build.js" <<'JS'
if (process.env.REBUILD_SKEW) fs.writeFileSync('.next/static/chunks/app.js', 'x = 2\n');
JS
git -C "$T/p" commit -qam "skew hook" || fail "commit"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/ci" -s "$T/ci.key"
A=$out
commit=$(git -C "$T/p" rev-parse HEAD)

# The second machine: its own clone, elsewhere.
git clone -q "$T/p" "$T/second" || fail "clone"
expect_rc 0 "$SLIPWAY" rebuild "$A" --source "$T/second" -s "$T/rebuilder.key"
assert_contains "$out" "reproduced: $A is byte for byte the rebuild of commit $commit"
R="$A.reproduced.jsonl"
assert_file "$R"
expect_rc 0 python3 "$JUDGE" verify "$R" "$T/rebuilder.pub"
python3 - "$R" "$A" "$commit" <<'PY' || fail "attestation content"
import base64, hashlib, json, sys
st = json.loads(base64.b64decode(json.loads(open(sys.argv[1]).readline())["payload"]))
assert st["predicateType"] == "https://slipway.dev/reproduced/v1", st
assert st["subject"][0]["digest"]["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert st["predicate"]["gitCommit"] == sys.argv[3] and st["predicate"]["result"] == "identical"
PY
# A second rebuilder appends its own line.
expect_rc 0 env SLIPWAY_BUILDER_ID=rebuilder-2 "$SLIPWAY" rebuild "$A" --source "$T/second" \
	-s "$T/rebuilder.key"
assert_eq "$(wc -l <"$R")" 2 "attestations"

# One byte of difference: exit 1, the file named, no attestation added.
expect_rc 1 env REBUILD_SKEW=1 "$SLIPWAY" rebuild "$A" --source "$T/second" -s "$T/rebuilder.key"
assert_contains "$errout" "differs from its rebuild at byte"
assert_contains "$errout" ".next/standalone/.next/static/chunks/app.js differs (content)"
assert_eq "$(wc -l <"$R")" 2 "attestations after a difference"

# Not rebuildable: a commit the source lacks; a dirty tree.
git init -q "$T/empty" && git -C "$T/empty" commit -q --allow-empty -m e
expect_rc 1 "$SLIPWAY" rebuild "$A" --source "$T/empty"
assert_contains "$errout" "the recorded commit is not in the source"
echo change >>"$T/p/public/robots.txt"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/dirty" -s "$T/ci.key" --allow-dirty --version d1
expect_rc 1 "$SLIPWAY" rebuild "$out" --source "$T/second"
assert_contains "$errout" "packed from a work tree with uncommitted changes"
assert_eq "$(ls -A "$TMPDIR")" "" "private directories left behind"
