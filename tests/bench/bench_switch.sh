#!/usr/bin/env bash
# Benchmark: the switch. `slipway activate` and `slipway rollback` as whole commands (process
# start, lock, sweep, symlink + rename + fsync of the store directory, history append with
# its sync), $SWITCH_RUNS (default 100) of each, and the binary's bare start-up
# (`slipway --version`) measured alongside; the switch itself is activate minus start-up.
# Then the history is grown to $SWITCH_HISTORY events (default 10,000) by real switches and
# everything is measured again: the next switch must not be slower.
# Goal: activate minus bare start-up under 5 ms (median), with a short and a long history.
# Peer, for scale: `ln -sfn` + `mv -T` (no fsync) in the same run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bench_init
n=${SWITCH_RUNS:-100}
grow=${SWITCH_HISTORY:-10000}
repo=$(cd "$here/../.." && pwd)
minisign -G -W -p test.pub -s test.key >/dev/null 2>&1 # TEST key
"$SLIPWAY" init --root store -p test.pub >/dev/null
for v in 1.0.0 2.0.0; do
	mkdir -p "tree-$v/app" && echo "$v" >"tree-$v/app/index.txt"
	python3 "$repo/tests/e2e/make_release.py" --tree "tree-$v" --version "$v" --serial "${v%%.*}" \
		--out "rel-$v.tar.zst" --sign test.key >/dev/null
	"$SLIPWAY" install "rel-$v.tar.zst" --root store >/dev/null
done
"$SLIPWAY" activate 1.0.0 --root store >/dev/null

ns() { date +%s%N; }
# quantiles FILE: median and p90 of nanosecond samples, in ms.
quantiles() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "median %6.2f ms, p90 %6.2f ms", a[int((NR + 1) / 2)] / 1e6, a[int(NR * 0.9)] / 1e6 }'; }

# measure TAG: n rounds of bare start-up, activate, rollback and the peer, interleaved.
measure() {
	local tag=$1 s e i
	: >"bare.$tag" && : >"act.$tag" && : >"rb.$tag" && : >"peer.$tag"
	for i in $(seq "$n"); do
		s=$(ns); "$SLIPWAY" --version >/dev/null; e=$(ns); echo $((e - s)) >>"bare.$tag"
		s=$(ns); "$SLIPWAY" activate 2.0.0 --root store >/dev/null; e=$(ns); echo $((e - s)) >>"act.$tag"
		s=$(ns); "$SLIPWAY" rollback --root store >/dev/null; e=$(ns); echo $((e - s)) >>"rb.$tag"
		s=$(ns)
		ln -sfn "releases/$((i % 2 + 1)).0.0" store/.peer && mv -T store/.peer store/peer-current
		e=$(ns); echo $((e - s)) >>"peer.$tag"
	done
	[ "$(readlink store/current)" = releases/1.0.0 ] || { echo "switching went wrong"; exit 1; }
	local events
	events=$(wc -l <store/history.jsonl)
	echo "-- history of $events events"
	echo "bare start-up (slipway --version): $(quantiles "bare.$tag")"
	echo "activate:                          $(quantiles "act.$tag")"
	echo "rollback:                          $(quantiles "rb.$tag")"
	echo "ln -sfn + mv -T (peer, no fsync):  $(quantiles "peer.$tag")"
	awk -v a="$(median "act.$tag")" -v r="$(median "rb.$tag")" -v b="$(median "bare.$tag")" 'BEGIN {
		printf "switch itself, median minus start-up: activate %.2f ms, rollback %.2f ms   (goal < 5 ms)\n",
			(a - b) / 1e6, (r - b) / 1e6 }'
}

measure short
have=$(wc -l <store/history.jsonl)
for _ in $(seq $(((grow - have) / 2))); do
	"$SLIPWAY" activate 2.0.0 --root store >/dev/null
	"$SLIPWAY" rollback --root store >/dev/null
done
measure long
awk -v s="$(median act.short)" -v l="$(median act.long)" -v bs="$(median bare.short)" -v bl="$(median bare.long)" \
	'BEGIN { printf "ratio activate after %s events / after a few (start-up removed): %.2f\n", "'"$(wc -l <store/history.jsonl)"'", (l - bl) / (s - bs) }'
awk -v s="$(median rb.short)" -v l="$(median rb.long)" -v bs="$(median bare.short)" -v bl="$(median bare.long)" \
	'BEGIN { printf "ratio rollback after the long history / after a few (start-up removed): %.2f\n", (l - bl) / (s - bs) }'
bench_done
