# Monorepos and package managers (specs/config.md "Next.js", "Defaults"), on small projects
# shaped like real ones (an npm-workspaces repo with the app in apps/web, a pnpm workspace, a
# yarn workspace) whose "build" writes what `next build` with output: 'standalone' writes
# there in milliseconds:
#  - at the workspace root, the refusal names the member(s) that are apps;
#  - in apps/web, Next traces from the workspace root, so server.js is in
#    .next/standalone/apps/web/: --print-config already says so, the web service runs
#    there, .next/static and public land next to it, and the manifest declares that build's
#    writable and static directories, which install honours;
#  - a server.js found elsewhere than expected is followed, and said;
#  - the build runs with the project's package manager (lockfile at the workspace root).
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"

# make_member DIR: a Next.js app (standalone output) whose build writes the standalone
# output of a workspace member at apps/web.
make_member() {
	local d=$1
	mkdir -p "$d/public"
	cat >"$d/package.json" <<'JSON'
{"name": "@mono/web", "version": "0.0.1", "scripts": {"build": "node build.js"},
 "dependencies": {"next": "15.5.29"}}
JSON
	echo "module.exports = {output: 'standalone'}" >"$d/next.config.js"
	cat >"$d/build.js" <<'JS'
const fs = require('fs');
const s = '.next/standalone/apps/web';
for (const d of [s + '/.next/server', '.next/standalone/node_modules/next', '.next/static/chunks',
                 '.next/cache/webpack'])
  fs.mkdirSync(d, {recursive: true});
fs.writeFileSync(s + '/server.js', 'require("next")\n');
fs.writeFileSync(s + '/.next/BUILD_ID', 'build-1\n');
fs.writeFileSync(s + '/.next/server/page.js', 'module.exports = 1\n');
fs.writeFileSync('.next/standalone/node_modules/next/index.js', 'module.exports = {}\n');
fs.writeFileSync('.next/static/chunks/app.js', 'x = 1\n');
fs.writeFileSync('.next/cache/webpack/blob', 'cache\n');
console.log('fake workspace build done by ' + (process.env.npm_config_user_agent || '?').split('/')[0]);
JS
	echo "User-agent: *" >"$d/public/robots.txt"
}

# 1. npm workspaces: root package.json "workspaces", package-lock.json at the root.
R=$T/mono
mkdir -p "$R/apps/docs" "$R/packages/ui"
echo '{"name": "mono", "private": true, "workspaces": ["apps/*", "packages/*"]}' >"$R/package.json"
echo '{"lockfileVersion": 3}' >"$R/package-lock.json"
echo '{"name": "docs"}' >"$R/apps/docs/package.json"
echo '{"name": "@mono/ui"}' >"$R/packages/ui/package.json"
make_member "$R/apps/web"
printf '.next/\nnode_modules/\n' >"$R/.gitignore"
(cd "$R" && git init -q && git add -A && git commit -qm initial) || fail "git setup"

expect_rc 1 "$SLIPWAY" pack "$R" --unsigned --version 1 -o "$T/out-root"
assert_contains "$errout" "is a workspace root, and its app is apps/web: pack it (slipway pack apps/web)"
assert_no_file "$T/out-root"

expect_rc 0 "$SLIPWAY" pack "$R/apps/web" --print-config
assert_contains "$out" "cwd = .next/standalone/apps/web"
assert_contains "$out" "build = npm run build"
test_key "$T/k"
expect_rc 0 "$SLIPWAY" pack "$R/apps/web" -s "$T/k/test.key" --version 1 -o "$T/out"
assert_not_contains "$errout" "the standalone server is"
M=$T/m.json
manifest_of "$out" >"$M"
assert_eq "$(json_get "$M" '[s["cwd"] for s in m["services"]]')" "['.next/standalone/apps/web']" "web cwd"
assert_eq "$(json_get "$M" '[s["argv"] for s in m["services"]]')" "[['node', 'server.js']]" "web argv"
paths=$(json_get "$M" '"\n".join(f["path"] for f in m["files"])')
assert_contains "$paths" ".next/standalone/apps/web/.next/static/chunks/app.js"
assert_contains "$paths" ".next/standalone/apps/web/public/robots.txt"
assert_contains "$paths" ".next/standalone/node_modules/next/index.js"
assert_not_contains "$paths" "cache"
assert_not_contains "$paths" ".next/standalone/.next/static"
assert_eq "$(json_get "$M" 'm["static_dirs"]')" "['.next/standalone/apps/web/.next/static']" "static_dirs"
assert_eq "$(json_get "$M" 'm["writable_dirs"]')" "['.next/standalone/apps/web/.next/cache']" "writable_dirs"

# Installed: the declared cache directory is made and writable, the rest read-only.
"$SLIPWAY" init --root "$T/store" -p "$T/k/test.pub" >/dev/null || fail "init"
expect_rc 0 "$SLIPWAY" install "$out" --root "$T/store"
rel=$T/store/releases/1/.next/standalone/apps/web
assert_eq "$(stat -c %a "$rel/.next/cache")" 755 "writable cache"
assert_eq "$(stat -c %a "$rel/.next")" 555 "read-only build"
assert_eq "$(stat -c %a "$rel/.next/static")" 555 "read-only static"

