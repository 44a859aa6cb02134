# The version from git agrees with `git describe --tags --always --dirty` (the oracle) in
# every shape: untagged, tagged, tag plus commits, annotated tags, dirty. A dirty tree is
# refused unless --allow-dirty; untracked files do not make it dirty (as in git).
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
cd "$T/p"
# The build is irrelevant here: only the version matters.
printf '[app]\nbuild =\n' >slipway.ini
mkdir -p .next/standalone .next/static && echo s >.next/standalone/server.js
git add slipway.ini && git commit -qm "no build"

n=0
version_of() { # packs; sets $v to the manifest's version and $n to the run number
	n=$((n + 1))
	expect_rc 0 "$SLIPWAY" pack -o "$T/o$n" --unsigned "$@"
	manifest_of "$out" >"$T/m$n.json"
	v=$(json_get "$T/m$n.json" 'm["version"]')
}
check() { # WHAT [pack flags...]: slipway's version must equal git describe's
	local want got
	want=$(git describe --tags --always --dirty)
	version_of "${@:2}"
	assert_eq "$v" "$want" "$1 (git describe)"
	assert_file "$T/o$n/demo-$want.tar.zst"
}

check "untagged"
git tag v0.1
check "lightweight tag"
echo 1 >>agent/main.py && git commit -qam c1 && echo 2 >>agent/main.py && git commit -qam c2
check "tag plus two commits"
git tag -a v0.2 -m "release 0.2"
check "annotated tag"
echo 3 >>agent/main.py && git commit -qam c3
check "annotated tag plus one commit"
echo untracked >new-file.txt
check "untracked file is not dirty"

# Dirty: refused, nothing written; allowed with --allow-dirty and marked in the manifest.
echo 4 >>agent/main.py
expect_rc 1 "$SLIPWAY" pack -o "$T/dirty" --unsigned
assert_contains "$errout" "uncommitted changes"
assert_contains "$errout" "--allow-dirty"
assert_no_file "$T/dirty"
check "dirty work tree" --allow-dirty
assert_eq "$(json_get "$T/m$n.json" 'm["dirty"]')" "True"
git add agent/main.py
check "dirty index" --allow-dirty
git commit -qm c4

# Shallow clones (CI's usual depth-1 checkout): libgit2 cannot walk past the boundary, so
# slipway answers as git does there: a tag on HEAD, else the abbreviated id.
for ref in "" v0.3; do
	[ -n "$ref" ] && git tag -a "$ref" -m "release $ref"
	rm -rf "$T/shallow"
	git clone -q --depth 1 ${ref:+--branch "$ref"} "file://$T/p" "$T/shallow" 2>/dev/null || fail "shallow clone"
	[ -f "$T/shallow/.git/shallow" ] || fail "not a shallow clone"
	mkdir -p "$T/shallow/.next/standalone" "$T/shallow/.next/static" # ignored by git
	echo s >"$T/shallow/.next/standalone/server.js"
	(cd "$T/shallow" && check "shallow clone ${ref:-of an untagged HEAD}")
done
(cd "$T/shallow" && echo 5 >>agent/main.py && check "shallow clone, dirty" --allow-dirty)
echo 6 >>agent/main.py && git commit -qam c6

# Commit id, serial = commit time, and the overrides.
version_of
assert_eq "$(json_get "$T/m$n.json" 'm["commit"]')" "$(git rev-parse HEAD)"
assert_eq "$(json_get "$T/m$n.json" 'm["serial"]')" "$(commit_time .)"
version_of --version 9.9.9-rc1 --serial 4242
assert_eq "$v" "9.9.9-rc1" "--version"
assert_eq "$(json_get "$T/m$n.json" 'm["serial"]')" "4242"
expect_rc 2 "$SLIPWAY" pack -o "$T/bad" --unsigned --version ../evil
assert_contains "$errout" "bad --version"

# A tag that cannot name a directory is refused with a hint.
git tag release/1.0
expect_rc 1 "$SLIPWAY" pack -o "$T/bad" --unsigned
assert_contains "$errout" "pass --version"
git tag -d release/1.0 >/dev/null

# Outside git: --version is required.
rm -rf .git
expect_rc 2 "$SLIPWAY" pack -o "$T/bad" --unsigned
assert_contains "$errout" "not in a git work tree"
version_of --version 1.2.3
assert_eq "$v" "1.2.3" "--version outside git"
assert_eq "$(json_get "$T/m$n.json" 'm["commit"]')" ""
