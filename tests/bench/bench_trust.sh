#!/usr/bin/env bash
# What the keyring and provenance add to a deploy: `slipway deploy` of the same small archive
# into a fresh store pinned to one key ("plain"); into a fresh store that already trusts
# keyring version 3, with the archive carrying versions 1-3 (checked, nothing to adopt) and a
# provenance policy (ARCHIVE.intoto.jsonl: DSSE, statement, SHA-256 of the archive):
# "steady", every deploy's cost; and into a fresh store at version 1 that adopts 2 and 3 (two
# version steps, 8 signatures, keyring.jsonl written and synced): "rotation", once per
# rotation. In turns, $BENCH_RUNS rounds (default 11): the differences of the median wall and
# CPU times are the verification cost. Goal: at most 5 ms. TEST KEYS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
bench_init
runs=${BENCH_RUNS:-11}
for k in a b r; do minisign -G -W -p $k.pub -s $k.key >/dev/null; done
mkdir -p tree/app && for i in $(seq 200); do echo "file $i" >tree/app/f$i.txt; done
python3 "$repo/tests/e2e/make_release.py" --tree tree --app bench --version 1.0 --serial 10 \
	--out rel.tar.zst --sign r.key >/dev/null

S="$SLIPWAY"
"$S" keyring create -o p1 --keyring-keys a.pub,b.pub --release-keys r.pub --threshold 2 \
	--provenance-repositories https://example.invalid/app --provenance-refs 'refs/tags/v*' \
	--provenance-builders bench-builder >/dev/null
for v in 1 2 3; do
	[ "$v" = 1 ] || "$S" keyring next chain -o p$v --min-serial $((v * 3)) >/dev/null
	"$S" keyring sign p$v -s a.key >/dev/null
	"$S" keyring sign p$v -s b.key >/dev/null
	"$S" keyring append chain --from p$v >/dev/null
	[ "$v" = 1 ] && cp chain chain1
done
python3 - rel.tar.zst >stmt <<'PY'
import hashlib, json, sys
a = sys.argv[1]
print(json.dumps({"_type": "https://in-toto.io/Statement/v1",
  "subject": [{"name": a, "digest": {"sha256": hashlib.sha256(open(a, "rb").read()).hexdigest()}}],
  "predicateType": "https://slsa.dev/provenance/v1",
  "predicate": {"buildDefinition": {"buildType": "https://slipway.dev/pack/v1",
    "externalParameters": {"repository": "https://example.invalid/app", "ref": "refs/tags/v1.0"}},
    "runDetails": {"builder": {"id": "bench-builder"}}}}))
PY
python3 "$repo/tests/e2e/dsse_judge.py" sign stmt r.key rel.tar.zst.intoto.jsonl
cp chain rel.tar.zst.keyring
mkdir plain && cp rel.tar.zst rel.tar.zst.minisig plain/

round_plain() {
	rm -rf sp && "$S" init --root sp -p r.pub >/dev/null
	timed plain "$S" deploy plain/rel.tar.zst --root sp
}
round_steady() {
	rm -rf ss && "$S" init --root ss --keyring chain >/dev/null
	timed steady "$S" deploy rel.tar.zst --root ss
}
round_rotation() {
	rm -rf st && "$S" init --root st --keyring chain1 >/dev/null
	timed rotation "$S" deploy rel.tar.zst --root st
	cmp -s st/keyring.jsonl chain || { echo "keyring not adopted"; exit 1; }
}
for i in $(seq "$runs"); do
	in_turn "$i" round_plain round_steady
	round_rotation "$i"
done

report "deploy, one pinned key" plain
report "deploy, keyring 3 + provenance" steady
report "deploy, keyring 1->3 adopted + provenance" rotation
added() { # LABEL NAME
	printf '%-44s wall %+6.1f ms, cpu %+6.1f ms   goal <= 5 ms\n' "$1" \
		"$(awk -v a="$(median "$BENCH_OUT/$2.wall")" -v b="$(median "$BENCH_OUT/plain.wall")" 'BEGIN { print (a - b) * 1000 }')" \
		"$(awk -v a="$(median "$BENCH_OUT/$2.cpu")" -v b="$(median "$BENCH_OUT/plain.cpu")" 'BEGIN { print (a - b) * 1000 }')"
}
added "verification added to a deploy" steady
added "... to the deploy that adopts a rotation" rotation
ratios steady steady plain
report_ratio "deploy keyring+provenance / pinned key" steady
bench_done
