#!/usr/bin/env bash
# Benchmark: `slipway install` of a large generated release (tests/bench/gen_tree.py, packed
# by `slipway pack --no-build`) against the peer `minisign -V` followed by `tar -xf` of the
# same archive, in the same run. Install also checks every file's SHA-256 against the
# manifest and syncfs()es the release before renaming it into place; the peer does neither, so
# a peer with a final `sync` is printed too, for information. Best of $BENCH_RUNS (default 3).
# Goal: install <= 1.2x the peer. Never fails on speed.
# Quick run: GEN_TREE_MB=30 GEN_TREE_FILES=1000 make bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SLIPWAY:?set SLIPWAY}"
runs=${BENCH_RUNS:-3}
work=$(pwd)
mkdir -p proj
python3 "$here/gen_tree.py" proj/tree
printf '[app]\nname = bench\nbuild =\n[bundle]\ninclude = tree\n' >proj/slipway.ini
minisign -G -W -p test.pub -s test.key >/dev/null 2>&1 # TEST key
"$SLIPWAY" pack proj --no-build -s test.key --version bench -o out >/dev/null
A=$work/out/bench-bench.tar.zst
echo "archive: $(stat -c %s "$A") bytes, $(find proj/tree -type f | wc -l) files, $(du -sb proj/tree | cut -f1) bytes unpacked, $(nproc) CPUs"
cat "$A" >/dev/null # page cache

TIMEFORMAT='%R %U %S'
# best_of NAME SETUP CMD: runs SETUP (untimed) then CMD, $runs times; best wall time in $best.
best_of() {
	local name=$1 setup=$2 cmd=$3 t u s c
	best= cpu=
	for _ in $(seq "$runs"); do
		bash -c "$setup" >/dev/null 2>&1
		{ time bash -c "$cmd" >/dev/null 2>"$work/.err"; } 2>"$work/.time" ||
			{ cat "$work/.err" >&2; echo "$name failed" >&2; exit 1; }
		read -r t u s <"$work/.time"
		c=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
		if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then
			best=$t cpu=$c
		fi
	done
	printf '%-40s %7.2f s  (cpu %6.2f s)\n' "$name" "$best" "$cpu"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
export SLIPWAY A

best_of "minisign -V + tar -xf" "rm -rf peer; mkdir peer; sync" \
	'minisign -Vqm "$A" -p test.pub && tar -C peer -xf "$A"'
t_peer=$best
best_of "minisign -V + tar -xf + sync" "rm -rf peer; mkdir peer; sync" \
	'minisign -Vqm "$A" -p test.pub && tar -C peer -xf "$A" && sync'
t_peer_sync=$best
best_of "slipway install" "rm -rf store; $SLIPWAY init --root store -p test.pub; sync" \
	'"$SLIPWAY" install "$A" --root store'
t_install=$best
diff -r -x slipway-manifest.json peer store/releases/bench >/dev/null || { echo "installed tree differs from tar -x"; exit 1; }
rm -rf peer store
echo "ratio time  install / (minisign -V + tar -x):         $(ratio "$t_install" "$t_peer")   (goal <= 1.2)"
echo "ratio time  install / (minisign -V + tar -x + sync):  $(ratio "$t_install" "$t_peer_sync")"
