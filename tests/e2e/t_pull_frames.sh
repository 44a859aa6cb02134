# e2e: long
# A partial pull (specs/channel.md "Partial pull"): with the previous release installed, pull
# fetches the seek table, frame 0 and only the frames holding files it lacks, with Range
# requests (several ranges each: multipart/byteranges) that nginx answers 206 (the bytes nginx
# logged are far below the archive's size);
# the tree installed is the release's byte for byte. A frame altered on the server (bytes
# flipped; or recompressed so that it decodes, with the seek table and a re-signed index to
# match) is refused with one line, nothing installed, `current` unchanged. A server that
# ignores Range (Python's http.server) gets a whole download. Keys are TEST KEYS.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
PIDS=
trap 'kill $NGINX_PID $PY_PID $PIDS 2>/dev/null; wait 2>/dev/null' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
test_key
S=$T/store C=$T/channel
mkdir -p "$C"
new_store "$S"

# Three releases of a 3 MB tree of 150 files (about fifty 64 KiB frames); each next one
# appends a line to three files.
mkdir -p "$T/p1"
GEN_TREE_MB=3 GEN_TREE_FILES=150 python3 "$REPO/tests/bench/gen_tree.py" "$T/p1/tree" >/dev/null
printf '[app]\nname = fr\nbuild =\n[bundle]\ninclude = tree\n' >"$T/p1/slipway.ini"
release() { # N: project p<N> from p<N-1>, packed as N.0.0, serial N
	local n=$1
	if [ "$n" -gt 1 ]; then
		cp -a "$T/p$((n - 1))" "$T/p$n"
		find "$T/p$n/tree" -type f | sort | awk -v n="$n" 'NR % 50 == n * 7 % 50' |
			while read -r f; do printf '// changed in release %s\n' "$n" >>"$f"; done
	fi
	expect_rc 0 "$SLIPWAY" pack "$T/p$n" --no-build --allow-no-services -s "$T/test.key" \
		--frame-size 64K --version "$n.0.0" --serial "$n" -o "$T/out"
}
release 1 && release 2 && release 3 && release 4

# No release installed: the whole archive.
expect_rc 0 "$SLIPWAY" publish "$T/out/fr-1.0.0.tar.zst" "$C" -s "$T/test.key" --no-patches
nginx_serve "$C"
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_contains "$out" "fetching the whole archive: no installed release to reuse files from"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after the first pull"

# Release 2: only the frames of the three changed files, through 206 answers.
expect_rc 0 "$SLIPWAY" publish "$T/out/fr-2.0.0.tar.zst" "$C" -s "$T/test.key" --no-patches
size=$(stat -c %s "$C/fr-2.0.0.tar.zst")
before=$(wc -l <"$NGINX_BYTES_LOG")
umask 077 # a hardened shell's: the files written from frames are still 0444 like those linked
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S" --json
umask 022
downloaded=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1]); size = int(sys.argv[2])
assert d["partial"] is True and d["version"] == "2.0.0", d
assert d["archive_size"] == size and 0 < d["downloaded"] < size // 2, d
assert 1 < d["frames_fetched"] < d["frames_total"] and d["ranges"] >= 3, d
assert d["received"] > d["downloaded"] and d["files_linked"] >= 140, d
assert 3 <= d["requests"] < d["ranges"], d  # the runs of frames asked for in one request
print(d["downloaded"], d["ranges"])' "$out" "$size") || fail "pull --json: $out"
archive_log=$(tail -n +$((before + 1)) "$NGINX_BYTES_LOG" | grep ' "GET /fr-2.0.0.tar.zst ')
assert_eq "$(echo "$archive_log" | grep -vc '^206 ')" "0" "archive answers other than 206"
sent=$(echo "$archive_log" | awk '{ s += $2 } END { print s }')
read -r downloaded ranges <<<"$downloaded"
# The multipart framing adds at most about 150 bytes a range.
[ "$sent" -ge "$downloaded" ] && [ "$sent" -le $((downloaded + 150 * ranges)) ] ||
	fail "nginx sent $sent bytes for $downloaded bytes of archive in $ranges ranges"
