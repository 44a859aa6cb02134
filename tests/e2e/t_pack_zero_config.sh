# e2e: long
# Zero config for the common shapes (specs/config.md, "Defaults"), each shown by
# --print-config and by the manifest of a real pack: an app name derived when package.json
# has none; a [service NAME] section that changes a detected service key by key; a worker's
# drain-length stop_timeout; a Node LiveKit agent; a release without services refused; hints
# that name the project's own next.config file; a service script missing from the release.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"

# pack_ok DIR [ARGS]: packs DIR unsigned as version 1 into $T/out-<n>; $M is its manifest.
n=0
pack_ok() {
	local dir=$1
	shift
	n=$((n + 1))
	expect_rc 0 "$SLIPWAY" pack "$dir" --unsigned --version 1 -o "$T/out-$n" "$@"
	M=$T/m-$n.json
	manifest_of "$out" >"$M"
}
svc() { json_get "$M" "[s for s in m['services'] if s['name'] == '$1'][0]['$2']"; }

# 1. package.json without "name" (Vercel's templates): the directory's name, said where from.
make_project "$T/Shop Front!"
P="$T/Shop Front!"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); del p["name"]; json.dump(p, open(sys.argv[1], "w"))' "$P/package.json"
git -C "$P" commit -qam "no name"
expect_rc 0 "$SLIPWAY" pack "$P" --print-config
assert_contains "$out" "; name: from the directory name 'Shop Front!' (package.json has no \"name\")"
assert_contains "$out" "name = Shop-Front"
pack_ok "$P"
assert_eq "$(basename "$out")" "Shop-Front-1.tar.zst" "archive name"
assert_contains "$errout" "app name 'Shop-Front': from the directory name (package.json has no \"name\")"
assert_eq "$(json_get "$M" 'm["app"]')" "Shop-Front" "manifest app"
# A name that breaks the manifest's rule is made valid, and said so.
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["name"]="_My App"; json.dump(p, open(sys.argv[1], "w"))' "$P/package.json"
git -C "$P" commit -qam "odd name"
pack_ok "$P"
assert_contains "$errout" "app name 'My-App': package.json's \"name\" '_My App' made valid"
# Nothing usable at all: a clear error, not a made-up name.
make_project "$T/--"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); del p["name"]; json.dump(p, open(sys.argv[1], "w"))' "$T/--/package.json"
expect_rc 2 "$SLIPWAY" pack "$T/--" --print-config
assert_contains "$errout" "no app name: '--' has no letter or digit"

# 2. [service web] with only a port keeps the detected command, cwd and readiness; the
#    detected agent stays, with its drain-length stop_timeout.
make_project "$T/p"
printf '[service web]\nport = 5055\n' >"$T/p/slipway.ini"
git -C "$T/p" add -A && git -C "$T/p" commit -qm "port only"
expect_rc 0 "$SLIPWAY" pack "$T/p" --print-config
assert_contains "$out" "; slipway.ini sets: port"
pack_ok "$T/p"
assert_eq "$(json_get "$M" '[s["name"] for s in m["services"]]')" "['web', 'agent']" "services"
assert_eq "$(svc web port)" 5055 "web port"
assert_eq "$(svc web argv)" "['node', 'server.js']" "web argv"
assert_eq "$(svc web cwd)" ".next/standalone" "web cwd"
assert_eq "$(svc web ready)/$(svc web ready_path)" "http//" "web readiness"
assert_eq "$(svc agent stop_timeout_ms)" 1800000 "agent stop_timeout"

# 3. A worker written by hand (no port) drains for 30 minutes by default, a web service 30 s;
#    `enabled = no` turns the detected agent off in favour of it.
cat >"$T/p/slipway.ini" <<'INI'
[service worker]
command = python3 agent/main.py start --pool
[service agent]
enabled = no
INI
git -C "$T/p" commit -qam "worker"
expect_rc 0 "$SLIPWAY" pack "$T/p" --print-config
assert_contains "$out" "[service agent]
; detected, turned off
enabled = no"
pack_ok "$T/p"
assert_eq "$(json_get "$M" '[s["name"] for s in m["services"]]')" "['worker', 'web']" "services"
assert_eq "$(svc worker stop_timeout_ms)/$(svc worker ready)" "1800000/none" "worker defaults"
assert_eq "$(svc web stop_timeout_ms)" 30000 "web stop_timeout"

# 4. A Node LiveKit agent in agent/ (package.json depends on @livekit/agents), run as its
#    scripts.start says, in agent/; else by "main"; else agent.js.
make_project "$T/node"
rm "$T/node/agent/main.py"
mkdir -p "$T/node/agent/src"
echo 'console.log("agent")' >"$T/node/agent/src/main.js"
cat >"$T/node/agent/package.json" <<'JSON'
{"name": "agent", "type": "module", "scripts": {"start": "node src/main.js start"},
 "dependencies": {"@livekit/agents": "^1.0.0"}}
