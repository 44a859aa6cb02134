# Shared by handover.sh and traps.sh (sourced after they set W, RUN_PID and LK_PID):
# cleanup of everything started under $W, and waiting for a condition with a deadline.

cleanup() {
	[ -n "$RUN_PID" ] && kill -TERM "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
	[ -n "$LK_PID" ] && kill "$LK_PID" 2>/dev/null && wait "$LK_PID" 2>/dev/null
	pkill -KILL -f -- "$W/" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

# poll_for SECONDS CMD...: the tests' one wait with a deadline.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/poll.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }
