#!/usr/bin/env bash
# Runs end-to-end tests: every tests/e2e/t_*.sh (or the ones named as arguments), each in
# a fresh temporary directory, against the binary in $SLIPWAY. Exit 1 if any fails.
# E2E_JOBS tests run at once (default 2, the machine's cores); a test whose file has the line
# "# e2e: alone" (it measures latency under load) runs with no other test beside it; tests
# with the same line "# e2e: uses THING" (a fixed port the product defaults to) never overlap.
# Tests start in this order: those with the line "# e2e: long", then the rest, then those alone.
# With E2E_SANITIZERS=1 (the sanitizer pass of `make check-asan`), a test with the line
# "# e2e: not under sanitizers: WHY" is skipped and listed: it checks code that is not
# slipway's C (a Node module, a framework's build) whose C paths other tests run.
# Results are printed as tests finish, with the log of each failure; with E2E_KEEP=1 a failed
# test's directory is kept (and named) instead of removed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY to the slipway binary}"
export SLIPWAY
# `npm run build` of the example app is built once and shared (tests/e2e/fixture.sh).
export PATH="$here/shim:$PATH"
if [ $# -gt 0 ]; then tests=("$@"); else tests=("$here"/t_*.sh); fi
# The order they start in: the long ones ("# e2e: long": over half a minute) first, then the
# rest, so that both slots stay busy to the end, and those that run alone last (the shared
# builds they use are made by then, beside other tests, and one drain is enough).
order() {
	local t f alone=() long=() rest=() # paths, resolved here
	for t in "${tests[@]}"; do
		f=$t
		[ -f "$f" ] || f="$here/$t" # a name alone is a test of this directory
		if grep -qx '# e2e: alone' "$f" 2>/dev/null; then
			alone+=("$f")
		elif grep -qx '# e2e: long' "$f" 2>/dev/null; then
			long+=("$f")
		else
			rest+=("$f")
		fi
	done
	tests=(${long[@]+"${long[@]}"} ${rest[@]+"${rest[@]}"} ${alone[@]+"${alone[@]}"})
}
order
jobs=${E2E_JOBS:-2}
[[ $jobs =~ ^[1-9][0-9]?$ ]] || { echo "E2E_JOBS must be 1 to 99, not '$jobs'" >&2; exit 2; }
pass=0 failed=() skipped=() durations=() run_start=$(date +%s) running=0
declare -A job_name job_dir job_start job_uses

# Whether a running test declared "uses $1".
in_use() {
	local pid
	[ -n "$1" ] || return 1
	for pid in "${!job_uses[@]}"; do [ "${job_uses[$pid]}" = "$1" ] && return 0; done
	return 1
}

# Waits for one running test and reports it.
reap() {
	local pid rc name T secs
	wait -n -p pid
	rc=$?
	name=${job_name[$pid]} T=${job_dir[$pid]} secs=$(($(date +%s) - ${job_start[$pid]}))
	unset "job_name[$pid]" "job_dir[$pid]" "job_start[$pid]" "job_uses[$pid]"
	running=$((running - 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok   $name (${secs}s)"
		durations+=("$secs $name")
		pass=$((pass + 1))
	else
		echo "FAIL $name (${secs}s); log:"
		sed 's/^/    /' "$T.log" | tail -60
		failed+=("$name")
		[ -n "${E2E_KEEP:-}" ] && echo "     kept: $T" && return
	fi
	rm -rf "$T" "$T.log"
}

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	if [ "${E2E_SANITIZERS:-}" = 1 ] && why=$(sed -n 's/^# e2e: not under sanitizers: //p' "$t" 2>/dev/null | grep .); then
		echo "skip $name (not under sanitizers: $why)"
		skipped+=("$name")
		continue
	fi
	alone=0
	grep -qx '# e2e: alone' "$t" 2>/dev/null && alone=1
	uses=$(sed -n 's/^# e2e: uses //p' "$t" 2>/dev/null | head -1)
	while [ $running -gt 0 ] && { [ $alone -eq 1 ] || [ $running -ge "$jobs" ] || in_use "$uses"; }; do
		reap
	done
	T=$(mktemp -d "${TMPDIR:-/tmp}/slipway-e2e.XXXXXX")
	(cd "$T" && export T && exec bash -c 'source "$1/lib.sh"; source "$2"' _ "$here" "$t") >"$T.log" 2>&1 &
	job_name[$!]=$name job_dir[$!]=$T job_start[$!]=$(date +%s) job_uses[$!]=$uses
	running=$((running + 1))
	[ $alone -eq 1 ] && reap
done
while [ $running -gt 0 ]; do reap; done
[ ${#durations[@]} -gt 1 ] && echo "slowest: $(printf '%s\n' "${durations[@]}" | sort -rn | head -5 |
	awk '{printf "%s%s (%ss)", (NR > 1 ? ", " : ""), $2, $1}')"
echo "e2e: $pass passed, ${#failed[@]} failed$([ ${#skipped[@]} -gt 0 ] && echo ", ${#skipped[@]} skipped") in $(($(date +%s) - run_start))s"
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
