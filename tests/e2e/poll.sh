# The one "wait until" of the tests, sourced by tests/e2e/lib.sh and tests/livekit/lib.sh
# (which have their own fail()): no test sleeps for a fixed time or loops on its own.
#
# poll_for SECONDS CMD...: retries CMD (output discarded) every 0.05 s until it succeeds;
# returns 1 after SECONDS without success. For callers that say themselves what went wrong.
poll_for() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt $((limit * 20)) ] || return 1
		sleep 0.05
	done
}
