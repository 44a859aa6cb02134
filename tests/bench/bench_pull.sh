#!/usr/bin/env bash
# Benchmark: what a partial `slipway pull` moves (specs/channel.md "Partial pull"). A host with
# release 1 installed pulls release 2 from nginx on loopback; release 2 differs in 5 % of the
# files (a deterministic choice), either by a line appended to each or by new content (the
# file's bytes reversed: same size, same compressibility, nothing in common). Each mode has
# its own channel, where publish writes release 2's patch set against release 1. Prints the
# bytes received (archive ranges, patch set, index and signature) as a percentage of the
# archive, the files patched, and for comparison a `tar | zstd -3` of the changed files
# alone, with the goals: appended, received <= 2 % of the archive; replaced, received <= 1.1
# times that tar | zstd -3 plus 1 % of the archive. Checks the installed tree is release 2
# byte for byte; then what a host that missed release 2 receives for release 3. Packed with frames of $BENCH_PULL_FRAMES (default 8M, pack's default: the
# patch set carries what changed, so the frames need not be small; specs/archive.md
# "Frames"). Quick run: GEN_TREE_MB=30 GEN_TREE_FILES=1000 make bench
set -euo pipefail
FRAMES=${BENCH_PULL_FRAMES:-8M}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bench_init
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
minisign -G -W -p test.pub -s test.key >/dev/null 2>&1 # TEST key
mkdir -p v1
python3 "$here/gen_tree.py" v1/tree
printf '[app]\nname = bench\nbuild =\n[bundle]\ninclude = tree\n' >v1/slipway.ini
# edit_tree DIR MODE: 5 % of the files of DIR/tree, chosen by a fixed seed, appended to or
# replaced; their paths (relative to DIR) listed in DIR.changed.
edit_tree() {
	python3 - "$1" "$2" <<'PY'
import os, random, sys
top, mode = sys.argv[1], sys.argv[2]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(top, "tree")) for f in fs)
rng = random.Random(23)
picked = [f for f in files if rng.random() < 0.05]
for f in picked:
    data = open(f, "rb").read()
    data = data + b"\n// changed in release 2\n" if mode == "append" else data[::-1]
    open(f, "wb").write(data)
open(top + ".changed", "w").write("".join(os.path.relpath(f, top) + "\n" for f in picked))
PY
}
for mode in append replace; do
	cp -a v1 "v2-$mode"
	edit_tree "v2-$mode" "$mode"
done
"$SLIPWAY" pack v1 --no-build --allow-no-services -s test.key --frame-size "$FRAMES" --version 1.0.0 --serial 1 -o out >/dev/null
for mode in append replace; do
	"$SLIPWAY" pack "v2-$mode" --no-build --allow-no-services -s test.key --frame-size "$FRAMES" --version "2.0.0-$mode" --serial 2 \
		-o out >/dev/null
done

mkdir -p chs/append chs/replace
# Debian's nginx on loopback, as the pull tests serve a channel (tests/e2e/pull_lib.sh).
T=$PWD REPO=$(cd "$here/../.." && pwd)
source "$REPO/tests/e2e/lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
"$SLIPWAY" publish out/bench-1.0.0.tar.zst chs -s test.key >/dev/null # nginx_serve waits for an index
for mode in append replace; do
	"$SLIPWAY" publish out/bench-1.0.0.tar.zst "chs/$mode" -s test.key >/dev/null
	s=$(date +%s.%N)
	"$SLIPWAY" publish "out/bench-2.0.0-$mode.tar.zst" "chs/$mode" -s test.key >"publish-$mode.out"
	echo "publish 2.0.0-$mode: $(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s; $(tail -1 "publish-$mode.out")"
done
nginx_serve "$PWD/chs"
trap 'kill $NGINX_PID 2>/dev/null; wait 2>/dev/null' EXIT

