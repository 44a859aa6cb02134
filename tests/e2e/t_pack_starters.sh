# A project shaped like LiveKit's two starters together (specs/config.md "Checks at pack
# time"): a TypeScript Next.js app without standalone output, managed by pnpm, whose
# tsconfig.json includes **/*.ts, with a Node LiveKit agent in agent/ (engines node >= 24,
# `node src/main.ts start`). What would fail minutes into the build, or at deploy, is said
# by --print-config and refused before the build, each with its fix; fixed, it packs with
# zero config: `next start` web, the agent, LIVEKIT_* required, the build's directories
# declared in the manifest, the agent's dev dependencies left out (kept on request).
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"

P=$T/starter
mkdir -p "$P/app" "$P/public" "$P/agent/src" "$P/node_modules/next/dist/bin"
cat >"$P/package.json" <<'JSON'
{"name": "agent-starter-react", "private": true, "packageManager": "pnpm@9.15.9",
 "scripts": {"build": "next build", "start": "next start"},
 "dependencies": {"next": "15.5.29", "react": "19.2.9"}}
JSON
echo 'lockfileVersion: 9.0' >"$P/pnpm-lock.yaml"
echo 'const nextConfig = {}; export default nextConfig;' >"$P/next.config.ts"
cat >"$P/tsconfig.json" <<'JSON'
{
  // as create-next-app writes it
  "compilerOptions": {"strict": true, "jsx": "preserve"},
  "include": ["next-env.d.ts", "**/*.ts", "**/*.tsx", ".next/types/**/*.ts"],
  "exclude": ["node_modules"],
}
JSON
echo "export default function Page() { return null }" >"$P/app/page.tsx"
echo "User-agent: *" >"$P/public/robots.txt"
echo '#!/usr/bin/env node' >"$P/node_modules/next/dist/bin/next"
cat >"$P/agent/package.json" <<'JSON'
{"name": "agent-starter-node", "type": "module", "engines": {"node": ">=24"},
 "scripts": {"start": "node src/main.ts start"},
 "dependencies": {"@livekit/agents": "^1.0.0"}, "devDependencies": {"globals": "^16.0.0"}}
JSON
echo 'console.log("agent")' >"$P/agent/src/main.ts"
printf 'node_modules/\n.next/\n' >"$P/.gitignore"
(cd "$P" && git init -q && git add -A && git commit -qm initial) || fail "git setup"

expect_rc 0 "$SLIPWAY" pack "$P" --print-config
printed=$(printf '%s\n' "$out" | sed -n 's/^; \{1,3\}//p' | tr '\n' ' ')
assert_contains "$printed" "pack refuses before building: the Node agent in agent/ has no agent/node_modules/@livekit/agents"
assert_contains "$printed" "pack refuses before building: tsconfig.json's \"include\" reaches agent/, so next build would type-check the agent with the web app's dependencies and fail: add \"agent\" to \"exclude\" in tsconfig.json"
assert_contains "$out" "pnpm run build" # the project's package manager (through corepack without pnpm)
assert_contains "$out" "command = node node_modules/next/dist/bin/next start"
assert_contains "$out" "required = LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET"
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
	assert_contains "$printed" "note: agent/package.json needs node >=24 (engines.node), and the node here is"
fi

# Refused before the build: nothing built, nothing written.
expect_rc 1 "$SLIPWAY" pack "$P" --unsigned --version 1 -o "$T/out"
assert_contains "$errout" "slipway: pack: the Node agent in agent/ has no agent/node_modules/@livekit/agents: install its dependencies before packing (cd agent && npm ci --omit=dev)"
assert_contains "$errout" "also: tsconfig.json's \"include\" reaches agent/"
assert_not_contains "$errout" "building:"
assert_no_file "$T/out"

# The fixes each message gives; then it packs (the build's output stands in for next build).
mkdir -p "$P/agent/node_modules/@livekit/agents" "$P/agent/node_modules/globals" \
	"$P/agent/node_modules/eslint/node_modules/debug"
echo '{"name": "@livekit/agents"}' >"$P/agent/node_modules/@livekit/agents/package.json"
echo '{"name": "globals"}' >"$P/agent/node_modules/globals/package.json"
echo '{"name": "eslint"}' >"$P/agent/node_modules/eslint/package.json"
echo '{"name": "debug"}' >"$P/agent/node_modules/eslint/node_modules/debug/package.json"
# npm's lockfile marks what is installed only for development, at any depth.
cat >"$P/agent/package-lock.json" <<'JSON'
{"name": "agent-starter-node", "lockfileVersion": 3, "packages": {
  "": {"name": "agent-starter-node"},
  "node_modules/@livekit/agents": {"version": "1.0.0"},
  "node_modules/globals": {"version": "16.0.0", "dev": true},
  "node_modules/eslint": {"version": "9.0.0", "dev": true},
  "node_modules/eslint/node_modules/debug": {"version": "4.0.0", "dev": true}}}
