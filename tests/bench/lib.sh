# Helpers for the benchmarks (sourced): the one place for timing, medians, ratios and the
# order of runs. A benchmark measures slipway and its peer in the same
# run, alternately, several times, and prints medians and the median of the per-round ratios
# (each ratio compares two runs made seconds apart, so a change of load between rounds
# cancels out). It also prints the load average, since the machine may be shared.

TIMEFORMAT='%R %U %S' # bash's `time`: wall, user, sys (children included)

# timed NAME CMD...: runs CMD once (stdout discarded); appends the wall seconds to the file
# $BENCH_OUT/NAME.wall and user+sys seconds to $BENCH_OUT/NAME.cpu; sets $wall and $cpu.
# Fails the benchmark (exit 1) when CMD fails.
timed() {
	local name=$1 t u s
	shift
	{ time "$@" >/dev/null 2>"$BENCH_OUT/.err"; } 2>"$BENCH_OUT/.time" ||
		{ cat "$BENCH_OUT/.err" >&2; echo "$name failed: $*" >&2; exit 1; }
	read -r t u s <"$BENCH_OUT/.time"
	wall=$t
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
	echo "$wall" >>"$BENCH_OUT/$name.wall"
	echo "$cpu" >>"$BENCH_OUT/$name.cpu"
}

# median FILE: the median of the numbers in FILE (or /dev/stdin), one per line.
median() {
	sort -g "$1" | awk '{ a[NR] = $1 } END { printf "%.10g\n", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ratio A B: A / B with three decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

# ratios NAME NUM DEN: the per-round ratios NUM.wall[i] / DEN.wall[i] into NAME.ratio.
ratios() {
	paste "$BENCH_OUT/$2.wall" "$BENCH_OUT/$3.wall" |
		awk '{ printf "%.4f\n", ($2 > 0 ? $1 / $2 : 0) }' >"$BENCH_OUT/$1.ratio"
}

# report LABEL NAME: "LABEL  median wall, median cpu, all walls".
report() {
	printf '%-44s %7.3f s  (cpu %6.3f s; runs: %s)\n' "$1" "$(median "$BENCH_OUT/$2.wall")" \
		"$(median "$BENCH_OUT/$2.cpu")" "$(tr '\n' ' ' <"$BENCH_OUT/$2.wall" | sed 's/ $//')"
}

# report_ratio LABEL NAME GOAL: the median of the per-round ratios, their range, the goal.
report_ratio() {
	local r=$BENCH_OUT/$2.ratio
	printf 'ratio %-40s %6.3f  (min %.3f, max %.3f over %d rounds)%s\n' "$1" "$(median "$r")" \
		"$(sort -g "$r" | head -1)" "$(sort -g "$r" | tail -1)" "$(wc -l <"$r")" \
		"${3:+   goal $3}"
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# in_turn ROUND A B: calls the functions A and B with ROUND, A first in odd rounds and B first
# in even ones, with a sync between, so that neither always follows the other's writeback.
in_turn() {
	if [ $(($1 % 2)) = 1 ]; then
		"$2" "$1"
		sync
		"$3" "$1"
	else
		"$3" "$1"
		sync
		"$2" "$1"
	fi
}

# bench_init: checks $SLIPWAY, sets $runs ($BENCH_RUNS, default 5) and $BENCH_OUT, prints the
# machine.
bench_init() {
	: "${SLIPWAY:?set SLIPWAY}"
	runs=${BENCH_RUNS:-5}
	BENCH_OUT=$(pwd)/.bench
	mkdir -p "$BENCH_OUT"
	rm -f "$BENCH_OUT"/*.wall "$BENCH_OUT"/*.cpu "$BENCH_OUT"/*.ratio
	echo "machine: $(nproc) CPUs, load average $(load_avg) at start"
}

bench_done() {
	echo "load average at the end: $(load_avg)"
}

# bench_next_ab: ./store (next_store) with the example app's two builds installed as releases A
# and B (Next.js on $port) and A active. Needs run_env.sh.
bench_next_ab() {
	next_store
	run_next_tree app2 v2
	next_archive A 1 app
	next_archive B 2 app2
	for v in A B; do
		"$SLIPWAY" install "$T/$v.tar.zst" --root store >/dev/null || exit 1
	done
	"$SLIPWAY" activate A --root store >/dev/null || exit 1
}
