# Helpers for the t_pack_* tests: a small throwaway project shaped like MediAI whose
# "build" writes a fake Next.js standalone output in milliseconds, and a git identity.

export GIT_AUTHOR_NAME=slipway-test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=slipway-test GIT_COMMITTER_EMAIL=test@example.invalid
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global tag.gpgSign false
git config --global commit.gpgSign false

# make_project DIR: package.json (name "demo", build script, next dependency), a build.js
# that writes .next/standalone/server.js, .next/static, .next/cache; public/, agent/main.py,
# start-production.sh. Committed in a fresh git repository; .next/ is ignored.
make_project() {
	local d=$1
	mkdir -p "$d/public" "$d/agent"
	cat >"$d/package.json" <<'JSON'
{"name": "demo", "version": "0.0.1", "scripts": {"build": "node build.js"},
 "dependencies": {"next": "15.5.29"}}
JSON
	cat >"$d/build.js" <<'JS'
const fs = require('fs');
if (process.env.NEXT_TELEMETRY_DISABLED !== '1') { console.error('telemetry not disabled'); process.exit(9); }
for (const d of ['.next/standalone/.next/server', '.next/static/chunks', '.next/cache/webpack'])
  fs.mkdirSync(d, {recursive: true});
fs.writeFileSync('.next/standalone/server.js', 'console.log("server")\n');
fs.writeFileSync('.next/standalone/.next/BUILD_ID', 'build-1\n');
fs.writeFileSync('.next/standalone/.next/server/page.js', 'module.exports = 1\n');
fs.writeFileSync('.next/static/chunks/app.js', 'x = 1\n');
fs.writeFileSync('.next/cache/webpack/blob', 'cache\n');
console.log('fake next build done');
JS
	echo "User-agent: *" >"$d/public/robots.txt"
	printf 'import sys\nprint("agent", sys.argv[1:])\n' >"$d/agent/main.py"
	printf '#!/bin/sh\necho start\n' >"$d/start-production.sh"
	chmod 755 "$d/start-production.sh"
	printf '.next/\nnode_modules/\n' >"$d/.gitignore"
	(cd "$d" && git init -q && git add -A && git commit -qm "initial") || fail "git setup"
}

# commit_time DIR: HEAD's committer time (Unix seconds).
commit_time() { git -C "$1" log -1 --format=%ct; }

# manifest_of ARCHIVE: the manifest JSON, read with GNU tar.
manifest_of() { tar -xOf "$1" slipway-manifest.json; }

# json_get FILE EXPR: evaluates a Python expression on the parsed JSON `m`.
json_get() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

