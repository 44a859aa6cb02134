# Workers in slipway.ini and in the manifest: health_port, ready = log TEXT and kill_mode go
# into the manifest; a detected LiveKit agent gets `ready = log registered worker` and
# health ports from 8081; two services on one port are refused by pack and by install (one
# rule, the manifest's), and install leaves the store as it was.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
make_project "$T/p"
cd "$T/p"

# Detected: agent/main.py of a LiveKit worker (it imports livekit).
printf 'from livekit import agents\n' >agent/main.py
expect_rc 0 "$SLIPWAY" pack --print-config
assert_contains "$out" "[service agent]"
assert_contains "$out" "health_port = 8081"
assert_contains "$out" "ready = log registered worker"
# A Python agent that is not a LiveKit worker keeps the plain defaults.
printf 'print("hello")\n' >agent/main.py
expect_rc 0 "$SLIPWAY" pack --print-config
assert_not_contains "$out" "health_port"
assert_contains "$out" "ready = none"

echo 'console.log("worker")' >worker.js
cat >slipway.ini <<'INI'
[app]
name = shop
[bundle]
include = .next/standalone .next/static worker.js
[service web]
command = node server.js
cwd = .next/standalone
port = 5000
[service agent]
enabled = no
[service worker]
command = node worker.js start
health_port = 8081
ready = log registered worker
kill_mode = group
INI
git add -A && git commit -qm workers
expect_rc 0 "$SLIPWAY" pack --version 1.0 -o "$T/out" --unsigned
manifest_of "$T/out/shop-1.0.tar.zst" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" '[(s["name"], s["port"], s.get("health_port"), s["ready"], s.get("ready_log"), s.get("kill_mode")) for s in m["services"]]')" \
	"[('web', 5000, None, 'http', None, None), ('worker', 0, 8081, 'log', 'registered worker', 'group')]"

# Two services on one port: refused by pack, naming both.
sed -i 's/^health_port = 8081$/port = 5000/; s/^ready = log registered worker$/ready = tcp/' slipway.ini
git commit -qam "two on one port"
expect_rc 1 "$SLIPWAY" pack --version 1.1 -o "$T/out2" --unsigned
assert_contains "$errout" "services web and worker both use port 5000"
assert_no_file "$T/out2/shop-1.1.tar.zst"

# ... and by install, for an archive made without slipway (make_release.py).
cd "$T"
run_store store
mkdir -p empty
run_install store A empty --service "$(svc web '["sleep", "60"]' 5000 tcp)"
"$PY" "$REPO/tests/e2e/make_release.py" --tree empty --app testapp --version B --serial 50 \
	--out "$T/B.tar.zst" --sign "$T/test.key" --service "$(svc web '["sleep", "60"]' 5000 tcp)" \
	--service "$(svc api '["sleep", "60"]' 5000 tcp)" >/dev/null || fail "make_release.py"
ls store/releases >before.txt
expect_rc 1 "$SLIPWAY" install "$T/B.tar.zst" --root store
assert_contains "$errout" "services web and api both use port 5000"
assert_eq "$(ls store/releases)" "$(cat before.txt)" "releases after the refused install"
assert_no_file store/releases/B
true
