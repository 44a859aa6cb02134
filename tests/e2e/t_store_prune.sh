# prune: keeps the newest N by install order (history, not mtime or name), and never removes
# current, the rollback target or the newest known-good release; a crash mid-prune leaves
# no half release under a final name.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
# Install order differs from name order (1.0.10 sorts before 1.0.9).
vs="1.0.9 1.0.10 1.0.11 1.0.12 1.0.13 1.0.14"
s=1
for v in $vs; do
	release "$v" $s
	expect_rc 0 "$SLIPWAY" install "$T/rel-$v.tar.zst" --root "$S"
	s=$((s + 1))
done
# The oldest install looks newest by mtime: prune must not care.
touch -d '2030-01-01' "$S/releases/1.0.9" "$S/meta/1.0.9.json"
touch -d '2001-01-01' "$S/releases/1.0.14"
expect_rc 0 "$SLIPWAY" activate 1.0.10 --root "$S"
expect_rc 0 "$SLIPWAY" activate 1.0.12 --root "$S"

expect_rc 0 "$SLIPWAY" prune --keep 1 --dry-run --root "$S"
assert_eq "$out" "would remove 1.0.9
would remove 1.0.11
would remove 1.0.13" "dry run"
[ -d "$S/releases/1.0.9" ] || fail "dry run removed something"

expect_rc 0 "$SLIPWAY" prune --keep 1 --root "$S"
assert_eq "$(ls "$S/releases" | sort -V | tr '\n' ' ')" "1.0.10 1.0.12 1.0.14 " "kept releases"
assert_eq "$(ls "$S/meta" | sort -V | tr '\n' ' ')" "1.0.10.json 1.0.12.json 1.0.14.json " "kept records"
assert_eq "$(ls -A "$S/trash")" "" "trash emptied"
assert_eq "$(current_of "$S")" "releases/1.0.12" "current untouched"
grep -q '"action":"prune","version":"1.0.9"' "$S/history.jsonl" || fail "prune not in history"
expect_rc 0 "$SLIPWAY" prune --keep 0 --root "$S"
# keep 0: only the protected ones stay: current (1.0.12) and rollback target (1.0.10).
assert_eq "$(ls "$S/releases" | sort -V | tr '\n' ' ')" "1.0.10 1.0.12 " "protected releases"
expect_rc 0 "$SLIPWAY" prune --keep 0 --root "$S"
assert_eq "$out" "nothing to prune"
expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.10" "rollback after prune"

# The newest known-good release survives even when current is bad and the history is such
# that it is not the rollback target: mark the current release bad the way the runtime does.
release 2.0.0 20
release 2.0.1 21
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.1.tar.zst" --root "$S"
sed -i 's/"bad": false/"bad": true/' "$S/meta/2.0.1.json"
expect_rc 0 "$SLIPWAY" list --root "$S" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["rollback_target"]=="2.0.0", d' "$out" ||
	fail "rollback target: $out"
expect_rc 0 "$SLIPWAY" prune --keep 0 --root "$S"
assert_eq "$(ls "$S/releases" | sort -V | tr '\n' ' ')" "2.0.0 2.0.1 " "after prune with a bad current"

# A crash at each prune step: the release is either fully there (record + tree) or gone,
# and the next command sweeps the leftovers.
n=40
for step in prune-after-move prune-after-record prune-before-delete; do
	v="3.0.$n"
	release "$v" $n
	expect_rc 0 "$SLIPWAY" install "$T/rel-$v.tar.zst" --root "$S"
	release "3.1.$n" $((n + 1))
	expect_rc 0 "$SLIPWAY" install "$T/rel-3.1.$n.tar.zst" --root "$S"
	expect_rc 0 "$SLIPWAY" prune --keep 1 --dry-run --root "$S"
	victim=$(echo "$out" | head -1 | sed 's/^would remove //')
	[ -n "$victim" ] || fail "nothing to prune before $step"
	SLIPWAY_TEST_CRASH_AT=$step expect_rc 137 "$SLIPWAY" prune --keep 1 --root "$S"
	v=$victim
	assert_no_file "$S/releases/$v"
	expect_rc 0 "$SLIPWAY" list --root "$S" --json
	assert_not_contains "$out" "\"$v\"" "list after a crash at $step"
	expect_rc 0 "$SLIPWAY" prune --keep 1 --root "$S"
	assert_no_file "$S/meta/$v.json"
	assert_eq "$(ls -A "$S/trash")" "" "trash swept after $step"
	assert_eq "$(current_of "$S")" "releases/2.0.1" "current after a crash at $step"
	n=$((n + 2))
done
