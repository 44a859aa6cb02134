# The Node preload refuses a Node it does not support, at start and in one clear line, instead
# of a switch that silently loses connections (specs/runtime.md "The Node preload"). Each
# internal it relies on is made to disappear in turn by a shim loaded before it (a property
# the constructors can no longer set), and an old Node is faked by its version string:
#  - run directly as slipway starts it (LISTEN_PID = its pid): exit 1, the one line naming
#    what is missing, and the application never runs; on this machine's Node unchanged,
#    the application runs;
#  - under `slipway run`: release B on the faked old Node is never promoted (activate --wait
#    says no), the run log carries the preload's line, and A keeps serving.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

cp "$REPO/runtime/preload.js" preload.cjs
echo "require('fs').writeFileSync('ran', 'yes')" >app.js
cat >gone.js <<'EOF2'
// Makes one internal disappear: SLIPWAY_TEST_GONE = connections | server | version.
const net = require('net');
const hide = (proto, key) => Object.defineProperty(proto, key, {get() {}, set() {}, configurable: true});
const what = process.env.SLIPWAY_TEST_GONE;
if (what === 'connections') hide(net.Server.prototype, '_connections');
if (what === 'server') hide(net.Socket.prototype, '_server');
if (what === 'version') Object.defineProperty(process.versions, 'node', {value: '16.20.2'});
EOF2
# as_slipway CMD...: CMD with LISTEN_PID = its own pid, as slipway starts a service.
as_slipway() { sh -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"' - "$@"; }
v=$(node -p 'process.versions.node')
for gone in connections:"net.Server#_connections is gone" server:"net.Socket#_server is gone" \
	version:"Node 18 or later is needed"; do
	rm -f ran
	SLIPWAY_TEST_GONE=${gone%%:*} expect_rc 1 as_slipway node -r ./gone.js -r ./preload.cjs app.js
	[ "${gone%%:*}" = version ] && v2=16.20.2 || v2=$v
	assert_eq "$errout" "slipway-preload: Node v$v2 is not supported: ${gone#*:}; refusing to start (slipway's zero-downtime switch relies on it, specs/runtime.md \"The Node preload\")" "${gone%%:*}"
	assert_no_file ran
done
expect_rc 0 as_slipway node -r ./gone.js -r ./preload.cjs app.js
assert_eq "$errout" "" "stderr on a supported Node"
assert_file ran

# Under slipway run: B's web runs on a Node whose version says 16.
port=$(free_port)
run_store store
for r in A B; do
	mkdir -p "tree-$r/www"
	echo "require('http').createServer((q, s) => s.end('release ' + process.env.SLIPWAY_VERSION)).listen(Number(process.env.PORT), process.env.HOSTNAME)" >"tree-$r/www/app.js"
	argv='["node", "app.js"]'
	if [ $r = B ]; then
		cp gone.js "tree-B/www/gone.js"
		# NODE_OPTIONS' --require runs before the command line's: load the shim first.
		printf '%s\n' '#!/bin/sh' 'o=$NODE_OPTIONS; unset NODE_OPTIONS' \
			'eval "exec node -r ./gone.js $o \"\$@\""' >"tree-B/www/node16.sh"
		argv='["sh", "node16.sh", "app.js"]'
	fi
	run_install store $r "tree-$r" --service '{"name": "web", "argv": '"$argv"', "cwd": "www",
	  "env": {"SLIPWAY_SOCKET": "preload", "SLIPWAY_TEST_GONE": "version"}, "port": '"$port"',
	  "ready": "http", "ready_path": "/", "ready_timeout_ms": 10000, "stop_timeout_ms": 5000}'
done
run_activate store A
run_start store run.log
poll_for 20 page_is "$port" "release A" || fail "A not served: $(cat run.log)"
expect_rc 1 "$SLIPWAY" activate B --root store --wait
assert_contains "$(cat run.log)" "slipway-preload: Node v16.20.2 is not supported: Node 18 or later is needed; refusing to start"
page_is "$port" "release A" || fail "A does not serve any more: $(tail -20 run.log)"
