#!/usr/bin/env bash
# Benchmark: `slipway pack --no-build` (signed) against `tar --sort=name -c | zstd -3 -T0` on
# the same generated tree (tests/bench/gen_tree.py), alternately in the same run,
# $BENCH_RUNS rounds (default 5): medians, the median of the per-round ratios, sizes.
# Goal: signed pack <= 1.10x tar|zstd's time, archive size within 2%. gzip (tar -czf against
# --compress gzip) and --frame-size 64K (the smallest frames, for partial pulls: a larger
# archive, specs/archive.md "Frames") are measured once, for information.
# Never fails on speed.
# Quick run: GEN_TREE_MB=30 GEN_TREE_FILES=1000 BENCH_RUNS=3 make bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bench_init
mkdir -p proj
python3 "$here/gen_tree.py" proj/tree
printf '[app]\nname = bench\nbuild =\n[bundle]\ninclude = tree\n' >proj/slipway.ini
minisign -G -W -p test.pub -s test.key >/dev/null 2>&1 # TEST key, for the signed runs

tar --sort=name -C proj -cf - tree >/dev/null # warm the page cache for everyone
echo "tree: $(find proj/tree -type f | wc -l) files, $(du -sb proj/tree | cut -f1) bytes"

peer() { tar --sort=name -C proj -cf - tree | zstd -3 -T0 -q -f -o peer.tar.zst; }
round_peer() { timed peer peer; }
round_signed() { timed signed "$SLIPWAY" pack proj --no-build --allow-no-services -s test.key --version bench -o out; }
for i in $(seq "$runs"); do
	in_turn "$i" round_peer round_signed
done
timed unsigned "$SLIPWAY" pack proj --no-build --allow-no-services --unsigned --version bench -o out-unsigned
timed frames64k "$SLIPWAY" pack proj --no-build --allow-no-services --unsigned --version bench --frame-size 64K -o out-64k
timed gz tar --sort=name -C proj -czf peer.tar.gz tree
timed packgz "$SLIPWAY" pack proj --no-build --allow-no-services --unsigned --version bench --compress gzip -o out-gz

A=out/bench-bench.tar.zst
tar -tf "$A" >/dev/null || { echo "GNU tar cannot list the archive"; exit 1; }
minisign -Vqm "$A" -p test.pub || { echo "minisign -V refuses the signature"; exit 1; }
s_zstd=$(stat -c %s peer.tar.zst) s_pack=$(stat -c %s "$A")
s_gz=$(stat -c %s peer.tar.gz) s_packgz=$(stat -c %s out-gz/bench-bench.tar.gz)

report "peer: tar --sort=name | zstd -3 -T0" peer
report "slipway pack --no-build (signed)" signed
report "slipway pack --no-build --unsigned (once)" unsigned
report "slipway pack --unsigned --frame-size 64K (once)" frames64k
report "peer: tar -czf (once)" gz
report "slipway pack --compress gzip (once)" packgz
echo "sizes: tar|zstd $s_zstd, slipway $s_pack, tar -z $s_gz, slipway gzip $s_packgz bytes"
ratios signed signed peer
report_ratio "signed pack / tar|zstd" signed "<= 1.10"
echo "ratio size  slipway / tar|zstd                     $(ratio "$s_pack" "$s_zstd")   goal <= 1.02"
echo "ratio size  slipway --frame-size 64K / tar|zstd     $(ratio "$(stat -c %s out-64k/bench-bench.tar.zst)" "$s_zstd")   (for information: partial pulls)"
echo "ratio time  slipway gzip / tar -czf (one run)      $(ratio "$(median "$BENCH_OUT/packgz.wall")" "$(median "$BENCH_OUT/gz.wall")")"
echo "ratio size  slipway gzip / tar -czf                $(ratio "$s_packgz" "$s_gz")"
bench_done
