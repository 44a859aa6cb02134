# Delta install of a local archive from its frames (specs/store.md "Delta install"): with the
# previous release installed, `deploy` links the unchanged files and decodes only the frames
# holding the others (it says how many), the tree is GNU tar's extraction of the archive, and
# the record names the archive's BLAKE2b-512 (b2sum), also with the installed release out of
# the page cache; on a terminal it draws the progress line. The whole archive is still judged:
# bytes flipped in a frame that holds only unchanged files (never decoded), or in the frames
# of changed files (decoded), are refused by the file signature, nothing installed, `current`
# unchanged. An installed file altered behind the
# store's back is not linked but written from the frames, also when the frames decoded for
# other files hold it (compared, not hashed) and only its bytes differ. A kill mid-way leaves a store the
# next deploy completes. A seek table the frames do not fit sends the archive to the whole
# route, which installs it when signed as it is and refuses it otherwise. Keys are TEST KEYS.
source "$REPO/tests/e2e/store_lib.sh"
test_key

# A 2 MB tree of 100 text files and one 200 KB file with frames of its own (larger than the
# 64 KiB frame target); release 2 appends a line to twelve of the small files.
mkdir -p "$T/p1/tree/big"
GEN_TREE_MB=2 GEN_TREE_FILES=100 python3 "$REPO/tests/bench/gen_tree.py" "$T/p1/tree/src" >/dev/null
{
	head -c 75000 /dev/urandom | base64 -w 0
	printf '\nUNCHANGED-MARKER\n'
	head -c 75000 /dev/urandom | base64 -w 0
} >"$T/p1/tree/big/unchanged.txt"
printf '[app]\nname = fr\nbuild =\n[bundle]\ninclude = tree\n' >"$T/p1/slipway.ini"
cp -a "$T/p1" "$T/p2"
find "$T/p2/tree/src" -type f | sort | awk 'NR % 8 == 3' | head -12 |
	while read -r f; do printf '// changed in release 2\n' >>"$f"; done
for n in 1 2; do
	expect_rc 0 "$SLIPWAY" pack "$T/p$n" --no-build --allow-no-services -s "$T/test.key" \
		--frame-size 64K --version "$n.0.0" --serial "$n" -o "$T/out"
done
A1=$T/out/fr-1.0.0.tar.zst A2=$T/out/fr-2.0.0.tar.zst
mkdir "$T/ref" && tar -C "$T/ref" -xf "$A2" || fail "GNU tar cannot read $A2"
changed=$( (diff -rq "$T/p1/tree" "$T/p2/tree" || true) | wc -l)
assert_eq "$changed" 12 "files changed in release 2"

