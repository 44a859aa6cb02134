# e2e: long
# Crash consistency: a SIGKILL at every named step of install, activate and rollback
# (SLIPWAY_TEST_CRASH_AT, test-only), then a randomized kill -9 loop over deploys. After each
# crash `current` points at a complete release, no partial tree carries a final name, and
# the next command sweeps the leftovers and succeeds.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"

# Releases big enough for a kill to land mid-unpack, and their reference trees (GNU tar).
big_release() { # VERSION SERIAL
	local v=$1 d="$T/tree-$1"
	rm -rf "$d"
	test_tree "$d" "$v"
	mkdir -p "$d/data"
	for i in $(seq 1 120); do head -c $((20000 + i * 97)) /dev/urandom >"$d/data/f$i.bin"; done
	python3 "$MAKE_RELEASE" --tree "$d" --app testapp --version "$v" --serial "$2" \
		--out "$T/rel-$v.tar.zst" --sign "$T/test.key" >/dev/null || fail "make_release $v"
	mkdir -p "$T/ref/$v" && tar -C "$T/ref/$v" -xf "$T/rel-$v.tar.zst" --exclude=slipway-manifest.json
}
# check_store: every release under a final name is complete; current points at one.
check_store() { # WHAT
	local d v
	for d in "$S"/releases/*; do
		[ -e "$d" ] || continue
		v=$(basename "$d")
		diff -r --no-dereference -x slipway-manifest.json "$T/ref/$v" "$d" >/dev/null ||
			fail "$1: releases/$v is not complete"
		[ -f "$S/releases/$v/slipway-manifest.json" ] || fail "$1: releases/$v lacks its manifest"
	done
	if [ -L "$S/current" ]; then
		v=$(readlink "$S/current")
		v=${v#releases/}
		[ -d "$S/releases/$v" ] || fail "$1: current points at missing $v"
		[ -f "$S/meta/$v.json" ] || fail "$1: current points at $v without a record"
	else
		assert_no_file "$S/current"
	fi
	for d in "$S"/meta/*.json; do
		[ -e "$d" ] || continue
		v=$(basename "$d" .json)
		[ -d "$S/releases/$v" ] || [ -n "${2:-}" ] || fail "$1: record $v without a release"
	done
}
swept() { # WHAT: nothing left by the interrupted command after a locked command ran
	assert_eq "$(ls -A "$S/staging")" "" "$1: staging swept"
	assert_eq "$(ls -A "$S/trash")" "" "$1: trash swept"
	assert_eq "$(cd "$S" && ls -A | grep -E '^\.' || true)" "" "$1: temporaries swept"
}

big_release 1.0.0 1
big_release 2.0.0 2
big_release 3.0.0 3
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"

serial=2
for step in install-after-verify install-before-unpack install-mid-unpack install-after-sync \
	install-after-record install-after-state install-after-rename install-after-history; do
	SLIPWAY_TEST_CRASH_AT=$step expect_rc 137 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
	check_store "crash at $step" allow-orphan-record
	assert_eq "$(current_of "$S")" "releases/1.0.0" "current after a crash at $step"
	# The next command sweeps and the same archive installs (or is found installed).
	expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
	check_store "after recovering from $step"
	swept "$step"
	assert_eq "$(current_of "$S")" "releases/2.0.0" "deploy after a crash at $step"
	# Back to the start for the next step.
	expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"
	expect_rc 0 "$SLIPWAY" prune --keep 0 --root "$S" # 2.0.0 is the rollback target: kept
	rm -rf "$S/releases/2.0.0" "$S/meta/2.0.0.json"
done

expect_rc 0 "$SLIPWAY" install "$T/rel-2.0.0.tar.zst" --root "$S"
for step in activate-after-temp-link activate-after-rename activate-before-history activate-after-history; do
	for cmd in "activate 2.0.0" "rollback 2.0.0"; do
		before=$(current_of "$S")
		# shellcheck disable=SC2086
		SLIPWAY_TEST_CRASH_AT=$step expect_rc 137 "$SLIPWAY" $cmd --root "$S"
		check_store "$cmd crash at $step"
		now=$(current_of "$S")
		case $now in releases/1.0.0 | releases/2.0.0) ;; *) fail "current is $now after $step" ;; esac
		expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"
		swept "$cmd $step"
		assert_eq "$(current_of "$S")" "releases/1.0.0" "activate after $step"
	done
done
# A crash between the switch and the history: rollback still knows where to go back to.
expect_rc 0 "$SLIPWAY" activate 1.0.0 --root "$S"
SLIPWAY_TEST_CRASH_AT=activate-before-history expect_rc 137 "$SLIPWAY" activate 2.0.0 --root "$S"
assert_eq "$(current_of "$S")" "releases/2.0.0" "switched before the crash"
expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "rollback after an unrecorded switch"

# Randomized kill -9 loop: deploys of alternating releases killed after a random delay.
versions=(2.0.0 3.0.0 1.0.0)
kills=0
for i in $(seq 1 20); do
	v=${versions[$((i % 3))]}
	"$SLIPWAY" deploy "$T/rel-$v.tar.zst" --root "$S" --allow-downgrade >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 60 + 1))"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	check_store "kill loop round $i" allow-orphan-record
	[ -L "$S/current" ] || fail "round $i: current is gone"
	if [ $((i % 5)) = 0 ]; then
		expect_rc 0 "$SLIPWAY" prune --keep 1 --root "$S"
		swept "kill loop round $i"
	fi
done
echo "killed $kills of 20 deploys mid-flight"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-3.0.0.tar.zst" --root "$S" --allow-downgrade
check_store "after the kill loop"
swept "after the kill loop"
