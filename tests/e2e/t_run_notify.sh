# systemd notification without libsystemd: READY=1 once every service is ready, STATUS= on
# switches, STOPPING=1 and EXTEND_TIMEOUT_USEC while services drain; the services never see
# NOTIFY_SOCKET themselves.
source "$REPO/tests/e2e/run_helpers.sh"
trap 'run_cleanup; [ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null' EXIT

"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", "|") + "\n")
        f.flush()' "$T/notify.sock" "$T/notify.log" &
LISTENER=$!
wait_for 5 test -S "$T/notify.sock"

port=$(free_port)
run_store store
run_web_release store A "$port"
mkdir -p "$T/tree-B"
web_tree "$T/tree-B" B
# B's worker reports whether it sees NOTIFY_SOCKET, and takes 1.5 s to stop on SIGTERM.
run_install store B "$T/tree-B" --service "$(web_service "$port")" --service "$(svc worker \
	'["sh", "-c", "echo notify=${NOTIFY_SOCKET:-unset}; trap \"sleep 1.5; exit 0\" TERM; while :; do sleep 0.1; done"]')"
run_activate store A
run_start store run.log NOTIFY_SOCKET="$T/notify.sock" SLIPWAY_READY_NONE_MS=200
poll_for 20 grep -q "READY=1|STATUS=serving A" notify.log || fail "no READY=1: $(cat notify.log)"
assert_eq "$(grep -c 'READY=1' notify.log)" "1" "READY=1 count"

run_activate store B
poll_for 20 grep -q "STATUS=serving B" notify.log || fail "no STATUS for B: $(cat notify.log)"
assert_contains "$(cat notify.log)" "STATUS=switching to B"
assert_eq "$(grep -c 'READY=1' notify.log)" "1" "READY=1 is sent once"
assert_contains "$(cat run.log)" "worker  | notify=unset"

kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
assert_contains "$(cat notify.log)" "STOPPING=1|STATUS=stopping"
grep -q "^EXTEND_TIMEOUT_USEC=[0-9]*$" notify.log || fail "no EXTEND_TIMEOUT_USEC: $(cat notify.log)"
