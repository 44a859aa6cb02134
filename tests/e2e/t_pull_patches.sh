# Patch sets in a channel (specs/channel.md "The channel", "Partial pull"): publish writes
# <app>-<v2>.from-<v1>.patches against the previous index's archive and names it in the
# index; a host holding v1 pulls v2 by the patch set (files with a line appended as patches,
# a new and a replaced file whole), fetching no data frame, far below the archive's size; the
# tree installed is GNU tar's extraction of the v2 archive (an independent judge). A host
# without the release the patch set is made against pulls by frames; one whose base file is a
# symlink never reads through it (the frames serve that file). Hostile: a patch set
# whose bytes are not the index's sha256, and one altered with a re-signed index to match,
# are refused with one line, nothing installed, `current` unchanged; a patch set missing on
# the server (404) leaves the frames to serve. Keys are TEST KEYS.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
trap 'kill $NGINX_PID 2>/dev/null; wait 2>/dev/null' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
test_key
S=$T/store C=$T/channel
mkdir -p "$C"
new_store "$S"

# A 3 MB tree of 150 files, packed with pack's default frame size (one data frame).
mkdir -p "$T/p1"
GEN_TREE_MB=3 GEN_TREE_FILES=150 python3 "$REPO/tests/bench/gen_tree.py" "$T/p1/tree" >/dev/null
printf '[app]\nname = pp\nbuild =\n[bundle]\ninclude = tree\n' >"$T/p1/slipway.ini"
pack() { # N: project p<N> as N.0.0, serial N
	expect_rc 0 "$SLIPWAY" pack "$T/p$1" --no-build --allow-no-services -s "$T/test.key" \
		--version "$1.0.0" --serial "$1" -o "$T/out"
}
# next N: project p<N> from p<N-1>: a line appended to three files, one file replaced by
# 2 KB of new bytes, one new file.
next() {
	local n=$1 files
	cp -a "$T/p$((n - 1))" "$T/p$n"
	mapfile -t files < <(find "$T/p$n/tree" -type f -size +1k | sort)
	for i in 3 40 77; do printf '// changed in release %s\n' "$n" >>"${files[$i]}"; done
	head -c 2048 /dev/urandom >"${files[100]}"
	printf 'new in release %s\n' "$n" >"$T/p$n/tree/new-$n.txt"
}
pack 1 && next 2 && pack 2 && next 3 && pack 3
extracted() { # N: the tree GNU tar extracts from release N's archive
	mkdir -p "$T/x$1"
	tar --zstd -xf "$T/out/pp-$1.0.0.tar.zst" -C "$T/x$1" || fail "tar -x of release $1"
	echo "$T/x$1/tree"
}

expect_rc 0 "$SLIPWAY" publish "$T/out/pp-1.0.0.tar.zst" "$C" -s "$T/test.key"
assert_not_contains "$out" "patch set" "the first publish"
nginx_serve "$C"
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after the first pull"

# Release 2: publish writes the patch set and the index names it.
expect_rc 0 "$SLIPWAY" publish "$T/out/pp-2.0.0.tar.zst" "$C" -s "$T/test.key" --json
patches=pp-2.0.0.from-1.0.0.patches
assert_file "$C/$patches"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])["patches"]
assert d["file"] == sys.argv[2] and d["from"] == "1.0.0", d
assert d["files_patched"] >= 3 and d["files_full"] >= 1, d
assert d["size"] == int(sys.argv[3]), d' "$out" "$patches" "$(stat -c %s "$C/$patches")" ||
	fail "publish --json: $out"
assert_eq "$(index_field "$C/index.json" latest.patches.file)" "$patches" "latest.patches.file"
assert_eq "$(index_field "$C/index.json" latest.patches.from)" "1.0.0" "latest.patches.from"
assert_eq "$(index_field "$C/index.json" latest.patches.sha256)" \
	"$(sha256sum "$C/$patches" | cut -d' ' -f1)" "latest.patches.sha256"

