# Odd trees: symlinks inside the release are packed as symlinks (GNU tar restores them);
# a symlink out of the release, or absolute, is refused with nothing written; FIFOs are
# skipped and named; a path provided twice keeps the first include and says so; a project
# file named like the manifest is refused.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
cd "$T/p"
NEXT_TELEMETRY_DISABLED=1 node build.js >/dev/null || fail "fake build"
mkdir -p agent/lib
echo "helper" >agent/lib/helper.py
ln -s lib/helper.py agent/link.py               # inside: fine
ln -s ../../agent/lib .next/standalone/agentlib  # climbs to the release root: fine
mkfifo agent/pipe
mkdir -p .next/standalone/public && echo "standalone copy" >.next/standalone/public/robots.txt
git add -A && git commit -qm tree && git tag v1

expect_rc 0 "$SLIPWAY" pack -o "$T/out" --unsigned --no-build
A=$T/out/demo-v1.tar.zst
tar -tvf "$A" >"$T/long"
grep -q '^lrwxrwxrwx .* agent/link.py -> lib/helper.py$' "$T/long" || fail "symlink not packed as a symlink: $(grep link.py "$T/long")"
grep -q 'agentlib -> ../../agent/lib$' "$T/long" || fail "relative symlink to the root missing"
! grep -q 'agent/pipe' "$T/long" || fail "FIFO packed"
assert_contains "$errout" "agent/pipe (not a regular file, directory or symlink)"
assert_contains "$errout" "note: .next/standalone/public/robots.txt: provided twice"
mkdir "$T/x" && tar -C "$T/x" -xf "$A" || fail "GNU tar cannot extract"
assert_eq "$(cat "$T/x/agent/link.py")" "helper" "symlink restored by GNU tar"
assert_eq "$(cat "$T/x/.next/standalone/public/robots.txt")" "standalone copy" "the first include wins"
manifest_of "$A" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" '[f["target"] for f in m["files"] if f["path"] == "agent/link.py"]')" "['lib/helper.py']"

# Out of the release: refused, exit 1, nothing in OUTDIR.
ln -s ../../etc/passwd agent/escape
expect_rc 1 "$SLIPWAY" pack -o "$T/bad" --unsigned --no-build --allow-dirty
assert_contains "$errout" "agent/escape"
assert_no_file "$T/bad"
rm agent/escape
ln -s /etc/passwd agent/absolute
expect_rc 1 "$SLIPWAY" pack -o "$T/bad" --unsigned --no-build --allow-dirty
assert_contains "$errout" "agent/absolute"
assert_no_file "$T/bad"
rm agent/absolute

# The manifest's name is reserved at the release root.
printf '[bundle]\ninclude = .next/standalone slipway-manifest.json\n' >slipway.ini
echo '{}' >slipway-manifest.json
expect_rc 1 "$SLIPWAY" pack -o "$T/bad" --unsigned --no-build --allow-dirty
assert_contains "$errout" "reserved for the manifest"
assert_no_file "$T/bad"
