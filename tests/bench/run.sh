#!/usr/bin/env bash
# Runs every benchmark (tests/bench/bench_*.sh, or those named as arguments) with $SLIPWAY set.
# Benchmarks print times and ratios against a peer tool measured in the same run; they never
# fail on speed, only when something they run breaks.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY to the slipway binary}"
export SLIPWAY
if [ $# -gt 0 ]; then benches=("$@"); else benches=("$here"/bench_*.sh); fi
status=0
for b in "${benches[@]}"; do
	[ -f "$b" ] || continue
	echo "== bench: $(basename "$b" .sh)"
	work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench.XXXXXX")
	(cd "$work" && bash "$b") || { echo "bench $(basename "$b") failed"; status=1; }
	rm -rf "$work"
done
exit $status
