# One writer at a time: a held lock makes a mutating command wait a bounded time and fail
# with "store is locked by pid N"; ten concurrent activate/rollback commands all succeed and
# leave a history in which every switch starts where the previous one ended.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
for v in 1 2 3; do
	release "$v.0.0" $v
	expect_rc 0 "$SLIPWAY" install "$T/rel-$v.0.0.tar.zst" --root "$S"
done
expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"

# Another process holds the lock (as slipway does: flock + its pid in the file).
python3 - "$S/lock" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "r+")
fcntl.flock(f, fcntl.LOCK_EX)
f.truncate(0); f.write("%d\n" % os.getpid()); f.flush()
open(sys.argv[1] + ".held", "w").close()
# Held until the test says so (at most 60 s), however slow the machine is.
for _ in range(600):
    if os.path.exists(sys.argv[1] + ".release"):
        break
    time.sleep(0.1)
PY
holder=$!
wait_for 5 test -e "$S/lock.held"
start=$(date +%s%N)
SLIPWAY_LOCK_TIMEOUT=0.5 expect_rc 3 "$SLIPWAY" activate 2.0.0 --root "$S"
elapsed=$((($(date +%s%N) - start) / 1000000))
assert_contains "$errout" "store is locked by pid $holder"
# About 0.5 s, and well under the default 10 s wait (the bound allows for a loaded machine).
[ "$elapsed" -ge 450 ] && [ "$elapsed" -lt 6000 ] || fail "waited ${elapsed} ms, expected about 500"
SLIPWAY_LOCK_TIMEOUT=0.2 expect_rc 3 "$SLIPWAY" install "$T/rel-3.0.0.tar.zst" --root "$S"
assert_contains "$errout" "locked by pid $holder"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current while locked"
# Read-only commands do not wait for the lock.
expect_rc 0 "$SLIPWAY" list --root "$S"
# Within the default wait, a command gets the lock once the holder is done.
touch "$S/lock.release"
expect_rc 0 "$SLIPWAY" activate 2.0.0 --root "$S"
wait $holder
rm -f "$S/lock.held" "$S/lock.release"

# Ten concurrent switches.
pids=()
for i in $(seq 1 10); do
	case $((i % 4)) in
	0) "$SLIPWAY" rollback --root "$S" >"$T/c$i.out" 2>&1 & ;;
	*) "$SLIPWAY" activate "$((i % 3 + 1)).0.0" --root "$S" >"$T/c$i.out" 2>&1 & ;;
	esac
	pids+=($!)
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	r=$?
	# rollback may find nothing to roll back to (exit 1); nothing may fail otherwise.
	[ $r = 0 ] || [ $r = 1 ] || fail "concurrent command $i exited $r: $(cat "$T/c$((i + 1)).out")"
done
python3 - "$S/history.jsonl" "$(readlink "$S/current")" <<'PY' || fail "history is not serial"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
seqs = [e["seq"] for e in ev]
assert seqs == list(range(1, len(ev) + 1)), seqs
sw = [e for e in ev if e["action"] in ("activate", "rollback")]
for a, b in zip(sw, sw[1:]):
    assert b["from"] == a["to"], (a, b)
assert "releases/" + sw[-1]["to"] == sys.argv[2], (sw[-1], sys.argv[2])
print(len(sw), "switches, each starting where the previous ended")
PY
assert_eq "$(ls -A "$S" | grep -c '^\.current' || true)" "0" "no temporary links left"
