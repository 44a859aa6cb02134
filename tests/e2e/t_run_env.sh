# The store's shared/env: required secrets must be present, the file must be private;
# refusals name the problem and never print a value. Services get the values as environment.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

run_store store
mkdir -p tree
echo data >tree/file
# The service proves it got the secret without printing it: it writes its hash.
run_install store 1.0 tree --service '{"name": "worker",
  "argv": ["sh", "-c", "printf %s \"$JWT_SECRET\" | sha256sum >\"$OUT\"; echo up; exec sleep 600"],
  "cwd": "", "env": {"OUT": "${RELEASE}/../../seen"}, "port": 0, "ready": "none",
  "ready_timeout_ms": 10000, "stop_timeout_ms": 5000}' --required JWT_SECRET LIVEKIT_URL
run_activate store 1.0
secret=value-that-must-never-be-printed-$$

# Missing secret: exit 1, names the key, no value anywhere.
printf 'JWT_SECRET=%s\n# LIVEKIT_URL is missing\n' "$secret" >store/shared/env
expect_rc 1 "$SLIPWAY" run --root store
assert_contains "$errout" "required secrets missing or empty"
assert_contains "$errout" "LIVEKIT_URL"
assert_not_contains "$errout" "JWT_SECRET" "only the missing key is named"
assert_not_contains "$out$errout" "$secret"
assert_no_file store/run/supervisor.pid

# Present but empty counts as missing.
printf 'JWT_SECRET=%s\nLIVEKIT_URL=\n' "$secret" >store/shared/env
expect_rc 1 "$SLIPWAY" run --root store
assert_contains "$errout" "LIVEKIT_URL"
# status applies the same rule as run (one parser, one "missing" rule): KEY= is missing.
expect_rc 0 "$SLIPWAY" status --root store --json
assert_eq "$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["missing_secrets"])')" \
	"['LIVEKIT_URL']" "status --json missing_secrets for LIVEKIT_URL="
assert_not_contains "$out" "$secret"
expect_rc 0 "$SLIPWAY" status --root store
assert_contains "$out" "missing:      LIVEKIT_URL"

# Group/world-readable env file: refused with the reason.
printf 'JWT_SECRET=%s\nLIVEKIT_URL=wss://x\n' "$secret" >store/shared/env
chmod 644 store/shared/env
expect_rc 1 "$SLIPWAY" run --root store
assert_contains "$errout" "mode 0644"
assert_contains "$errout" "chmod 600"
assert_not_contains "$out$errout" "$secret"

# A symlinked env file is refused too.
chmod 600 store/shared/env
mv store/shared/env store/shared/env.real
ln -s env.real store/shared/env
expect_rc 1 "$SLIPWAY" run --root store
assert_contains "$errout" "symlink"
rm store/shared/env
mv store/shared/env.real store/shared/env

# All good: the service runs with the secret in its environment; the log and the state
# file never contain it.
run_start store run.log SLIPWAY_READY_NONE_MS=100
poll_for 10 grep -q "release 1.0 is live" run.log || fail "not live: $(cat run.log)"
wait_for 5 test -s store/seen
assert_eq "$(cat store/seen)" "$(printf %s "$secret" | sha256sum)" "secret reached the service"
assert_contains "$(cat run.log)" "worker  | up"
assert_not_contains "$(cat run.log)" "$secret"
assert_not_contains "$(cat store/run/state.json)" "$secret"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
assert_eq "$?" "0" "exit after SIGTERM"
RUN_PID=

# usage errors
expect_rc 2 "$SLIPWAY" run --bogus
expect_rc 2 "$SLIPWAY" run --root store extra
expect_rc 0 "$SLIPWAY" run --help
assert_contains "$out" "usage: slipway run"
(unset SLIPWAY_ROOT; expect_rc 2 "$SLIPWAY" run) || exit 1
