# Numbers from the environment are validated and clamped (issue 15 item 10): a restart delay
# near 2^64 once wrapped around into a hot restart loop, and a garbage or huge
# SLIPWAY_READY_NONE_MS meant "ready at once". Now: a warning, the clamp or the default.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

run_store store
mkdir -p empty
run_install store A empty --service "$(svc crasher '["sh", "-c", "exit 1"]')" \
	--service "$(svc idle '["sleep", "600"]')"
run_activate store A
run_start store run.log SLIPWAY_BACKOFF_MIN_MS=18446744073709551615 \
	SLIPWAY_BACKOFF_MAX_MS=184467440737095516160 SLIPWAY_READY_NONE_MS=soon \
	SLIPWAY_PROBE_INTERVAL_MS=0
poll_for 20 grep -q "crasher: restarting in" run.log || fail "no restart scheduled: $(cat run.log)"
poll_for 20 grep -q "idle: ready after" run.log || fail "idle never ready: $(cat run.log)"
log=$(cat run.log)
assert_contains "$log" "warning: SLIPWAY_BACKOFF_MIN_MS is above 3600000; using 3600000"
assert_contains "$log" "warning: SLIPWAY_BACKOFF_MAX_MS is above 86400000; using 86400000"
assert_contains "$log" "warning: ignoring SLIPWAY_READY_NONE_MS: not a number of milliseconds; using 1000"
assert_contains "$log" "warning: SLIPWAY_PROBE_INTERVAL_MS is below 10; using 10"
assert_contains "$log" "crasher: restarting in 60m (failure 1 in a row)"
# The settle time is the default 1 s, not zero.
ms=$(sed -n 's/.*idle: ready after \([0-9]*\) ms.*/\1/p' run.log)
[ "$ms" -ge 1000 ] || fail "idle ready after ${ms} ms: the garbage settle time was taken as 0"
# No hot loop: the crashed service waits its hour.
starts=$(grep -c "crasher: started pid" run.log)
assert_eq "$starts" 1 "starts of the crashing service"
true