[ "$sent" -lt $((size / 2)) ] || fail "nginx sent $sent bytes of a $size-byte archive"
echo "partial pull: nginx sent $sent of $size archive bytes"
diff -r "$T/p2/tree" "$S/releases/2.0.0/tree" || fail "the pulled tree is not release 2"
odd=$(find "$S/releases/2.0.0/tree" \( -type f ! -perm 0444 ! -perm 0555 \) -o \( -type d ! -perm 0555 \) | head -3)
assert_eq "$odd" "" "files not 0444 or 0555, directories not 0555, pulled with umask 077"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after a partial pull"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a partial pull"
cmp -s "$S/channel.json" "$C/index.json" || fail "channel.json is not the accepted index"
expect_rc 0 "$SLIPWAY" status --root "$S"

# Release 3 with bytes flipped in the frame of a changed file: refused, nothing installed.
expect_rc 0 "$SLIPWAY" publish "$T/out/fr-3.0.0.tar.zst" "$C" -s "$T/test.key" --no-patches
cp "$C/index.json" "$T/index-3.json"
frames_tool() { python3 "$REPO/tests/e2e/frames_tool.py" "$@"; }
frames_tool flip "$C/fr-3.0.0.tar.zst" "changed in release 3" || fail "frames_tool flip"
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal: $errout"
assert_contains "$errout" "slipway: pull: "
assert_no_file "$S/releases/3.0.0"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after a flipped frame"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a refused pull"
assert_eq "$(ls -A "$S/staging")" "" "staging after a refused pull"

# Recompressed so that it decodes (seek table and signed index to match): the files it holds
# do not have the manifest's SHA-256.
cp "$T/out/fr-3.0.0.tar.zst" "$C/fr-3.0.0.tar.zst"
frames_tool rewrite "$C/fr-3.0.0.tar.zst" "changed in release 3" "CHANGED in release 3" ||
	fail "frames_tool rewrite"
zstd -t -q "$C/fr-3.0.0.tar.zst" || fail "the rewritten archive does not decode"
resign_index "$T/index-3.json" "$C/index.json" "$T/test.key" "
p['serial'] += 1
p['latest']['size'] = $(stat -c %s "$C/fr-3.0.0.tar.zst")
p['latest']['sha256'] = '$(sha256sum "$C/fr-3.0.0.tar.zst" | cut -d' ' -f1)'"
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal: $errout"
assert_contains "$errout" "the fetched frames do not hold the manifest's SHA-256"
assert_no_file "$S/releases/3.0.0"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after a rewritten frame"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a refused pull"

# A host whose 206 answers break the bounds asked for: refused, nothing installed. (The index
# publish wrote for release 3 again: it was never accepted.)
cp "$T/out/fr-3.0.0.tar.zst" "$C/fr-3.0.0.tar.zst"
cp "$T/index-3.json" "$C/index.json"
for mode in rangeextra rangeshift multibad multiextra; do
	port=$(free_port)
	python3 "$REPO/tests/e2e/pull_hostile_server.py" "$C" fr-3.0.0.tar.zst "$mode" "$port" \
		2>"$T/hostile-$mode.log" &
	hostile=$!
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/index.json"
	expect_rc 1 "$SLIPWAY" pull "http://127.0.0.1:$port" --root "$S"
	kill $hostile; wait $hostile 2>/dev/null
	assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal ($mode): $errout"
	case $mode in
	rangeextra) assert_contains "$errout" "more than the" ;;
	rangeshift) assert_contains "$errout" "Content-Range" ;;
	multibad) assert_contains "$errout" "Content-Range 'bytes" ;;
	multiextra) assert_contains "$errout" "multipart answer: stray text" ;;
	esac
	assert_no_file "$S/releases/3.0.0"
	assert_eq "$(current_of "$S")" "releases/2.0.0" "current after $mode"
	assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after $mode"
done

# A server without Range support: the whole archive, then installed as deploy does.
http_serve "$C"
expect_rc 0 "$SLIPWAY" pull "$PY_URL" --root "$S" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["partial"] is False and d["downloaded"] == int(sys.argv[2]), d' \
	"$out" "$(stat -c %s "$C/fr-3.0.0.tar.zst")" || fail "pull --json from http.server: $out"
assert_contains "$errout" "fetching the whole archive: the server ignores HTTP Range"
assert_eq "$(current_of "$S")" "releases/3.0.0" "current after a pull without Range"
diff -r "$T/p3/tree" "$S/releases/3.0.0/tree" || fail "the tree is not release 3"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a whole pull"