json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
fresh_store() { # MODE: st-MODE holding release 1
	rm -rf "st-$1"
	"$SLIPWAY" init --root "st-$1" -p test.pub >/dev/null
	"$SLIPWAY" deploy out/bench-1.0.0.tar.zst --root "st-$1" >/dev/null
}
for mode in append replace; do
	fresh_store "$mode"
	timed "pull-$mode" "$SLIPWAY" pull "$NGINX_URL/$mode/" --root "st-$mode" --json
	diff -r "v2-$mode/tree" "st-$mode/releases/2.0.0-$mode/tree" >/dev/null ||
		{ echo "the pulled tree differs from release 2 ($mode)"; exit 1; }
done
# The JSON of each pull, again (timed discards stdout): from a fresh store each time.
for mode in append replace; do
	fresh_store "$mode"
	j=$("$SLIPWAY" pull "$NGINX_URL/$mode/" --root "st-$mode" --json 2>/dev/null)
	size=$(json_field "$j" archive_size) got=$(json_field "$j" received)
	(cd "v2-$mode" && tar --sort=name -cf - -T "../v2-$mode.changed" | zstd -3 -q -c) >"changed-$mode.tar.zst"
	alone=$(stat -c %s "changed-$mode.tar.zst")
	echo "partial pull, 5% of files $( [ $mode = append ] && echo 'a line appended' || echo 'replaced'): $got of $size archive bytes received = $(awk -v a="$got" -v b="$size" 'BEGIN { printf "%.2f", 100 * a / b }')% (patch set $(json_field "$j" patches_received) bytes: $(json_field "$j" files_patched) files patched, $(json_field "$j" files_patched_whole) whole; frames $(json_field "$j" frames_fetched) of $(json_field "$j" frames_total) in $(json_field "$j" ranges) ranges), $(json_field "$j" files_linked) files linked"
	echo "  for comparison: tar | zstd -3 of the $(wc -l <"v2-$mode.changed") changed files alone: $alone bytes = $(awk -v a="$alone" -v b="$size" 'BEGIN { printf "%.2f", 100 * a / b }')% of the archive; received / that: $(ratio "$got" "$alone")"
	if [ "$mode" = append ]; then
		awk -v a="$got" -v b="$size" 'BEGIN { p = 100 * a / b; printf "goal: received <= 2%% of the archive (a line appended to 5%% of files): %.2f%%: %s\n", p, p <= 2 ? "goal met" : "goal NOT met" }'
	else
		awk -v a="$got" -v z="$alone" -v b="$size" 'BEGIN { lim = 1.1 * z + 0.01 * b; printf "goal: received <= 1.1 x tar|zstd -3 of the changed files + 1%% of the archive (5%% of files replaced): %d <= %d bytes (%.3f x): %s\n", a, lim, (z > 0 ? a / z : 0), a <= lim ? "goal met" : "goal NOT met" }'
	fi
	report "slipway pull, partial ($mode)" "pull-$mode"
done
# A host that missed a release: release 3 (the same files appended to again) published in the
# append channel after release 2, with patch sets against 2.0.0 and, from the previous
# index, 1.0.0 (latest.older_patches); a host that still holds release 1 pulls it.
cp -a v2-append v3-append
edit_tree v3-append append
"$SLIPWAY" pack v3-append --no-build --allow-no-services -s test.key --frame-size "$FRAMES" --version 3.0.0-append --serial 3 \
	-o out >/dev/null
"$SLIPWAY" publish out/bench-3.0.0-append.tar.zst chs/append -s test.key >publish-3.out
fresh_store append
j=$("$SLIPWAY" pull "$NGINX_URL/append/" --root st-append --json 2>/dev/null)
diff -r v3-append/tree st-append/releases/3.0.0-append/tree >/dev/null ||
	{ echo "the pulled tree differs from release 3"; exit 1; }
size=$(json_field "$j" archive_size) got=$(json_field "$j" received)
echo "a host that missed release 2 pulls release 3 (appended to twice) by the patch set against $(json_field "$j" patches_from): $got of $size archive bytes received = $(awk -v a="$got" -v b="$size" 'BEGIN { printf "%.2f", 100 * a / b }')% ($(json_field "$j" files_patched) files patched, frames $(json_field "$j" frames_fetched) of $(json_field "$j" frames_total))"
bench_done
