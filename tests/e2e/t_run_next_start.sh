# e2e: long
# A Next.js app without standalone output, packed with zero config in the `next start`
# shape (specs/config.md "Next.js"), switches with no failed request: `next start` gets
# slipway's socket handover by default, like the standalone server.js (specs/runtime.md
# "Socket ownership"; without it a switch closed the old listener and refused most
# requests). Also: the manifest declares the build's writable and static directories, and
# the store makes .next/cache writable and leaves the rest of the build read-only.
source "$REPO/tests/e2e/run_helpers.sh"
source "$REPO/tests/e2e/pack_lib.sh"
source "$REPO/tests/e2e/fixture.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
echo HOSTNAME=127.0.0.1 >>store/shared/env

# The example app built (shared cache), made a plain `next build` project: no standalone
# output in next.config.js, no slipway.ini, no agent. Packed with --no-build from that build.
fixture_mediai_built "$T/app" || fail "could not build the example app"
rm -rf "$T/app/.next/standalone" "$T/app/agent" "$T/app/slipway.ini"
sed -i "/output: 'standalone'/d" "$T/app/next.config.js"
grep -q standalone "$T/app/next.config.js" && fail "next.config.js still asks for standalone output"
# Only the port and the readiness path differ from what detection gives.
printf '[service web]\nport = %s\nready = http /api/health\nready_timeout = 120s\n' "$port" >"$T/app/slipway.ini"

expect_rc 0 "$SLIPWAY" pack "$T/app" --print-config
assert_contains "$out" "; detected: a Next.js project without standalone output (next start)"
assert_contains "$out" "command = node node_modules/next/dist/bin/next start"
assert_contains "$out" "include = .next node_modules package.json next.config.js public"
for v in A B; do
	expect_rc 0 "$SLIPWAY" pack "$T/app" --no-build -s "$T/test.key" --version "$v" -o "$T/out"
	expect_rc 0 "$SLIPWAY" install "$T/out/mediai-$v.tar.zst" --root store
done
manifest_of "$T/out/mediai-A.tar.zst" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" 'm["writable_dirs"]')" "['.next/cache']" "writable_dirs"
assert_eq "$(json_get "$T/m.json" 'm["static_dirs"]')" "['.next/static']" "static_dirs"
assert_eq "$(json_get "$T/m.json" '[f["path"] for f in m["files"] if f["path"].startswith(".next/cache")]')" "[]" \
	"no build cache packed"
assert_eq "$(stat -c %a store/releases/A/.next/cache)" 755 "writable cache"
assert_eq "$(stat -c %a store/releases/A/.next)" 555 "read-only build"
assert_eq "$(stat -c %a store/releases/A/.next/static)" 555 "read-only static"
run_activate store A

zero() {
	"$PY" - "$1" <<'EOF' || fail "clients saw failures: $(cat "$1")"
import json, sys
d = json.load(open(sys.argv[1]))
l = d["load"]
assert l["requests"] >= 100 * 0.8 * l["seconds"], "load below 100 req/s: %s" % l
assert l["failed"] == 0 and l["refused"] == 0, l
assert l["idle_closed"] == 0, l
assert d["never_served"] == 0, d
assert set(l["versions"]) == {"A", "B"}, l["versions"]
assert not d["asset_failures"], d["asset_failures"]
EOF
}

# No warm generation: each switch starts the other release cold while the old server drains
# after its SIGTERM, the case where a `next start` owning its listener refused requests.
run_start store run.log SLIPWAY_WARM_MS=0
poll_for 60 running_is "$port" A || fail "A not served: $(tail -30 run.log)"
assert_contains "$(cat run.log)" "(release A) serves port $port"
# slipway holds the public socket; next start adopted it through the preload.
ss -ltnp | grep -q "127.0.0.1:$port .*slipway" || fail "slipway does not hold the socket: $(ss -ltnp)"
assert_eq "$(ss -ltn | grep -c "127.0.0.1:$port ")" 1 "listening sockets on the port"
"$PY" "$REPO/tests/e2e/switch_load.py" --port "$port" --root store --slipway "$SLIPWAY" \
	--a A --b B --cycles 1 --timeout 30 --switch-timeout 120 >load.json || fail "switch_load: $(tail -30 run.log)"
zero load.json
assert_not_contains "$(cat run.log)" "kept warm"
assert_eq "$(grep -c 'web: started pid' run.log)" 3 "cold starts: A, B, A again"
# The old generation drained: it got its one SIGTERM and exited by itself, never SIGKILLed.
assert_not_contains "$(cat run.log)" "sending SIGKILL"