JSON
git -C "$P" add -A
sed -i 's/"exclude": \["node_modules"\]/"exclude": ["node_modules", "agent"]/' "$P/tsconfig.json"
git -C "$P" commit -qam "exclude agent"
expect_rc 0 "$SLIPWAY" pack "$P" --print-config
assert_not_contains "$out" "pack refuses"
assert_contains "$out" "; note: the agent's dev dependencies are left out (3, from agent/package-lock.json)"
assert_contains "$out" "exclude = agent/node_modules/globals agent/node_modules/eslint"
mkdir -p "$P/.next/static/chunks" "$P/.next/server" "$P/.next/cache/images"
echo build-1 >"$P/.next/BUILD_ID"
echo 'x = 1' >"$P/.next/static/chunks/app.js"
echo cached >"$P/.next/cache/images/a"
expect_rc 0 "$SLIPWAY" pack "$P" --unsigned --no-build --version 1 -o "$T/out"
M=$T/m.json
manifest_of "$out" >"$M"
assert_eq "$(json_get "$M" '[(s["name"], s["argv"], s["cwd"]) for s in m["services"]]')" \
	"[('web', ['node', 'node_modules/next/dist/bin/next', 'start'], '.'), ('agent', ['node', 'src/main.ts', 'start'], 'agent')]" \
	"services"
assert_eq "$(json_get "$M" 'm["secrets"]["required"]')" "['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET']" "secrets"
assert_eq "$(json_get "$M" 'm["writable_dirs"]')" "['.next/cache']" "writable_dirs"
assert_eq "$(json_get "$M" 'm["static_dirs"]')" "['.next/static']" "static_dirs"
paths=$(json_get "$M" '"\n".join(f["path"] for f in m["files"])')
assert_contains "$paths" "node_modules/next/dist/bin/next"
assert_contains "$paths" "agent/node_modules/@livekit/agents/package.json"
assert_contains "$paths" "next.config.ts"
assert_not_contains "$paths" ".next/cache"
assert_contains "$paths" "agent/src/main.ts"
assert_not_contains "$paths" "agent/node_modules/globals"
assert_not_contains "$paths" "agent/node_modules/eslint"
# Kept when slipway.ini sets exclude, even empty.
printf '[bundle]\nexclude =\n' >"$P/slipway.ini"
git -C "$P" add -A && git -C "$P" commit -qm "keep dev dependencies"
expect_rc 0 "$SLIPWAY" pack "$P" --unsigned --no-build --version 2 -o "$T/out"
assert_not_contains "$errout" "dev dependencies are left out"
manifest_of "$out" >"$M"
paths=$(json_get "$M" '"\n".join(f["path"] for f in m["files"])')
assert_contains "$paths" "agent/node_modules/globals/package.json"
assert_contains "$paths" "agent/node_modules/eslint/node_modules/debug/package.json"

# `next start` through a wrapper runs the server in a child process the socket handover
# cannot reach: packed as Next's CLI run by node, and said.
printf '[service web]\ncommand = npm start\n' >"$P/slipway.ini"
expect_rc 0 "$SLIPWAY" pack "$P" --print-config
assert_contains "$out" "; note: service web: \`npm start\` runs next start in a child process, which slipway's socket handover does not reach: packed as \`node node_modules/next/dist/bin/next start\`"
assert_contains "$out" "command = node node_modules/next/dist/bin/next start"$'\n'
printf '[service web]\ncommand = npx next start --keepAliveTimeout 70000\n' >"$P/slipway.ini"
expect_rc 0 "$SLIPWAY" pack "$P" --print-config
assert_contains "$out" "command = node node_modules/next/dist/bin/next start --keepAliveTimeout 70000"
# A start script that is not next start is left alone.
sed -i 's/"start": "next start"/"start": "node server.js"/' "$P/package.json"
echo 'require("http")' >"$P/server.js"
printf '[service web]\ncommand = pnpm start\n' >"$P/slipway.ini"
expect_rc 0 "$SLIPWAY" pack "$P" --print-config
assert_contains "$out" "command = pnpm start"
assert_not_contains "$out" "runs next start in a child process"
