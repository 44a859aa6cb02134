# The store's happy path: init, install, activate, deploy, rollback, list, status; with GNU
# tar and minisign as independent judges of what was installed.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"

expect_rc 2 "$SLIPWAY" install "$T/x.tar.zst"
assert_contains "$errout" "no store given"
expect_rc 3 "$SLIPWAY" list --root "$T/nostore"
assert_contains "$errout" "No such file or directory"
mkdir "$T/empty"
expect_rc 3 "$SLIPWAY" list --root "$T/empty"
assert_contains "$errout" "is not a slipway store (run slipway init)"

new_store "$S"
assert_contains "$out" "trusted key"
for d in releases meta staging trash shared; do [ -d "$S/$d" ] || fail "init did not create $d"; done
assert_eq "$(stat -c %a "$S/shared/env")" "600" "shared/env mode"
assert_eq "$(stat -c %a "$S/staging")" "700" "staging mode"
cmp -s "$S/trusted.pub" "$T/test.pub" || fail "pinned key differs from the given one"
# init again with the same key: harmless; with another key: refused, pin unchanged
new_store "$S"
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1
expect_rc 3 "$SLIPWAY" init --root "$S" -p "$T/other.pub"
assert_contains "$errout" "already pinned to another key"
cmp -s "$S/trusted.pub" "$T/test.pub" || fail "pin replaced"
mkdir "$T/full" && touch "$T/full/x"
expect_rc 3 "$SLIPWAY" init --root "$T/full" -p "$T/test.pub"
assert_contains "$errout" "not empty and is not a slipway store"

release 1.0.0 10
minisign -Vm "$T/rel-1.0.0.tar.zst" -p "$T/test.pub" -q || fail "minisign rejects the test archive"
expect_rc 0 "$SLIPWAY" install "$T/rel-1.0.0.tar.zst" --root "$S"
assert_contains "$out" "installed 1.0.0 (serial 10"
assert_no_file "$S/current"
# The installed tree is exactly what GNU tar extracts, the manifest included.
mkdir "$T/ref" && tar -C "$T/ref" -xf "$T/rel-1.0.0.tar.zst"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$S/releases/1.0.0/slipway-manifest.json" ||
	fail "installed manifest is not JSON"
diff -r --no-dereference -x slipway-manifest.json "$T/ref" "$S/releases/1.0.0" || fail "tree differs from tar -x"
assert_eq "$(readlink "$S/releases/1.0.0/app/start")" "../bin/start.sh" "symlink target"
# Installed releases are read-only (specs/store.md "Immutable releases").
assert_eq "$(stat -c %a "$S/releases/1.0.0/bin/start.sh")" "555" "script mode"
assert_eq "$(stat -c %a "$S/releases/1.0.0/app/index.txt")" "444" "file mode"
assert_eq "$(stat -c %a "$S/releases/1.0.0/app")" "555" "directory mode"
assert_eq "$(stat -c %a "$S/releases/1.0.0")" "555" "release dir mode"
assert_eq "$(ls -A "$S/staging")" "" "staging left empty"

# Reinstalling the same archive is a no-op success.
expect_rc 0 "$SLIPWAY" install "$T/rel-1.0.0.tar.zst" --root "$S"
assert_contains "$out" "already installed from this archive"

expect_rc 1 "$SLIPWAY" activate 9.9.9 --root "$S"
assert_contains "$errout" "9.9.9 is not installed"
expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"
assert_contains "$out" "activated 1.0.0"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after activate"
expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"
assert_contains "$out" "already active"
expect_rc 1 "$SLIPWAY" rollback --root "$S"
assert_contains "$errout" "nothing to roll back to"

release 1.1.0 11 --build-time 2026-11-26T07:00:00Z
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.1.0.tar.zst" --root "$S"
# A written file's mtime is its release's build_time, not the archive's constant 1: web
# servers' ETags are size + mtime, and app/index.txt has the same size in both releases.
assert_eq "$(stat -c %Y "$S/releases/1.0.0/app/index.txt")" "$(date -d 2026-11-25T06:00:00Z +%s)" "mtime of 1.0.0's file"
assert_eq "$(stat -c %Y "$S/releases/1.1.0/app/index.txt")" "$(date -d 2026-11-26T07:00:00Z +%s)" "mtime of 1.1.0's changed file"
assert_contains "$out" "activated 1.1.0 (was 1.0.0)"
assert_eq "$(cat "$S/current/app/index.txt")" "hello 1.1.0" "content through current"
release 1.2.0 12
SLIPWAY_ROOT="$S" expect_rc 0 "$SLIPWAY" install "$T/rel-1.2.0.tar.zst" --activate
assert_eq "$(current_of "$S")" "releases/1.2.0" "install --activate"

expect_rc 0 "$SLIPWAY" list --root "$S" --json
python3 - "$out" <<'PY' || fail "list --json wrong: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["current"] == "1.2.0" and d["rollback_target"] == "1.1.0", d
assert [r["version"] for r in d["releases"]] == ["1.0.0", "1.1.0", "1.2.0"], d
assert [r["serial"] for r in d["releases"]] == [10, 11, 12], d
assert [r["current"] for r in d["releases"]] == [False, False, True], d
PY

# rollback twice walks back through the history; it does not bounce between two releases.
expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_contains "$out" "rolled back to 1.1.0 (was 1.2.0)"
expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_contains "$out" "rolled back to 1.0.0 (was 1.1.0)"
expect_rc 1 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after failed rollback"
expect_rc 0 "$SLIPWAY" rollback 1.2.0 --root "$S"
assert_eq "$(current_of "$S")" "releases/1.2.0" "rollback VERSION"
expect_rc 0 "$SLIPWAY" list --root "$S"
assert_contains "$out" "current"
grep -c '"action":"rollback"' "$S/history.jsonl" | grep -qx 3 || fail "history lacks the rollbacks"

# status: names of secrets, never their values
printf 'JWT_SECRET=s3cr3t-value-do-not-print\nexport LIVEKIT_URL=wss://secret-host\n' >"$S/shared/env"
expect_rc 0 "$SLIPWAY" status --root "$S"
assert_contains "$out" "current:      1.2.0"
assert_contains "$out" "2 names"
expect_rc 0 "$SLIPWAY" status --root "$S" --json
assert_not_contains "$out" "s3cr3t" "status --json"
assert_not_contains "$out" "secret-host" "status --json"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["current"]=="1.2.0" and d["env_names"]==["JWT_SECRET","LIVEKIT_URL"], d' "$out" ||
	fail "status --json: $out"

# status names the required secrets the active release lacks
release 1.3.0 13 --required JWT_SECRET DATABASE_URL
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.3.0.tar.zst" --root "$S"
expect_rc 0 "$SLIPWAY" status --root "$S" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["missing_secrets"]==["DATABASE_URL"], d' "$out" ||
	fail "status --json missing_secrets: $out"
expect_rc 0 "$SLIPWAY" status --root "$S"
assert_contains "$out" "missing:      DATABASE_URL"
assert_not_contains "$out" "s3cr3t" "status"

# a `current` that is a real directory is never touched
rm "$S/current" && mkdir "$S/current"
expect_rc 3 "$SLIPWAY" activate 1.1.0 --root "$S"
assert_contains "$errout" "not a symlink"
[ -d "$S/current" ] && [ ! -L "$S/current" ] || fail "current directory was replaced"

for c in init install activate rollback deploy list status; do
	expect_rc 0 "$SLIPWAY" $c --help
	assert_contains "$out" "usage: slipway $c"
	expect_rc 2 "$SLIPWAY" $c --bogus
done
