#!/usr/bin/env bash
# Benchmark: `slipway pack --no-build` against `tar --sort=name -c | zstd -3 -T0` and
# `tar -czf`, on the same generated tree (tests/bench/gen_tree.py) in the same run.
# Prints times (best of $BENCH_RUNS, default 3), CPU seconds, sizes and the ratios.
# Goal: slipway within 1.25x of tar|zstd's time, size at most +2%. Never fails on speed.
# Quick run: GEN_TREE_MB=30 GEN_TREE_FILES=1000 make bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY}"
runs=${BENCH_RUNS:-3}
work=$(pwd)
mkdir -p proj out
python3 "$here/gen_tree.py" proj/tree
printf '[app]\nname = bench\nbuild =\n[bundle]\ninclude = tree\n' >proj/slipway.ini
minisign -G -W -p test.pub -s test.key >/dev/null 2>&1 # TEST key, for the signed run

# best_of NAME CMD...: runs CMD $runs times, keeps the best wall time in $best and the CPU
# seconds (user+sys, children included) of that run in $cpu.
best_of() {
	local name=$1 t c
	shift
	best= cpu=
	for _ in $(seq "$runs"); do
		{ time "$@" >/dev/null 2>"$work/.err"; } 2>"$work/.time" ||
			{ cat "$work/.err" >&2; echo "$name failed" >&2; exit 1; }
		read -r t u s <"$work/.time"
		c=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
		if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then
			best=$t cpu=$c
		fi
	done
	printf '%-34s %7.2f s  (cpu %6.2f s)\n' "$name" "$best" "$cpu"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
TIMEFORMAT='%R %U %S' # bash's `time`: wall, user, sys (children included)

tar --sort=name -C proj -cf - tree >/dev/null # warm the page cache for everyone
echo "tree: $(find proj/tree -type f | wc -l) files, $(du -sb proj/tree | cut -f1) bytes, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

best_of "tar --sort=name -c | zstd -3 -T0" \
	sh -c 'tar --sort=name -C proj -cf - tree | zstd -3 -T0 -q -f -o peer.tar.zst'
t_zstd=$best
best_of "slipway pack --no-build --unsigned" \
	"$SLIPWAY" pack proj --no-build --unsigned --version bench -o out
t_pack=$best
best_of "slipway pack --no-build (signed)" \
	"$SLIPWAY" pack proj --no-build -s test.key --version bench -o out-signed
t_signed=$best
runs=1 best_of "tar -czf" tar --sort=name -C proj -czf peer.tar.gz tree
t_gz=$best
runs=1 best_of "slipway pack --compress gzip" \
	"$SLIPWAY" pack proj --no-build --unsigned --version bench --compress gzip -o out-gz
t_packgz=$best

s_zstd=$(stat -c %s peer.tar.zst)
s_pack=$(stat -c %s out/bench-bench.tar.zst)
s_gz=$(stat -c %s peer.tar.gz)
s_packgz=$(stat -c %s out-gz/bench-bench.tar.gz)
tar -tf out/bench-bench.tar.zst >/dev/null || { echo "GNU tar cannot list the archive"; exit 1; }
echo "sizes: tar|zstd $s_zstd, slipway zstd $s_pack, tar -z $s_gz, slipway gzip $s_packgz bytes"
echo "ratio time  slipway/tar|zstd:          $(ratio "$t_pack" "$t_zstd")   (goal <= 1.25)"
echo "ratio time  slipway signed/tar|zstd:   $(ratio "$t_signed" "$t_zstd")"
echo "ratio size  slipway/tar|zstd:          $(ratio "$s_pack" "$s_zstd")   (goal <= 1.02)"
echo "ratio time  slipway/tar -czf:          $(ratio "$t_pack" "$t_gz")"
echo "ratio time  slipway gzip/tar -czf:     $(ratio "$t_packgz" "$t_gz")"
echo "ratio size  slipway gzip/tar -czf:     $(ratio "$s_packgz" "$s_gz")"
