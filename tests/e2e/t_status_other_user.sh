# `status` by a user who may read the store but not open its private supervisor lock (0600,
# the owner's): it still tells a running supervisor from a stopped one, through the pid file
# and the process it names (specs/runtime.md, "State file").
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
[ "$(id -u)" = 0 ] || fail "this test switches to the user nobody: run it as root"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- "$@"; }
chmod 711 "$T" # nobody may pass through, not list

run_store store
mkdir -p tree
echo data >tree/file
run_install store 1.0 tree --service "$(svc worker '["sleep", "600"]')"
run_activate store 1.0
run_start store run.log
# Running with its state written (pid and services): before that, status says "running (no
# state yet)" to everyone, which is not what this test is about.
supervising() { "$SLIPWAY" status --root store | grep -q "supervisor:   running (pid $RUN_PID)"; }
poll_for 20 supervising || fail "the owner never saw the supervisor running: $(cat run.log)"

expect_rc 0 as_nobody "$SLIPWAY" status --root "$T/store"
assert_contains "$out" "supervisor:   running (pid $RUN_PID)" "status as another user"
assert_contains "$out" "worker"
expect_rc 0 as_nobody "$SLIPWAY" status --root "$T/store" --json
assert_contains "$out" '"running": true'

kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
expect_rc 0 as_nobody "$SLIPWAY" status --root "$T/store"
assert_contains "$out" "supervisor:   not running" "status as another user once it stopped"

# A pid file naming a live process that is not slipway is no supervisor.
sleep 600 &
echo "$!" >store/run/supervisor.pid
expect_rc 0 as_nobody "$SLIPWAY" status --root "$T/store"
assert_contains "$out" "supervisor:   not running" "a pid file naming another program"
kill "$!"
