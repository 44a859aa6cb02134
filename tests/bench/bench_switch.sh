#!/usr/bin/env bash
# Benchmark: latency of `slipway activate` and `slipway rollback` (whole command: process
# start, lock, symlink + rename + fsync of the store directory, history append with its
# fsyncs), median and 90th percentile of $SWITCH_RUNS (default 100) each.
# Goal: median under 5 ms. Peer, for scale: `ln -sfn` + `mv -T` (no fsync) in the same run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY}"
n=${SWITCH_RUNS:-100}
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

# stats FILE: median and p90 of the nanosecond samples, in ms.
stats() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "median %.2f ms, p90 %.2f ms", a[int((NR + 1) / 2)] / 1e6, a[int(NR * 0.9)] / 1e6 }'; }
: >act.ns
: >rb.ns
: >peer.ns
for i in $(seq "$n"); do
	s=$(date +%s%N)
	"$SLIPWAY" activate 2.0.0 --root store >/dev/null
	e=$(date +%s%N)
	echo $((e - s)) >>act.ns
	s=$(date +%s%N)
	"$SLIPWAY" rollback --root store >/dev/null
	e=$(date +%s%N)
	echo $((e - s)) >>rb.ns
	s=$(date +%s%N)
	ln -sfn "releases/$((i % 2 + 1)).0.0" store/.peer && mv -T store/.peer store/peer-current
	e=$(date +%s%N)
	echo $((e - s)) >>peer.ns
done
[ "$(readlink store/current)" = releases/1.0.0 ] || { echo "switching went wrong"; exit 1; }
echo "activate:          $(stats act.ns)   (goal: median < 5 ms)"
echo "rollback:          $(stats rb.ns)   (goal: median < 5 ms)"
echo "ln -sfn + mv -T:   $(stats peer.ns)   (peer, no fsync)"
echo "history: $(wc -l <store/history.jsonl) events"
