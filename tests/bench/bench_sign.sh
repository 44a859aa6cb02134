# Signing and verifying a large archive: slipway sign / verify against stock minisign -S / -V
# (same key, same file) and against b2sum, the floor for BLAKE2b-512 over the file.
# Prints seconds and ratios; fails only if a command fails. TEST KEY in a temp dir.
set -eu
size_mb=${BENCH_SIGN_MB:-512}
minisign -G -W -p k.pub -s k.key >/dev/null
head -c $((size_mb << 20)) /dev/urandom >big.tar.zst
cat big.tar.zst >/dev/null # warm the page cache for everyone alike

t() { # t CMD... -> prints elapsed seconds (best of 3)
	local best="" s e d i
	for i in 1 2 3; do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		d=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
		if [ -z "$best" ] || awk -v d="$d" -v b="$best" 'BEGIN { exit !(d < b) }'; then best=$d; fi
	done
	echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

b2=$(t b2sum big.tar.zst)
ms=$(t minisign -S -s k.key -m big.tar.zst -x m.minisig -c bench -t bench)
ss=$(t "$SLIPWAY" sign big.tar.zst -s k.key -x s.minisig -c bench -t bench)
mv=$(t minisign -V -p k.pub -m big.tar.zst -x s.minisig)
sv=$(t "$SLIPWAY" verify big.tar.zst -p k.pub -x m.minisig)
cmp -s m.minisig s.minisig || { echo "signatures differ"; exit 1; }
printf '%-28s %8s s\n' "b2sum (${size_mb} MiB)" "$b2" "minisign -S" "$ms" "slipway sign" "$ss" \
	"minisign -V" "$mv" "slipway verify" "$sv"
echo "slipway sign / minisign -S:   $(ratio "$ss" "$ms")"
echo "slipway verify / minisign -V: $(ratio "$sv" "$mv")"
echo "slipway verify / b2sum:       $(ratio "$sv" "$b2")"
