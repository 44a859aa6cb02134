#!/usr/bin/env bash
# Benchmark: the switch. `slipway activate` and `slipway rollback` as whole commands (process
# start, lock, sweep, symlink + rename + fsync of the store directory, history append with
# its sync), and the binary's bare start-up (`slipway --version`) measured alongside: the
# switch itself is activate minus start-up. Two stores are measured in turn, in the same
# loop so that both see the same load: one with a short history, one whose history was grown
# to $SWITCH_HISTORY events (default 10,000) by real switches: the next switch must not be
# slower there. $SWITCH_RUNS (default 100) rounds.
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
for v in 1.0.0 2.0.0; do
	mkdir -p "tree-$v/app" && echo "$v" >"tree-$v/app/index.txt"
	python3 "$repo/tests/e2e/make_release.py" --tree "tree-$v" --version "$v" --serial "${v%%.*}" \
		--out "rel-$v.tar.zst" --sign test.key >/dev/null
done
for s in short long; do
	"$SLIPWAY" init --root "$s" -p test.pub >/dev/null
	for v in 1.0.0 2.0.0; do "$SLIPWAY" install "rel-$v.tar.zst" --root "$s" >/dev/null; done
	"$SLIPWAY" activate 1.0.0 --root "$s" >/dev/null
done
for _ in $(seq $((grow / 2))); do
	"$SLIPWAY" activate 2.0.0 --root long >/dev/null
	"$SLIPWAY" rollback --root long >/dev/null
done

ns() { date +%s%N; }
# quantiles FILE: median and p90 of nanosecond samples, in ms.
quantiles() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "median %6.2f ms, p90 %6.2f ms", a[int((NR + 1) / 2)] / 1e6, a[int(NR * 0.9)] / 1e6 }'; }
# sample FILE CMD...: appends CMD's wall time in nanoseconds to FILE.
sample() {
	local f=$1 s e
	shift
	s=$(ns)
	"$@" >/dev/null
	e=$(ns)
	echo $((e - s)) >>"$f"
}

: >bare && : >peer
for s in short long; do : >"act.$s" && : >"rb.$s"; done
for i in $(seq "$n"); do
	sample bare "$SLIPWAY" --version
	for s in short long; do
		sample "act.$s" "$SLIPWAY" activate 2.0.0 --root "$s"
		sample "rb.$s" "$SLIPWAY" rollback --root "$s"
	done
	sample peer sh -c "ln -sfn releases/$((i % 2 + 1)).0.0 short/.peer && mv -T short/.peer short/peer-current"
done
for s in short long; do
	[ "$(readlink $s/current)" = releases/1.0.0 ] || { echo "switching went wrong"; exit 1; }
done
echo "bare start-up (slipway --version):   $(quantiles bare)"
echo "ln -sfn + mv -T (peer, no fsync):    $(quantiles peer)"
for s in short long; do
	echo "-- history of $(wc -l <$s/history.jsonl) events, $(stat -c %s $s/history.jsonl) bytes"
	echo "activate:                            $(quantiles "act.$s")"
	echo "rollback:                            $(quantiles "rb.$s")"
	awk -v a="$(median "act.$s")" -v r="$(median "rb.$s")" -v b="$(median bare)" 'BEGIN {
		printf "switch itself, median minus start-up: activate %.2f ms, rollback %.2f ms   (goal < 5 ms)\n",
			(a - b) / 1e6, (r - b) / 1e6 }'
done
awk -v s="$(median act.short)" -v l="$(median act.long)" -v b="$(median bare)" \
	'BEGIN { printf "ratio activate, long history / short (start-up removed): %.2f\n", (l - b) / (s - b) }'
awk -v s="$(median rb.short)" -v l="$(median rb.long)" -v b="$(median bare)" \
	'BEGIN { printf "ratio rollback, long history / short (start-up removed): %.2f\n", (l - b) / (s - b) }'
bench_done
