# Hostile review, round 3, class 1: the static-asset carry linked what delta install refuses.
# specs/store.md "Static assets across releases": "A file is carried only when the rule of
# "Reusing installed files" accepts it against the manifest of the release that owns it, as a
# delta install would; one that was made writable, replaced by a link to another user's file,
# or rewritten after install is not carried". Each of the three cases, plus two variants: an
# asset replaced by a FIFO (skipped, never waited for) and a release whose own manifest was
# made writable (it carries nothing). An untouched asset is carried, as a hard link.
source "$REPO/tests/e2e/store_lib.sh"
[ "$(id -u)" = 0 ] || { echo "skipping: a file of another user needs root"; exit 0; }
test_key
static=.next/static/chunks

rel() { # VERSION SERIAL: a test tree with a Next.js static directory of five assets
	rm -rf "$T/tree-$1"
	test_tree "$T/tree-$1" "$1"
	mkdir -p "$T/tree-$1/$static"
	for a in chmod link rewrite fifo good; do
		printf '%s asset %s\n' "$1" "$a" >"$T/tree-$1/$static/$1-$a.js"
	done
	python3 "$MAKE_RELEASE" --tree "$T/tree-$1" --app testapp --version "$1" --serial "$2" \
		--out "$T/rel-$1.tar.zst" --sign "$T/test.key" >/dev/null || fail "make_release $1"
}
ino() { stat -c %i "$1"; }

S="$T/store"
new_store "$S"
rel 1.0.0 1
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
A="$S/releases/1.0.0/$static"

# 1. made writable (chmod 0644), content unchanged.
chmod 0644 "$A/1.0.0-chmod.js"
# 2. replaced by a hard link to a file another user owns (same bytes as the manifest's).
cp "$A/1.0.0-link.js" "$T/foreign"
chown 65534:65534 "$T/foreign"
chmod 0444 "$T/foreign"
chmod u+w "$A"
rm -f "$A/1.0.0-link.js"
ln "$T/foreign" "$A/1.0.0-link.js"
# 3. rewritten after install, its read-only mode restored.
chmod u+w "$A/1.0.0-rewrite.js"
echo 'alert("served by a compromised release")' >"$A/1.0.0-rewrite.js"
chmod 0444 "$A/1.0.0-rewrite.js"
# Variant: a FIFO in an asset's place.
rm -f "$A/1.0.0-fifo.js"
mkfifo "$A/1.0.0-fifo.js"
chmod a-w "$A"

rel 2.0.0 2
expect_rc 0 timeout 60 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
B="$S/releases/2.0.0/$static"
for a in chmod link rewrite fifo; do
	assert_no_file "$B/1.0.0-$a.js"
done
assert_eq "$(ino "$B/1.0.0-good.js")" "$(ino "$A/1.0.0-good.js")" "the untouched asset, carried as a link"
# The other way: 2.0.0's own assets reached 1.0.0, whose directory is read-only again.
assert_eq "$(ino "$A/2.0.0-good.js")" "$(ino "$B/2.0.0-good.js")" "2.0.0's asset in 1.0.0"
assert_eq "$(stat -c %a "$A")" "555" "1.0.0's static directory mode"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current"

# Variant: a release whose manifest is no longer as install left it carries nothing; the
# intact release still does.
chmod 0644 "$S/releases/2.0.0/slipway-manifest.json"
rel 3.0.0 3
expect_rc 0 "$SLIPWAY" deploy "$T/rel-3.0.0.tar.zst" --root "$S"
C="$S/releases/3.0.0/$static"
assert_no_file "$C/2.0.0-good.js"
assert_eq "$(ino "$C/1.0.0-good.js")" "$(ino "$A/1.0.0-good.js")" "1.0.0's asset in 3.0.0"
# Nothing was written through the foreign link: the other user's file is unchanged.
assert_eq "$(stat -c %u:%a:%h "$T/foreign")" "65534:444:2" "the foreign file"