# The same archive published again (a later expiry) keeps its patch set.
expect_rc 0 "$SLIPWAY" publish "$T/out/pp-2.0.0.tar.zst" "$C" -s "$T/test.key"
assert_contains "$out" "patch set $patches against 1.0.0 kept"
assert_eq "$(index_field "$C/index.json" latest.patches.file)" "$patches" "kept latest.patches"

size=$(stat -c %s "$C/pp-2.0.0.tar.zst")
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S" --json
python3 -c '
import json, sys
d = json.loads(sys.argv[1]); size = int(sys.argv[2])
assert d["partial"] is True and d["version"] == "2.0.0", d
assert d["files_patched"] >= 3 and d["files_patched_whole"] >= 1, d
assert d["patches_received"] > 0 and d["frames_fetched"] == 1, d  # frame 0 only
got = d["downloaded"] + d["patches_received"]
assert got * 100 < size * 5, ("bytes received", got, "archive", size)
print(d["files_patched"])' "$out" "$size" >"$T/patched" || fail "pull --json: $out"
patched=$(cat "$T/patched")
assert_contains "$errout" "patch set $patches: "
diff -r "$(extracted 2)" "$S/releases/2.0.0/tree" || fail "the pulled tree is not release 2"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after a pull by patch set"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a pull by patch set"

# The whole archive of the release pulled by parts is the same release (its signed comment
# names the manifest the record names); another archive of that version is not.
expect_rc 0 "$SLIPWAY" deploy "$T/out/pp-2.0.0.tar.zst" --root "$S"
assert_contains "$out" "2.0.0 is already installed from this archive"
expect_rc 0 "$SLIPWAY" pack "$T/p3" --no-build --allow-no-services -s "$T/test.key" \
	--version 2.0.0 --serial 2 -o "$T/other"
expect_rc 1 "$SLIPWAY" deploy "$T/other/pp-2.0.0.tar.zst" --root "$S"
assert_contains "$errout" "version 2.0.0 is already installed from a different archive"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after deploying release 2 again"

# A host whose release 1 has, at the path of a patched file, a symlink to a copy of that
# file's old bytes: the base is never read through it (its zpatch is left to the frames), and
# the tree is release 2's all the same.
S2=$T/store2
new_store "$S2"
expect_rc 0 "$SLIPWAY" deploy "$T/out/pp-1.0.0.tar.zst" --root "$S2"
rel=$(cd "$T/p1" && find tree -type f -size +1k | sort | sed -n 4p)
planted=$S2/releases/1.0.0/$rel
cp "$planted" "$T/outside-copy"
chmod u+w "$(dirname "$planted")"
rm -f "$planted" && ln -s "$T/outside-copy" "$planted"
chmod u-w "$(dirname "$planted")"
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S2" --json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["version"] == "2.0.0" and d["patches_received"] > 0, d
assert d["files_patched"] == int(sys.argv[2]) - 1 and d["frames_fetched"] > 1, d
' "$out" "$patched" || fail "pull --json with a planted base: $out"
diff -r "$(extracted 2)" "$S2/releases/2.0.0/tree" || fail "store2's tree is not release 2"
cmp -s "$T/outside-copy" "$T/p1/$rel" || fail "the symlink's target changed"

# Release 3: patch sets against 2.0.0 (latest.patches) and against 1.0.0, the release the
# previous index's patch set was made against (latest.older_patches).
expect_rc 0 "$SLIPWAY" publish "$T/out/pp-3.0.0.tar.zst" "$C" -s "$T/test.key" --json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["patches"]["from"] == "2.0.0" and [o["from"] for o in d["older_patches"]] == ["1.0.0"], d
' "$out" || fail "publish --json of release 3: $out"
assert_eq "$(index_field "$C/index.json" latest.patches.from)" "2.0.0" "latest.patches.from"
older=pp-3.0.0.from-1.0.0.patches
assert_eq "$(python3 -c 'import json,sys,base64
e = json.loads(open(sys.argv[1]).read())
o = json.loads(base64.b64decode(e["payload"]))["latest"]["older_patches"]
print(" ".join("%s %s %s %d" % (x["from"], x["file"], x["sha256"], x["size"]) for x in o))' "$C/index.json")" \
	"1.0.0 $older $(sha256sum "$C/$older" | cut -d' ' -f1) $(stat -c %s "$C/$older")" \
	"latest.older_patches"
