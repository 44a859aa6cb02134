# publish creates DIR when missing. One publish at a time in a channel directory
# (specs/channel.md "The channel"): publish holds
# a flock on DIR itself. While another holds it, publish waits, and at the end of
# $SLIPWAY_LOCK_TIMEOUT says so (exit 3) with DIR untouched; two publishes started at once
# both succeed, one after the other, with growing index serials, and the index names the
# second. Nothing is added to DIR for the lock. Keys are TEST KEYS.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
HOLDER=
trap 'kill $HOLDER 2>/dev/null; wait 2>/dev/null' EXIT
test_key
C=$T/channel
big_release 1.0.0 1
big_release 2.0.0 2
big_release 3.0.0 3
# DIR is created when missing (its parent is not).
expect_rc 3 "$SLIPWAY" publish "$T/rel-1.0.0.tar.zst" "$T/no/such" -s "$T/test.key"
assert_eq "$errout" "slipway: publish: cannot create $T/no/such: No such file or directory" "a DIR without parent"
expect_rc 0 "$SLIPWAY" publish "$T/rel-1.0.0.tar.zst" "$C" -s "$T/test.key" --no-patches
cp "$C/index.json" "$T/index-1.json"
ls -A "$C" >"$T/files-1"

# Another process holds DIR's lock: publish waits, then gives up with one line.
python3 -c 'import fcntl, os, sys, time
fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), fcntl.LOCK_EX)
time.sleep(60)' "$C" &
HOLDER=$!
wait_for 10 bash -c "! flock -n -x '$C' true"
started=$(date +%s%N)
SLIPWAY_LOCK_TIMEOUT=0.5 expect_rc 3 "$SLIPWAY" publish "$T/rel-2.0.0.tar.zst" "$C" -s "$T/test.key"
waited=$((($(date +%s%N) - started) / 1000000))
assert_eq "$errout" "slipway: publish: another publish is writing $C (waited 0.5 s; see SLIPWAY_LOCK_TIMEOUT)" "the refusal"
[ "$waited" -ge 500 ] || fail "publish gave up after $waited ms, before its 0.5 s"
cmp -s "$C/index.json" "$T/index-1.json" || fail "the index changed while DIR was locked"
assert_eq "$(ls -A "$C")" "$(cat "$T/files-1")" "DIR's files after a refused publish"

# Released while publish waits: it goes on.
SLIPWAY_LOCK_TIMEOUT=30 "$SLIPWAY" publish "$T/rel-2.0.0.tar.zst" "$C" -s "$T/test.key" \
	>"$T/waiting.out" 2>&1 &
waiting=$!
kill "$HOLDER" && wait "$HOLDER" 2>/dev/null
HOLDER=
wait "$waiting" || fail "publish after the lock was released: $(cat "$T/waiting.out")"
assert_eq "$(index_field "$C/index.json" latest.version)" "2.0.0" "the index after the wait"

# Two publishes at once, into the same second: one after the other, serials growing.
before=$(index_field "$C/index.json" serial)
"$SLIPWAY" publish "$T/rel-1.0.0.tar.zst" "$C" -s "$T/test.key" --json >"$T/a.out" 2>&1 &
a=$!
"$SLIPWAY" publish "$T/rel-3.0.0.tar.zst" "$C" -s "$T/test.key" --json >"$T/b.out" 2>&1 &
b=$!
wait "$a" || fail "the first of two publishes: $(cat "$T/a.out")"
wait "$b" || fail "the second of two publishes: $(cat "$T/b.out")"
python3 - "$T/a.out" "$T/b.out" "$(index_field "$C/index.json" serial)" "$before" <<'PY' || fail "two publishes at once"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
final, before = int(sys.argv[3]), int(sys.argv[4])
assert before < min(a["serial"], b["serial"]), (before, a["serial"], b["serial"])
assert a["serial"] != b["serial"], ("the same serial twice", a["serial"])
last = a if a["serial"] > b["serial"] else b
assert final == last["serial"], (final, last)
print("two publishes: serials", before, "then", sorted([a["serial"], b["serial"]]))
PY
latest=$(index_field "$C/index.json" latest.version)
[ "$latest" = "1.0.0" ] || [ "$latest" = "3.0.0" ] || fail "the index names $latest"
assert_eq "$(ls -A "$C" | grep -c '\.tmp')" "0" "temporary files left in DIR"
