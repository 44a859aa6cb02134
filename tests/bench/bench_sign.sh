#!/usr/bin/env bash
# Signing and verifying a large archive: slipway sign / verify against stock minisign -S / -V
# (same key, same file) and against b2sum, the floor for BLAKE2b-512 over the file, in the
# same run, in turns, $BENCH_RUNS rounds (default 5): medians and per-round ratios.
# Fails only if a command fails. TEST KEY in a temp dir.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bench_init
size_mb=${BENCH_SIGN_MB:-512}
minisign -G -W -p k.pub -s k.key >/dev/null
head -c $((size_mb << 20)) /dev/urandom >big.tar.zst
cat big.tar.zst >/dev/null # warm the page cache for everyone alike

round_b2() { timed b2sum b2sum big.tar.zst; }
round_msign() { timed msign minisign -S -s k.key -m big.tar.zst -x m.minisig -c bench -t bench; }
round_ssign() { timed ssign "$SLIPWAY" sign big.tar.zst -s k.key -x s.minisig -c bench -t bench; }
round_mverify() { timed mverify minisign -V -p k.pub -m big.tar.zst -x s.minisig; }
round_sverify() { timed sverify "$SLIPWAY" verify big.tar.zst -p k.pub -x m.minisig; }
for i in $(seq "$runs"); do
	round_b2 "$i"
	in_turn "$i" round_msign round_ssign
	in_turn "$i" round_mverify round_sverify
done
cmp -s m.minisig s.minisig || { echo "signatures differ"; exit 1; }

report "b2sum (${size_mb} MiB)" b2sum
report "minisign -S" msign
report "slipway sign" ssign
report "minisign -V" mverify
report "slipway verify" sverify
ratios sign ssign msign
ratios verify sverify mverify
ratios verify_b2 sverify b2sum
report_ratio "slipway sign / minisign -S" sign
report_ratio "slipway verify / minisign -V" verify
report_ratio "slipway verify / b2sum" verify_b2
bench_done
