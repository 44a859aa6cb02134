# e2e: long
# The hostile-archive corpus (tests/e2e/hostile_archives.py, >= 20 cases, all signed with a
# TEST key): every case is refused with exit 1 and a clear reason; nothing is written outside
# the store's staging directory (the cwd and the rest of $T stay as they were), the staging
# directory is left empty, `current` and the installed release are untouched.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
release 1.0.0 1
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
python3 "$REPO/tests/e2e/hostile_archives.py" "$T/corpus" "$T/test.key" || fail "corpus builder failed"
n=$(wc -l <"$T/corpus/cases.txt")
[ "$n" -ge 20 ] || fail "only $n hostile cases"

snapshot() { # everything in the store but the lock file's content, and everything in $T but the corpus
	(cd "$S" && find . -path ./lock -prune -o -printf '%p %y %m %s %l\n' | sort
	 cat history.jsonl state.json)
	(cd "$T" && find . -path ./corpus -prune -o -path ./store -prune -o -name '.out' -prune -o -name '.err' -prune -o -printf '%p %y %s\n' | sort)
	ls -la /tmp | grep slipway-hostile || true
}
mkdir "$T/cwd"
before=$(snapshot)
# install and deploy classify every case the same way (exit 1), in one line of escaped text:
# no control byte and nothing but valid UTF-8 reaches the terminal, whatever the archive holds.
while IFS=$'\t' read -r name archive expect flags; do
	for cmd in install deploy; do
		# shellcheck disable=SC2086
		(cd "$T/cwd" && run "$SLIPWAY" $cmd "$archive" --root "$S" $flags
		 [ "$rc" = 1 ] || fail "$name: $cmd: expected exit 1, got $rc: $errout"
		 assert_contains "$errout" "slipway: $cmd: " "$name: message"
		 [ -z "$expect" ] || assert_contains "$errout" "$expect" "$name: reason"
		 [ "$(printf '%s' "$errout" | wc -l)" -le 1 ] || fail "$name: more than one line: $errout"
		 ! LC_ALL=C grep -q '[[:cntrl:]]' "$T/.err" || fail "$name: control bytes on stderr: $errout"
		 iconv -f UTF-8 -t UTF-8 "$T/.err" >/dev/null 2>&1 || fail "$name: invalid UTF-8 on stderr"
		 [ $cmd = deploy ] || echo "refused $name: ${errout#slipway: install: }") || exit 1
		assert_eq "$(ls -A "$S/staging")" "" "$name: staging left behind"
		assert_eq "$(ls -A "$T/cwd")" "" "$name: wrote into the cwd"
		assert_eq "$(current_of "$S")" "releases/1.0.0" "$name: current"
	done
done <"$T/corpus/cases.txt"
after=$(snapshot)
[ "$before" = "$after" ] || fail "store or \$T changed: $(diff <(echo "$before") <(echo "$after"))"
# The store still works after all that.
expect_rc 0 "$SLIPWAY" status --root "$S"
release 1.0.1 2
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.1.tar.zst" --root "$S"

# A signature by another key, and a -p that is not the pinned key, are refused too.
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1
release 1.0.2 3
cp "$T/rel-1.0.2.tar.zst" "$T/other.tar.zst"
minisign -S -s "$T/other.key" -m "$T/other.tar.zst" -t "app:testapp version:1.0.2 serial:3 file:x" >/dev/null
expect_rc 1 "$SLIPWAY" install "$T/other.tar.zst" --root "$S"
assert_contains "$errout" "signature made by another key"
expect_rc 1 "$SLIPWAY" install "$T/rel-1.0.2.tar.zst" --root "$S" -p "$T/other.pub"
assert_contains "$errout" "is not the key pinned"
# A trusted comment without slipway's fields.
minisign -S -s "$T/test.key" -m "$T/other.tar.zst" -t "timestamp:1 file:x" >/dev/null
expect_rc 1 "$SLIPWAY" install "$T/other.tar.zst" --root "$S"
assert_contains "$errout" "lacks app:, version: or serial:"
assert_no_file "$S/releases/1.0.2"

# Limits at the top of their range: max-bytes + entries x 1.5 KiB + 16 MiB saturates, it does
# not wrap around 2^64 into a bound so small that every archive is refused.
release 1.0.3 4
expect_rc 0 "$SLIPWAY" install "$T/rel-1.0.3.tar.zst" --root "$S" \
	--max-bytes 18446744073709551615 --max-entries 18446744073709551615
assert_contains "$out" "installed 1.0.3"