JSON
git -C "$T/node" add -A && git -C "$T/node" commit -qm "node agent"
expect_rc 0 "$SLIPWAY" pack "$T/node" --print-config
assert_contains "$out" "; detected: a LiveKit agent in Node (agent/package.json depends on @livekit/agents; command from its scripts.start)"
# Its dependencies are not installed: said by --print-config, refused before the build.
assert_contains "$out" "; pack refuses before building: the Node agent in agent/ has no"
expect_rc 1 "$SLIPWAY" pack "$T/node" --unsigned --version 1 -o "$T/out-deps"
assert_contains "$errout" "slipway: pack: the Node agent in agent/ has no agent/node_modules/@livekit/agents: install its dependencies before packing (cd agent && npm ci --omit=dev)"
assert_not_contains "$errout" "building:"
[ ! -e "$T/out-deps" ] || fail "a refused pack left $T/out-deps"
mkdir -p "$T/node/agent/node_modules/@livekit/agents"
echo '{"name": "@livekit/agents", "version": "1.0.0"}' >"$T/node/agent/node_modules/@livekit/agents/package.json"
pack_ok "$T/node"
# A LiveKit worker cannot register without these: required secrets.
assert_eq "$(json_get "$M" 'm["secrets"]["required"]')" "['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET']" "livekit secrets"
assert_eq "$(svc agent argv)/$(svc agent cwd)" "['node', 'src/main.js', 'start']/agent" "node agent"
assert_eq "$(svc agent stop_timeout_ms)/$(svc agent ready)" "1800000/log" "node agent drain"
# A LiveKit worker is ready once registered, with health ports from 8081 (specs/runtime.md).
assert_eq "$(svc agent ready_log)/$(svc agent health_port)" "registered worker/8081" "node agent readiness"
# "main", with scripts.start not a plain node command.
cat >"$T/node/agent/package.json" <<'JSON'
{"main": "./src/main.js", "scripts": {"start": "tsc && node dist/agent.js start"},
 "dependencies": {"@livekit/agents": "^1.0.0"}}
JSON
git -C "$T/node" commit -qam "main"
pack_ok "$T/node"
assert_eq "$(svc agent argv)" "['node', 'src/main.js', 'start']" "agent from main"
# Neither: agent.js.
echo 'console.log("agent")' >"$T/node/agent/agent.js"
echo '{"dependencies": {"@livekit/agents": "^1.0.0"}}' >"$T/node/agent/package.json"
git -C "$T/node" add -A && git -C "$T/node" commit -qm "agent.js"
pack_ok "$T/node"
assert_eq "$(svc agent argv)" "['node', 'agent.js', 'start']" "agent.js"
# A package.json without @livekit/agents is not an agent.
echo '{"dependencies": {"left-pad": "1"}}' >"$T/node/agent/package.json"
git -C "$T/node" commit -qam "not an agent"
pack_ok "$T/node"
assert_eq "$(json_get "$M" '[s["name"] for s in m["services"]]')" "['web']" "services without an agent"

# 5. No service at all: refused before the build, saying what to add; allowed with the flag.
mkdir -p "$T/files/data" && echo x >"$T/files/data/x.txt"
printf '[app]\nname = files\n[bundle]\ninclude = data\n' >"$T/files/slipway.ini"
expect_rc 1 "$SLIPWAY" pack "$T/files" --unsigned --version 1 -o "$T/out-none"
assert_contains "$errout" "no service to run"
assert_contains "$errout" "add a [service NAME] section with a command"
assert_contains "$errout" "--allow-no-services"
assert_no_file "$T/out-none"
expect_rc 0 "$SLIPWAY" pack "$T/files" --print-config
assert_contains "$out" "; no service: pack refuses"
pack_ok "$T/files" --allow-no-services
assert_eq "$(json_get "$M" 'm["services"]')" "[]" "services with --allow-no-services"

# 6. The standalone hint names the config file the project has. A config without standalone
# output is the `next start` shape, which needs the project's node_modules: refused before
# the build when they are missing.
for cfgfile in next.config.ts next.config.mjs next.config.js; do
	make_project "$T/hint-$cfgfile"
	echo "export default {}" >"$T/hint-$cfgfile/$cfgfile"
	git -C "$T/hint-$cfgfile" add -A && git -C "$T/hint-$cfgfile" commit -qm config
	expect_rc 1 "$SLIPWAY" pack "$T/hint-$cfgfile" --unsigned --version 1 -o "$T/out-hint"
	assert_contains "$errout" "slipway: pack: $cfgfile does not set output: 'standalone', so the app would run as \`next start\` from its own node_modules, and node_modules/next/dist/bin/next is missing: set output: 'standalone' in $cfgfile"
	assert_not_contains "$errout" "building:"
	# A config that asks for it, whose build does not make it: the hint after the build.
	echo "export default {output: 'standalone'}" >"$T/hint-$cfgfile/$cfgfile"
	rm -rf "$T/hint-$cfgfile/.next"
	git -C "$T/hint-$cfgfile" commit -qam standalone
	expect_rc 1 "$SLIPWAY" pack "$T/hint-$cfgfile" --unsigned --version 1 --no-build -o "$T/out-hint"
	assert_contains "$errout" "set output: 'standalone' in $cfgfile and build again"
done
make_project "$T/hint-none"
expect_rc 1 "$SLIPWAY" pack "$T/hint-none" --unsigned --version 1 --no-build -o "$T/out-hint"
assert_contains "$errout" "create next.config.js with output: 'standalone'"

# 7. A script the release does not have (a forgotten cwd) is refused at pack, not at deploy.
printf '[service api]\ncommand = node server.js\nport = 7000\n[service web]\nenabled = no\n' >"$T/p/slipway.ini"
git -C "$T/p" commit -qam "api without cwd"
expect_rc 1 "$SLIPWAY" pack "$T/p" --unsigned --version 1 -o "$T/out-cwd"
assert_contains "$errout" "service api: \`node server.js\` runs server.js in the release root, but the release has no file server.js"
assert_no_file "$T/out-cwd"
