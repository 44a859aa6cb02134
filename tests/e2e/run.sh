#!/usr/bin/env bash
# Runs end-to-end tests: every tests/e2e/t_*.sh (or the ones named as arguments), each in
# a fresh temporary directory, against the binary in $SLIPWAY. Exit 1 if any fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY to the slipway binary}"
export SLIPWAY
# `npm run build` of the example app is built once and shared (tests/e2e/fixture.sh).
export PATH="$here/shim:$PATH"
if [ $# -gt 0 ]; then tests=("$@"); else tests=("$here"/t_*.sh); fi
pass=0 failed=() durations=() run_start=$(date +%s)
for t in "${tests[@]}"; do
	[ -f "$t" ] || t="$here/$t"
	name=$(basename "$t" .sh)
	T=$(mktemp -d "${TMPDIR:-/tmp}/slipway-e2e.XXXXXX")
	start=$(date +%s)
	if (cd "$T" && export T && exec bash -c 'source "$1/lib.sh"; source "$2"' _ "$here" "$t") >"$T.log" 2>&1; then
		echo "ok   $name ($(($(date +%s) - start))s)"
		durations+=("$(($(date +%s) - start)) $name")
		pass=$((pass + 1))
		rm -rf "$T" "$T.log"
	else
		echo "FAIL $name ($(($(date +%s) - start))s); log:"
		sed 's/^/    /' "$T.log" | tail -60
		failed+=("$name")
		rm -rf "$T" "$T.log"
	fi
done
[ ${#durations[@]} -gt 1 ] && echo "slowest: $(printf '%s\n' "${durations[@]}" | sort -rn | head -5 |
	awk '{printf "%s%s (%ss)", (NR > 1 ? ", " : ""), $2, $1}')"
echo "e2e: $pass passed, ${#failed[@]} failed in $(($(date +%s) - run_start))s"
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
