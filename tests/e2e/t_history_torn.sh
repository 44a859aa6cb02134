# Hostile review, round 3, class 4: a torn history tail longer than 64 KiB was never cut off,
# and every later deploy exited 3 "installed but the history was not written". specs/store.md
# "History": "Readers ignore a torn last line, and the next append cuts it off (ftruncate)
# before writing, whatever its length". The case (70 KiB without a newline, then a deploy)
# and a variant (2 MiB ending in a newline that does not parse, then a rollback).
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
release 1.0.0 1
release 2.0.0 2
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
intact=$(cat "$S/history.jsonl")

# check_history N: N lines, each a JSON object, seq 1..N in order; nothing else in the file.
check_history() {
	python3 - "$S/history.jsonl" "$1" <<'PY' || fail "history.jsonl: $(head -c 300 "$S/history.jsonl")"
import json, sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "no final newline"
lines = data.decode().splitlines()
assert len(lines) == int(sys.argv[2]), "%d lines" % len(lines)
assert [json.loads(l)["seq"] for l in lines] == list(range(1, len(lines) + 1))
PY
}

{ printf '{"seq": 3, "time": "2026-'; head -c 70000 /dev/zero | tr '\0' 'x'; } >>"$S/history.jsonl"
expect_rc 0 "$SLIPWAY" list --root "$S" --json # readers ignore it
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
assert_not_contains "$errout" "history was not written"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current"
check_history 4
assert_eq "$(head -2 "$S/history.jsonl")" "$intact" "the intact lines"

# Variant: 2 MiB ending in a newline, the rest of the line never reached the disk (zeros).
{ printf '{"seq": 5, "action": "rollback", "x": "'; head -c 2097152 /dev/zero; echo; } >>"$S/history.jsonl"
expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after the rollback"
check_history 5
assert_eq "$(tail -1 "$S/history.jsonl" | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["action"], e["to"])')" \
	"rollback 1.0.0" "the rollback's event"