# 2. Not where Next's tracing root puts it (no lockfile above apps/web: expected in
# .next/standalone): the server.js found is followed, and said.
git -C "$R" rm -q package-lock.json && git -C "$R" commit -qm "no lockfile"
expect_rc 0 "$SLIPWAY" pack "$R/apps/web" --print-config
assert_contains "$out" "cwd = .next/standalone"$'\n'
expect_rc 0 "$SLIPWAY" pack "$R/apps/web" --unsigned --version 2 -o "$T/out"
assert_contains "$errout" "the standalone server is .next/standalone/apps/web/server.js, where the web service runs; .next/static and public go next to it"
manifest_of "$out" >"$M"
assert_eq "$(json_get "$M" '[s["cwd"] for s in m["services"]]')" "['.next/standalone/apps/web']" "followed cwd"
assert_eq "$(json_get "$M" 'm["static_dirs"]')" "['.next/standalone/apps/web/.next/static']" "followed static_dirs"
# Two servers: which one to run is the user's choice, refused with both named.
mkdir -p "$R/apps/web/.next/standalone/apps/other" && echo x >"$R/apps/web/.next/standalone/apps/other/server.js"
expect_rc 1 "$SLIPWAY" pack "$R/apps/web" --unsigned --version 3 --no-build -o "$T/out3"
assert_contains "$errout" "2 standalone servers under .next/standalone (.next/standalone/apps/other, .next/standalone/apps/web): set [service web] cwd in slipway.ini to the one to run"
assert_no_file "$T/out3"

# 3. pnpm: pnpm-workspace.yaml and pnpm-lock.yaml; two apps. The build runs with pnpm (a
# stand-in on PATH that records its call and runs the script).
P=$T/pnpm
mkdir -p "$P/apps" "$T/bin"
echo '{"name": "pmono", "private": true}' >"$P/package.json"
printf 'packages:\n  - "apps/*"\n  - packages/*  # shared code\n' >"$P/pnpm-workspace.yaml"
echo 'lockfileVersion: 9.0' >"$P/pnpm-lock.yaml"
make_member "$P/apps/web"
make_member "$P/apps/admin"
cat >"$T/bin/pnpm" <<EOF
#!/bin/sh
echo "pnpm \$*" >>"$T/pnpm.calls"
[ "\$1 \$2" = "run build" ] && exec env npm_config_user_agent=pnpm/9 node build.js
exit 2
EOF
chmod 755 "$T/bin/pnpm"
expect_rc 1 "$SLIPWAY" pack "$P" --unsigned --version 1 -o "$T/out-p"
assert_contains "$errout" "is a workspace root, and its apps are apps/admin, apps/web: pack each (slipway pack apps/admin)"
PATH="$T/bin:$PATH" expect_rc 0 "$SLIPWAY" pack "$P/apps/web" --print-config
assert_contains "$out" "build = pnpm run build"
PATH="$T/bin:$PATH" expect_rc 0 "$SLIPWAY" pack "$P/apps/web" --unsigned --version 1 -o "$T/out-p"
assert_contains "$errout" "building: pnpm run build"
assert_eq "$(cat "$T/pnpm.calls")" "pnpm run build" "pnpm called"
# Without pnpm installed, through corepack (where the machine has it).
if command -v corepack >/dev/null; then
	PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vx "$T/bin" | paste -sd:)
	if ! command -v pnpm >/dev/null; then
		expect_rc 0 "$SLIPWAY" pack "$P/apps/web" --print-config
		assert_contains "$out" "build = corepack pnpm run build"
	fi
fi

# 4. yarn: "workspaces": {"packages": [...]} and yarn.lock; packageManager alone also counts.
Y=$T/yarn
mkdir -p "$Y/apps"
echo '{"name": "ymono", "private": true, "workspaces": {"packages": ["apps/web"]}}' >"$Y/package.json"
: >"$Y/yarn.lock"
make_member "$Y/apps/web"
expect_rc 1 "$SLIPWAY" pack "$Y" --unsigned --version 1 -o "$T/out-y"
assert_contains "$errout" "its app is apps/web: pack it (slipway pack apps/web)"
expect_rc 0 "$SLIPWAY" pack "$Y/apps/web" --print-config
assert_contains "$out" "yarn run build" # through corepack when yarn is not installed
rm "$Y/yarn.lock"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["packageManager"]="pnpm@9.12.0"; json.dump(p, open(sys.argv[1], "w"))' "$Y/apps/web/package.json"
PATH="$T/bin:$PATH" expect_rc 0 "$SLIPWAY" pack "$Y/apps/web" --print-config
assert_contains "$out" "build = pnpm run build"

# 5. A member without standalone output would run `next start` from its own node_modules;
# pnpm links them to the workspace root's store, outside the release: refused before the
# build, with the fix.
mkdir -p "$P/node_modules/.pnpm/next/node_modules/next/dist/bin" "$P/apps/admin/node_modules"
echo '#!/usr/bin/env node' >"$P/node_modules/.pnpm/next/node_modules/next/dist/bin/next"
ln -s ../../../node_modules/.pnpm/next/node_modules/next "$P/apps/admin/node_modules/next"
echo 'export default {}' >"$P/apps/admin/next.config.js"
PATH="$T/bin:$PATH" expect_rc 1 "$SLIPWAY" pack "$P/apps/admin" --unsigned --version 1 -o "$T/out-a"
assert_contains "$errout" "slipway: pack: next.config.js does not set output: 'standalone', so the app would run as \`next start\` from its own node_modules, and node_modules/next/dist/bin/next is outside the project (a workspace's): set output: 'standalone' in next.config.js"
assert_not_contains "$errout" "building:"
assert_no_file "$T/out-a"
