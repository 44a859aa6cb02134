# inspect: the manifest as GNU tar sees it, summarised or as canonical JSON; refused archives
# exit 1 with the unpacker's reason.
source "$REPO/tests/e2e/store_lib.sh"
test_key
release 1.2.3 7 --service '{"name": "web", "argv": ["node", "server.js"], "cwd": "app", "env": {"NODE_ENV": "production"}, "port": 5000, "ready": "http", "ready_path": "/health", "ready_timeout_ms": 1000, "stop_timeout_ms": 30000}' --required JWT_SECRET DATABASE_URL
A="$T/rel-1.2.3.tar.zst"
expect_rc 0 "$SLIPWAY" inspect "$A"
assert_contains "$out" "version:      1.2.3"
assert_contains "$out" "serial:       7"
assert_contains "$out" "compression:  zstd"
assert_contains "$out" "3 files, 3 directories, 1 symlinks"
assert_contains "$out" "secrets:      JWT_SECRET DATABASE_URL"
assert_contains "$out" "service web:"
assert_contains "$out" "command: node server.js"
assert_contains "$out" "ready:   http /health"
expect_rc 0 "$SLIPWAY" inspect "$A" --json
printf '%s\n' "$out" >"$T/inspected.json"
tar -xOf "$A" slipway-manifest.json >"$T/tar.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a==b, (a,b)' \
	"$T/inspected.json" "$T/tar.json" || fail "inspect --json differs from the manifest in the archive"
head -c 100 "$A" >"$T/cut.tar.zst"
expect_rc 1 "$SLIPWAY" inspect "$T/cut.tar.zst"
expect_rc 3 "$SLIPWAY" inspect "$T/nope.tar.zst"
assert_contains "$errout" "No such file or directory"
expect_rc 0 "$SLIPWAY" inspect --help
assert_contains "$out" "usage: slipway inspect"
expect_rc 2 "$SLIPWAY" inspect
