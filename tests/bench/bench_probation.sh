#!/usr/bin/env bash
# Benchmark: probation after the switch (specs/runtime.md). The issue's case: release B's web
# exits 20 s after the switch and cannot start again, under 120 requests/s on loopback; B
# crash-loops on probation and slipway goes back to the warm A. The scenario and its checks
# are tests/e2e/t_run_probation.sh (its crash comes after 6 s there); this prints its numbers.
# Goal: back on A within 5 s of the decision, at most 1 failed request, none refused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY}"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
repo=$(cd "$here/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/slipway-probation.XXXXXX")
export T
(cd "$T" && CRASH_AFTER_MS=20000 bash -c 'source "$1/lib.sh"; source "$1/t_run_probation.sh"' _ \
	"$repo/tests/e2e") >"$T.log" 2>&1 || {
	tail -30 "$T.log"
	rm -rf "$T" "$T.log"
	exit 1
}
grep -E "^(back on A|load:)" "$T.log" | sed 's/^/probation (web exits 20 s after the switch): /'
rm -rf "$T" "$T.log"
