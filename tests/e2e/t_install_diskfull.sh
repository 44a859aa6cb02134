# A full disk (a small tmpfs) and a file-size limit (ulimit -f) during install: a clear error,
# exit 3, the staging directory removed, `current` and the installed release untouched.
source "$REPO/tests/e2e/store_lib.sh"
test_key
mnt="$T/small"
mkdir "$mnt"
mount -t tmpfs -o size=6m tmpfs "$mnt" 2>/dev/null || { echo "cannot mount tmpfs here: skipping the disk-full half"; mnt=; }
cleanup() { [ -z "$mnt" ] || umount "$mnt" 2>/dev/null; }
trap cleanup EXIT

# A release of ~8 MB of incompressible data.
big() { # VERSION SERIAL
	rm -rf "$T/tree-$1"
	test_tree "$T/tree-$1" "$1"
	mkdir -p "$T/tree-$1/data"
	for i in 1 2 3 4; do head -c 2000000 /dev/urandom >"$T/tree-$1/data/blob$i"; done
	python3 "$MAKE_RELEASE" --tree "$T/tree-$1" --app testapp --version "$1" --serial "$2" \
		--out "$T/rel-$1.tar.zst" --sign "$T/test.key" >/dev/null || fail "make_release"
}
release 1.0.0 1
big 2.0.0 2

if [ -n "$mnt" ]; then
	S="$mnt/store"
	new_store "$S"
	expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
	sum_before=$(cd "$S/releases/1.0.0" && find . -type f -exec sha256sum {} + | sort)
	expect_rc 3 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
	assert_contains "$errout" "No space left on device"
	assert_eq "$(ls -A "$S/staging")" "" "staging after ENOSPC"
	assert_no_file "$S/releases/2.0.0"
	assert_no_file "$S/meta/2.0.0.json"
	assert_eq "$(current_of "$S")" "releases/1.0.0" "current after ENOSPC"
	assert_eq "$(cd "$S/releases/1.0.0" && find . -type f -exec sha256sum {} + | sort)" "$sum_before" "release 1.0.0"
	# The space is back: the store still works.
	expect_rc 0 "$SLIPWAY" status --root "$S"
	release 1.0.1 3
	expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.1.tar.zst" --root "$S"
fi

S="$T/store"
new_store "$S"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
# 1024 blocks of 1 KiB: smaller than each 2 MB blob.
(ulimit -f 1024 && run "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
 [ "$rc" = 3 ] || fail "ulimit -f: expected exit 3, got $rc: $errout"
 assert_contains "$errout" "File too large")
assert_eq "$(ls -A "$S/staging")" "" "staging after EFBIG"
assert_no_file "$S/releases/2.0.0"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after EFBIG"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