# The route itself: 12 files written from some of the frames, the rest linked.
S=$T/store
new_store "$S"
expect_rc 0 "$SLIPWAY" deploy "$A1" --root "$S"
assert_not_contains "$out" "decoded from" "the first install (nothing to link from)"
# The installed files out of memory, as days after an install: they are read ahead of the
# workers (release/store/coldread.h), and nothing else changes.
python3 - "$S/releases/1.0.0" <<'PY' || fail "evicting 1.0.0 from the page cache"
import os, sys
os.sync()
for d, _, names in os.walk(sys.argv[1]):
    for name in names:
        fd = os.open(os.path.join(d, name), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
expect_rc 0 "$SLIPWAY" deploy "$A2" --root "$S"
assert_contains "$out" "activated 2.0.0"
files=$(find "$T/ref" -type f ! -name slipway-manifest.json | wc -l)
assert_contains "$out" "$((files - 12)) files"
decoded=$(sed -n 's/.*the rest decoded from \([0-9]*\) of \([0-9]*\) frames.*/\1 \2/p' <<<"$out")
[ -n "$decoded" ] || fail "no frame count in: $out"
read -r used total <<<"$decoded"
[ "$used" -ge 1 ] && [ "$used" -lt $((total / 2)) ] ||
	fail "decoded $used of $total frames for 12 changed files"
diff -r --no-dereference -x slipway-manifest.json "$T/ref" "$S/releases/2.0.0" ||
	fail "the delta install differs from tar -x"
assert_contains "$(cat "$S/meta/2.0.0.json")" "$(b2sum "$A2" | cut -c1-128)" \
	"the record's archive digest"
assert_eq "$(find "$S/releases/2.0.0" -type f -links 1 ! -name slipway-manifest.json | wc -l)" \
	12 "files of 2.0.0 not shared with 1.0.0"

# On a terminal the route draws the install's progress line too (specs/store.md "Install"),
# up to every file placed, the linked ones counted.
S5=$T/store5
new_store "$S5"
expect_rc 0 "$SLIPWAY" deploy "$A1" --root "$S5"
expect_rc 0 script -qefc "'$SLIPWAY' deploy '$A2' --root '$S5'" /dev/null
assert_contains "$out" "slipway: deploy: unpacking $files/$files files" "progress on a terminal"
assert_contains "$out" "$((files - 12)) linked" "progress on a terminal"
assert_contains "$out" "the rest decoded from" "the frames route drew it"

# A byte flipped in the big file's frame, which the delta route never decodes: the whole
# archive's signature refuses it.
S2=$T/store2
new_store "$S2"
expect_rc 0 "$SLIPWAY" deploy "$A1" --root "$S2"
mkdir "$T/bad" && cp "$A2" "$A2.minisig" "$T/bad/"
python3 "$REPO/tests/e2e/frames_tool.py" flip "$T/bad/fr-2.0.0.tar.zst" UNCHANGED-MARKER ||
	fail "frames_tool flip"
expect_rc 1 "$SLIPWAY" deploy "$T/bad/fr-2.0.0.tar.zst" --root "$S2"
assert_contains "$errout" "signature does not match the file"
assert_eq "$(grep -c . <<<"$errout")" 1 "lines of the refusal"
assert_no_file "$S2/releases/2.0.0"
assert_no_file "$S2/meta/2.0.0.json"
assert_eq "$(ls -A "$S2/staging")" "" "staging after the refusal"
assert_eq "$(current_of "$S2")" "releases/1.0.0" "current after the refusal"

# Bytes flipped in the frames of the changed files, which the route decodes: refused for the
# signature too, not for whichever file broke first.
rm -rf "$T/bad" && mkdir "$T/bad" && cp "$A2" "$A2.minisig" "$T/bad/"
python3 "$REPO/tests/e2e/frames_tool.py" flip "$T/bad/fr-2.0.0.tar.zst" "changed in release 2" ||
	fail "frames_tool flip"
expect_rc 1 "$SLIPWAY" deploy "$T/bad/fr-2.0.0.tar.zst" --root "$S2"
assert_contains "$errout" "signature does not match the file"
assert_eq "$(grep -c . <<<"$errout")" 1 "lines of the refusal"
assert_no_file "$S2/releases/2.0.0"
assert_eq "$(ls -A "$S2/staging")" "" "staging after the refusal"
assert_eq "$(current_of "$S2")" "releases/1.0.0" "current after the refusal"

# An installed file of 1.0.0 altered (made writable, edited, sealed again): the reuse rule
# refuses to link it, so it is written from its frame, and 2.0.0 is still the signed tree.
victim=big/unchanged.txt
chmod u+w "$S2/releases/1.0.0" "$S2/releases/1.0.0/tree/big" "$S2/releases/1.0.0/tree/$victim"
printf 'tampered\n' >>"$S2/releases/1.0.0/tree/$victim"
chmod a-w "$S2/releases/1.0.0" "$S2/releases/1.0.0/tree/big" "$S2/releases/1.0.0/tree/$victim"
expect_rc 0 "$SLIPWAY" deploy "$A2" --root "$S2"
assert_contains "$out" "$((files - 13)) files"
diff -r --no-dereference -x slipway-manifest.json "$T/ref" "$S2/releases/2.0.0" ||
	fail "2.0.0 differs from tar -x after an installed file was altered"
assert_eq "$(stat -c %h "$S2/releases/2.0.0/tree/$victim")" 1 "the altered file's copy"

# Frames of 8 MiB (the default): the whole tree is one frame, decoded up to the last file
# changed, so the unchanged files before it are compared with the installed copies (bytes
# against the frame's, not hashed). One of them, altered behind the store's back with its size
# and mode kept (a byte near the end of 540 KB, past the first pieces decoded), is written:
# the bytes that matched copied, the rest from the frame. The others are linked.
mkdir -p "$T/q1/tree/a" "$T/q1/tree/z"
head -c 400000 /dev/urandom | base64 -w 76 >"$T/q1/tree/a/big.txt"
GEN_TREE_MB=1 GEN_TREE_FILES=40 python3 "$REPO/tests/bench/gen_tree.py" "$T/q1/tree/m" >/dev/null
printf 'last\n' >"$T/q1/tree/z/last.txt"
printf '[app]\nname = cmp\nbuild =\n[bundle]\ninclude = tree\n' >"$T/q1/slipway.ini"
cp -a "$T/q1" "$T/q2"
printf 'changed in release 2\n' >>"$T/q2/tree/z/last.txt"
for n in 1 2; do
	expect_rc 0 "$SLIPWAY" pack "$T/q$n" --no-build --allow-no-services -s "$T/test.key" \
		--version "$n.0.0" --serial "$n" -o "$T/qout"
done
mkdir "$T/qref" && tar -C "$T/qref" -xf "$T/qout/cmp-2.0.0.tar.zst" || fail "GNU tar: cmp-2.0.0"
qfiles=$(find "$T/qref" -type f ! -name slipway-manifest.json | wc -l)
S6=$T/store6
new_store "$S6"
expect_rc 0 "$SLIPWAY" deploy "$T/qout/cmp-1.0.0.tar.zst" --root "$S6"
old=$S6/releases/1.0.0/tree/a/big.txt
chmod u+w "$S6/releases/1.0.0" "$S6/releases/1.0.0/tree/a" "$old"
size=$(stat -c %s "$old")
flip_byte "$old" $((size - 100))
cmp -s "$old" "$T/q1/tree/a/big.txt" && fail "the installed copy was not altered"
chmod a-w "$S6/releases/1.0.0" "$S6/releases/1.0.0/tree/a" "$old"
assert_eq "$(stat -c %s.%a "$old")" "$size.444" "the altered copy's size and mode"
expect_rc 0 "$SLIPWAY" deploy "$T/qout/cmp-2.0.0.tar.zst" --root "$S6"
assert_contains "$out" "$((qfiles - 2)) files"
assert_contains "$out" "decoded from 1 of 2 frames"
diff -r --no-dereference -x slipway-manifest.json "$T/qref" "$S6/releases/2.0.0" ||
	fail "2.0.0 differs from tar -x after a same-size alteration"
assert_eq "$(stat -c %h "$S6/releases/2.0.0/tree/a/big.txt")" 1 "the altered file's copy"
assert_eq "$(find "$S6/releases/2.0.0/tree/m" -type f -links 2 | wc -l)" \
	"$(find "$T/q1/tree/m" -type f | wc -l)" "unchanged files compared and linked"
cmp -s "$old" "$T/q1/tree/a/big.txt" && fail "the installed 1.0.0 copy was rewritten"

# Killed after the eighth file written from the frames: the next deploy sweeps and completes.
S3=$T/store3
new_store "$S3"
expect_rc 0 "$SLIPWAY" deploy "$A1" --root "$S3"
SLIPWAY_TEST_CRASH_AT=install-mid-unpack expect_rc 137 "$SLIPWAY" deploy "$A2" --root "$S3"
assert_eq "$(current_of "$S3")" "releases/1.0.0" "current after the kill"
assert_no_file "$S3/releases/2.0.0"
expect_rc 0 "$SLIPWAY" deploy "$A2" --root "$S3"
assert_contains "$out" "decoded from"
diff -r --no-dereference -x slipway-manifest.json "$T/ref" "$S3/releases/2.0.0" ||
	fail "2.0.0 differs from tar -x after the kill"
assert_eq "$(ls -A "$S3/staging")" "" "staging after the recovery"

# The seek table says frame 0 decompresses to 512 bytes more than it does (frame 1 to 512
# fewer): the delta route cannot read the manifest from frame 0 and leaves the archive to
# the whole route, which judges the file signature and unpacks the zstd stream (the table
# is a skippable frame). Unsigned as it now is, it is refused for its signature.
S4=$T/store4
new_store "$S4"
expect_rc 0 "$SLIPWAY" deploy "$A1" --root "$S4"
rm -rf "$T/bad" && mkdir "$T/bad" && cp "$A2" "$A2.minisig" "$T/bad/"
B=$T/bad/fr-2.0.0.tar.zst
python3 "$REPO/tests/e2e/frames_tool.py" shift "$B" 512 || fail "frames_tool shift"
expect_rc 1 "$SLIPWAY" deploy "$B" --root "$S4"
assert_contains "$errout" "signature does not match the file"
assert_eq "$(grep -c . <<<"$errout")" 1 "lines of the refusal"
assert_no_file "$S4/releases/2.0.0"
assert_eq "$(current_of "$S4")" "releases/1.0.0" "current after the refusal"
# Signed again as it is, with the same trusted comment: installed by the whole route.
tc=$(sed -n 's/^trusted comment: //p' "$B.minisig")
minisign -S -s "$T/test.key" -m "$B" -t "$tc" >/dev/null || fail "minisign -S"
expect_rc 0 "$SLIPWAY" deploy "$B" --root "$S4"
assert_contains "$out" "activated 2.0.0"
assert_not_contains "$out" "decoded from" "the whole route's output"
assert_eq "$(current_of "$S4")" "releases/2.0.0" "current after the whole route"
diff -r --no-dereference -x slipway-manifest.json "$T/ref" "$S4/releases/2.0.0" ||
	fail "2.0.0 from the whole route differs from tar -x"
assert_contains "$(cat "$S4/meta/2.0.0.json")" "$(b2sum "$B" | cut -c1-128)" \
	"the record's digest of the archive installed"
