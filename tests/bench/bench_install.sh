#!/usr/bin/env bash
# Benchmark: installing a large release (tests/bench/gen_tree.py, packed by `slipway pack
# --no-build`), against peers measured in the same run, alternately, $BENCH_RUNS rounds
# (default 5); medians and the median of the per-round ratios are printed.
#
#   full durable install      slipway install A1 into an empty store
#                             peer: minisign -V A1 + tar -xf A1 + sync -f      goal <= 1.2
#   delta install             slipway install A2 (5% of the files changed) into the store
#                             that holds A1
#                             peer: tar -xf A2 + sync -f                       goal <= 0.25
#
# Both installs are checked against GNU tar's extraction of the same archive (same content,
# file by file). Every run writes into a directory of its own and nothing is deleted until
# the end: on ext4 without a journal, creating files right after deleting many others costs
# a scan of the recently deleted inodes (fs/ext4/ialloc.c, recently_deleted()) that would
# land on whichever command runs next. Never fails on speed.
# Quick run: GEN_TREE_MB=30 GEN_TREE_FILES=1000 BENCH_RUNS=3 make bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bench_init

python3 "$here/gen_tree.py" v1/tree
python3 "$here/gen_tree.py" --change 5 v2/tree
for v in v1 v2; do
	printf '[app]\nname = bench\nbuild =\n[bundle]\ninclude = tree\n' >$v/slipway.ini
done
minisign -G -W -p test.pub -s test.key >/dev/null 2>&1 # TEST key
"$SLIPWAY" pack v1 --no-build --allow-no-services -s test.key --version v1 --serial 1 -o out >/dev/null
"$SLIPWAY" pack v2 --no-build --allow-no-services -s test.key --version v2 --serial 2 -o out >/dev/null
A1=$(pwd)/out/bench-v1.tar.zst A2=$(pwd)/out/bench-v2.tar.zst
files=$(find v1/tree -type f | wc -l)
changed=$( (diff -rq v1/tree v2/tree || true) | wc -l)
echo "archive: $(stat -c %s "$A1") bytes, $files files ($changed differ in v2)," \
	"$(du -sb v1/tree | cut -f1) bytes unpacked"
cat "$A1" "$A2" >/dev/null # page cache, for everyone alike

peer_full() { minisign -Vqm "$A1" -p test.pub && tar -C "$1" -xf "$A1" && sync -f "$1"; }
peer_delta() { tar -C "$1" -xf "$A2" && sync -f "$1"; }
round_peer_full() { timed peer_full peer_full "runs/p$1"; }
round_full() { timed full "$SLIPWAY" install "$A1" --root "runs/s$1"; }
round_peer_delta() { timed peer_delta peer_delta "runs/q$1"; }
round_delta() { timed delta "$SLIPWAY" install "$A2" --root "runs/s$1"; }
mkdir -p runs
for i in $(seq "$runs"); do
	mkdir "runs/p$i" "runs/q$i"
	"$SLIPWAY" init --root "runs/s$i" -p test.pub >/dev/null
	sync
	in_turn "$i" round_peer_full round_full
	sync
	in_turn "$i" round_peer_delta round_delta
done

# The installed trees hold exactly the archives' content (slipway's manifest aside).
diff -r -x slipway-manifest.json runs/p1 runs/s1/releases/v1 >/dev/null ||
	{ echo "the full install differs from tar -x"; exit 1; }
diff -r -x slipway-manifest.json runs/q1 runs/s1/releases/v2 >/dev/null ||
	{ echo "the delta install differs from tar -x"; exit 1; }
linked=$(find runs/s1/releases/v2 -type f -links +1 | wc -l)

report "slipway install (full, durable)" full
report "peer: minisign -V + tar -xf + sync -f" peer_full
report "slipway install (delta, 5% changed)" delta
report "peer: tar -xf + sync -f" peer_delta
echo "delta install: $linked of $files files linked from the installed release"
ratios full full peer_full
ratios delta delta peer_delta
report_ratio "full install / (minisign -V + tar -x + sync)" full "<= 1.2"
report_ratio "delta install / (tar -x + sync)" delta "<= 0.25"
bench_done
chmod -R u+w runs 2>/dev/null || true