# Release 4 through a server that cuts its third Range answer (the frames, after the seek
# table and frame 0) halfway: exit 3, nothing installed, what was received kept in ROOT/tmp,
# with the list of the ranges wholly received (those of the cut answer too).
expect_rc 0 "$SLIPWAY" publish "$T/out/fr-4.0.0.tar.zst" "$C" -s "$T/test.key" --no-patches
sha=$(index_field "$C/index.json" latest.sha256)
# A slow transfer does not hold the store (specs/channel.md "Locks"): while the frames drip at
# about 10 KB a second, after the seek table and frame 0 were fetched, `current` can be moved
# at once, without waiting for the lock.
port=$(free_port)
python3 "$REPO/tests/e2e/pull_hostile_server.py" "$C" fr-4.0.0.tar.zst rangedrip "$port" \
	2>"$T/hostile-drip.log" &
hostile=$!
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/index.json"
SLIPWAY_STALL_TIMEOUT=120 "$SLIPWAY" pull "http://127.0.0.1:$port" --root "$S" >"$T/slow.out" 2>&1 &
slow=$!
PIDS="$hostile $slow"
# The request for the frames' ranges (several, after the seek table's and frame 0's).
poll_for 30 grep -q 'range=bytes=.*,' "$T/hostile-drip.log" ||
	fail "the frames were not fetched: $(cat "$T/slow.out" "$T/hostile-drip.log")"
SLIPWAY_LOCK_TIMEOUT=0 expect_rc 0 "$SLIPWAY" activate 2.0.0 --root "$S"
SLIPWAY_LOCK_TIMEOUT=0 expect_rc 0 "$SLIPWAY" activate 3.0.0 --root "$S"
kill -0 "$slow" || fail "the dripping pull ended early: $(cat "$T/slow.out")"
kill -TERM "$slow" $hostile
wait "$slow" $hostile 2>/dev/null
assert_no_file "$S/releases/4.0.0"
rm -f "$S/tmp/$sha".*
cut_pull() {
	local port hostile
	port=$(free_port)
	python3 "$REPO/tests/e2e/pull_hostile_server.py" "$C" fr-4.0.0.tar.zst rangecut "$port" \
		2>"$T/hostile-cut.log" &
	hostile=$!
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/index.json"
	expect_rc 3 "$SLIPWAY" pull "http://127.0.0.1:$port" --root "$S"
	kill $hostile
	wait $hostile 2>/dev/null
	assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the cut pull: $errout"
	assert_no_file "$S/releases/4.0.0"
	assert_eq "$(current_of "$S")" "releases/3.0.0" "current after a cut pull"
	assert_file "$S/tmp/$sha.tar.zst.frames"
	assert_file "$S/tmp/$sha.tar.zst.frames.done"
}
cut_pull
# Kept bytes altered before the next pull (frame 0's): refused, and both files removed.
printf 'XXXXXXXX' | dd of="$S/tmp/$sha.tar.zst.frames" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_rc 1 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal: $errout"
assert_no_file "$S/releases/4.0.0"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a refused resume"
# Cut again, then resumed from nginx: the seek table and frame 0 are not fetched again. A
# part of an archive the index no longer names goes.
cut_pull
touch "$S/tmp/$(printf '%064d' 0).tar.zst.frames"
# Kept: the seek table, frame 0, and the frames whose ranges the cut answer sent whole (the
# server counts them).
whole=$(sed -n 's/^cut: \([0-9]*\) bytes of whole ranges sent$/\1/p' "$T/hostile-cut.log")
[ -n "$whole" ] && [ "$whole" -gt 0 ] || fail "the cut answer sent no whole range: $(cat "$T/hostile-cut.log")"
kept=$(python3 -c 'import struct,sys
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<I", b[-9:-5])[0]
print(17 + 8 * n + struct.unpack("<I", b[-(17 + 8 * n) + 8:-(17 + 8 * n) + 12])[0] + int(sys.argv[2]))' \
	"$T/out/fr-4.0.0.tar.zst" "$whole")
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S" --json
python3 -c 'import json, sys
d = json.loads(sys.argv[1])
assert d["partial"] and d["version"] == "4.0.0" and d["frames_resumed"] == int(sys.argv[2]), d' \
	"$out" "$kept" || fail "resumed pull --json (expected frames_resumed $kept): $out"
assert_contains "$errout" "resumed: $kept bytes of frames were here from an interrupted pull"
diff -r "$T/p4/tree" "$S/releases/4.0.0/tree" || fail "the resumed tree is not release 4"
assert_eq "$(current_of "$S")" "releases/4.0.0" "current after a resumed pull"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after a resumed pull"
