# e2e: uses the demo's fixed ports (the example agent's health_port 8081)
# Ctrl-C in the middle of `make demo` (SIGINT to its whole process group, as a terminal
# sends it) while v1 is being served and v2 is being packed: the demo stops the supervisor,
# says it stopped, and leaves no process behind and nothing on its port.

D="$T/demo"
# setsid: the demo gets its own process group, like a foreground job on a terminal.
setsid env DEMO_DIR="$D" SLIPWAY="$SLIPWAY" bash "$REPO/examples/demo.sh" >demo.out 2>&1 &
pid=$!
# demo_at TEXT: the demo printed TEXT, or ended (the line after the wait tells which).
demo_at() { grep -q -- "$1" demo.out || ! kill -0 "$pid" 2>/dev/null; }
demo_gone() { ! kill -0 "$pid" 2>/dev/null; }
poll_for 300 demo_at "Change the page and pack v2"
grep -q "Change the page and pack v2" demo.out || fail "the demo never served v1: $(tail -30 demo.out)"
# Interrupt while v2 is being packed: once the demo has printed the pack command.
poll_for 60 demo_at "--serial 2"
grep -q -- "--serial 2" demo.out || fail "the demo never started packing v2: $(tail -30 demo.out)"
kill -INT -- "-$pid"
poll_for 90 demo_gone || fail "the demo is still running 90s after SIGINT: $(tail -20 demo.out)"
wait "$pid"
rc=$?
[ "$rc" -ne 0 ] || fail "an interrupted demo exited 0"
# bash runs the INT trap only when the step's own command did not swallow the signal; a
# pack cut short by Ctrl-C reports itself as failed instead. Either way the demo says so.
case $(cat demo.out) in
*"demo: interrupted; everything stopped"* | *"demo: failed (exit "*) ;;
*) fail "the demo did not say it stopped: $(tail -20 demo.out)" ;;
esac
assert_not_contains "$(cat demo.out)" "demo: done" "demo output"

for p in /proc/[0-9]*; do
	cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
	case $cwd in "$D" | "$D"/*) fail "process ${p#/proc/} still runs in $cwd: $(tr '\0' ' ' <"$p/cmdline")" ;; esac
done
if pgrep -s "$pid" >/dev/null; then fail "processes of the demo's session remain: $(pgrep -a -s "$pid")"; fi
port=$(sed -n 's/.*the demo uses \([0-9]*\)$/\1/p' demo.out)
[ -n "$port" ] || fail "the demo did not say which port it used"
if curl -s --max-time 2 "http://127.0.0.1:$port/" >/dev/null; then fail "something still answers on port $port"; fi
# The supervisor itself stopped its services: each agent got exactly one SIGTERM.
assert_contains "$(cat "$D/run.log")" "received SIGTERM (1)"
assert_not_contains "$(cat "$D/run.log")" "force exit" "supervisor log"
