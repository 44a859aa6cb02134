# Deep trees never defeat cleanup (specs/store.md "Recovery"): removal holds a bounded number
# of descriptors whatever the depth, so a failed install of a 1,500-level tree leaves staging/
# empty, a sweep removes such a tree left by a killed install, and pruning such a release
# leaves trash/ empty. The descriptor limit is lowered well below the depth.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
DEPTH=1500

# deep_archive OUT VERSION SERIAL [bad]: a signed archive of a chain of DEPTH directories "d"
# with a file at the bottom; with "bad", the file's content differs from the manifest.
deep_archive() {
	python3 - "$1" "$2" "$3" "${4:-}" "$T/test.key" "$DEPTH" <<'PY' || fail "deep archive"
import os, sys
sys.path.insert(0, os.environ["REPO"] + "/tests/e2e")
import make_release as mr
out, version, serial, bad, key, depth = sys.argv[1:7]
E = mr.Entry
listed = [E("/".join(["d"] * i), "dir") for i in range(1, int(depth) + 1)]
bottom = "/".join(["d"] * int(depth)) + "/f"
listed.append(E(bottom, "file", b"bottom\n"))
members = list(listed)
if bad:
    members[-1] = E(bottom, "file", b"BOTTOM\n")
m = mr.manifest_for(listed, "testapp", version, int(serial))
mr.write_archive(out, [E(mr.MANIFEST_NAME, "file", mr.manifest_json(m))] + members)
mr.sign(out, key, "testapp", version, int(serial))
PY
}
export REPO
staging_empty() { assert_eq "$(ls -A "$S/staging")" "" "staging after $1"; }

# A failed install: every level was created, then the last file is refused.
deep_archive "$T/bad.tar.zst" 1.0.0 1 bad
(ulimit -n 256 && exec "$SLIPWAY" install "$T/bad.tar.zst" --root "$S") >"$T/.out" 2>"$T/.err" &&
	fail "a corrupted deep archive was installed"
assert_contains "$(cat "$T/.err")" "does not match the manifest's SHA-256"
staging_empty "a failed deep install"

# An install killed after unpacking: the next command's sweep removes the deep tree.
deep_archive "$T/deep.tar.zst" 1.0.0 1
(ulimit -n 256 && SLIPWAY_TEST_CRASH_AT=install-after-sync exec "$SLIPWAY" install "$T/deep.tar.zst" --root "$S") >/dev/null 2>&1
[ -n "$(ls -A "$S/staging")" ] || fail "the killed install left no staging tree to sweep"
(ulimit -n 256 && exec "$SLIPWAY" install "$T/deep.tar.zst" --root "$S") >"$T/.out" 2>"$T/.err" ||
	fail "install after a killed one failed: $(cat "$T/.err")"
assert_not_contains "$(cat "$T/.err")" "warning" "sweep of the deep staging tree"
staging_empty "the sweep"
assert_eq "$(cat "$S/releases/1.0.0/$(printf 'd/%.0s' $(seq $DEPTH))f")" "bottom" "the bottom file"

# Pruning the deep release: trash/ is left empty.
release 2.0.0 2
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
(ulimit -n 256 && exec "$SLIPWAY" prune --keep 0 --root "$S") >"$T/.out" 2>"$T/.err" ||
	fail "prune failed: $(cat "$T/.err")"
assert_contains "$(cat "$T/.out")" "1.0.0"
assert_no_file "$S/releases/1.0.0"
assert_eq "$(ls -A "$S/trash")" "" "trash after pruning the deep release"