cp "$C/index.json" "$T/index-3.json"
cp "$C/pp-3.0.0.from-2.0.0.patches" "$T/good.patches"
# pull_holding_1 STORE: a new store that holds release 1 only, then `pull --json`.
pull_holding_1() {
	new_store "$1"
	expect_rc 0 "$SLIPWAY" deploy "$T/out/pp-1.0.0.tar.zst" --root "$1"
	expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$1" --json
}
# A host that holds release 1 only (it missed release 2) pulls release 3 by the patch set
# made against 1.0.0: frame 0 is the only frame fetched.
S1=$T/store1
pull_holding_1 "$S1"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["partial"] is True and d["patches_from"] == "1.0.0" and d["patches_received"] > 0, d
assert d["frames_fetched"] == 1, d' "$out" || fail "pull --json without 2.0.0: $out"
assert_contains "$errout" "patch set $older: "
diff -r "$(extracted 3)" "$S1/releases/3.0.0/tree" || fail "store1's tree is not release 3"
# --patch-depth 1 (the same archive published again keeps one patch set): such a host has
# no patch set for it, and the frames serve.
expect_rc 0 "$SLIPWAY" publish "$T/out/pp-3.0.0.tar.zst" "$C" -s "$T/test.key" --patch-depth 1
assert_eq "$(index_field "$C/index.json" latest | python3 -c 'import ast,sys
print(sorted(k for k in ast.literal_eval(sys.stdin.read()) if "patches" in k))')" "['patches']" \
	"the patch sets of the index at depth 1"
S1b=$T/store1b
pull_holding_1 "$S1b"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["partial"] is True and d["patches_received"] == 0 and d["patches_from"] is None, d
assert d["frames_fetched"] > 1, d' "$out" || fail "pull --json at depth 1 without 2.0.0: $out"
diff -r "$(extracted 3)" "$S1b/releases/3.0.0/tree" || fail "store1b's tree is not release 3"
cp "$T/index-3.json" "$C/index.json"

# refused WHAT: the pull on $S exits 1 with one line and leaves nothing.
refused() {
	expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
	assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal ($1): $errout"
	assert_contains "$errout" "slipway: pull: "
	assert_no_file "$S/releases/3.0.0"
	assert_eq "$(current_of "$S")" "releases/2.0.0" "current after $1"
	assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after $1"
	assert_eq "$(ls -A "$S/staging")" "" "staging after $1"
}
# A byte of the patch set altered on the server: not the index's sha256.
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 0x55
open(sys.argv[1], "wb").write(b)' "$C/pp-3.0.0.from-2.0.0.patches"
refused "an altered patch set"
assert_contains "$errout" "of the patch set is not the index's"
# The same bytes with an index re-signed to name them: the patch set itself is judged.
resign_index "$T/index-3.json" "$C/index.json" "$T/test.key" "
p['serial'] += 1
p['latest']['patches']['sha256'] = '$(sha256sum "$C/pp-3.0.0.from-2.0.0.patches" | cut -d' ' -f1)'"
refused "an altered patch set, re-signed"
# A patch set that is not there (404): the frames serve.
cp "$T/index-3.json" "$C/index.json"
rm "$C/pp-3.0.0.from-2.0.0.patches"
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S" --json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["version"] == "3.0.0" and d["patches_received"] == 0 and d["frames_fetched"] > 1, d' \
	"$out" || fail "pull --json without the patch set: $out"
diff -r "$(extracted 3)" "$S/releases/3.0.0/tree" || fail "the pulled tree is not release 3"
assert_eq "$(current_of "$S")" "releases/3.0.0" "current after a pull by frames"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a pull by frames"
