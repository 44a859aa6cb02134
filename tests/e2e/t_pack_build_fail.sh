# A failing build: exit 1, the command and its status named, nothing left in OUTDIR
# (OUTDIR is not even created), nothing on stdout. Also: missing standalone output.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
cd "$T/p"
cat >slipway.ini <<'INI'
[app]
build = sh -c "echo compiling; exit 7"
INI
git add -A && git commit -qm "failing build"
expect_rc 1 "$SLIPWAY" pack --version 1.0 -o "$T/out" --unsigned
assert_contains "$errout" "compiling" "build output"
assert_contains "$errout" "build failed: 'sh -c \"echo compiling; exit 7\"' exited with status 7"
assert_eq "$out" "" "stdout"
assert_no_file "$T/out"
mkdir "$T/out2"
expect_rc 1 "$SLIPWAY" pack --version 1.0 -o "$T/out2" --unsigned
assert_eq "$(ls -A "$T/out2")" "" "OUTDIR after a failed build"

# The default build (npm run build) failing names npm's command.
rm slipway.ini
echo 'process.exit(3)' >build.js
git add -A && git commit -qm "npm build fails"
expect_rc 1 "$SLIPWAY" pack --version 1.0 -o "$T/out2" --unsigned
assert_contains "$errout" "build failed: 'npm run build' exited with status"
assert_eq "$(ls -A "$T/out2")" "" "OUTDIR after a failed npm build"

# A build tool that does not exist: the build could not start (exit 3).
printf '[app]\nbuild = no-such-build-tool --fast\n' >slipway.ini
git add -A && git commit -qm "missing tool"
expect_rc 3 "$SLIPWAY" pack --version 1.0 -o "$T/out2" --unsigned
assert_contains "$errout" "'no-such-build-tool --fast' could not start: No such file or directory"

# A build that succeeds without standalone output: say how to enable it.
printf '[app]\nbuild = true\n' >slipway.ini
git add -A && git commit -qm "no standalone"
expect_rc 1 "$SLIPWAY" pack --version 1.0 -o "$T/out2" --unsigned
assert_contains "$errout" "output: 'standalone'"
assert_eq "$(ls -A "$T/out2")" "" "OUTDIR without standalone output"
