# e2e: long
# slipway push sends only what the host lacks (specs/cli.md "push"), over Debian's sshd on
# loopback (throwaway TEST keys): v1 goes whole (nothing installed to link from); v2, three
# files with a line appended, goes as the seek table, frame 0 and a patch set of those files
# whole (no base beside it: far below the archive's size); v3 with --base and v4 with its
# base beside it as zpatches (below 10 %); each host tree is GNU tar's extraction of its
# archive; a push whose stream is cut halfway (the host's stdin ends) is exit 3, nothing
# installed, current unchanged, ROOT/tmp empty; the host's requests fed by hand are checked.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/ssh_lib.sh"
trap 'sshd_stop' EXIT
test_key
H=$T/host
new_store "$H"

# Releases of a 3 MB tree of 150 files in 64 KiB frames; each next one appends a line to
# three files.
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
release 1 && release 2 && release 3 && release 4 && release 5
sshd_serve
push() { "$SLIPWAY" push 127.0.0.1 "$@" -p "$SSH_PORT" -F "$SSH_CONFIG" --slipway "$SLIPWAY" --root "$H" --no-wait; }
# json_check JSON PYEXPR: PYEXPR over d (push's --json) and size must hold; prints d["sent"].
json_check() {
	python3 -c 'import json, sys
d = json.loads(sys.argv[1]); size = int(sys.argv[3])
assert eval(sys.argv[2]), d
print(d["sent"])' "$1" "$2" "$3" || fail "push --json: $1 (expected $2)"
}
# same_tree N: the host's release N.0.0 is GNU tar's extraction of its archive.
same_tree() {
	mkdir -p "$T/x$1" && tar --zstd -xf "$T/out/fr-$1.0.0.tar.zst" -C "$T/x$1" || fail "tar -x $1"
	diff -r "$T/x$1/tree" "$H/releases/$1.0.0/tree" || fail "the host's $1.0.0 is not the archive's tree"
}

# v1: no release to link from, so the archive goes whole.
size1=$(stat -c %s "$T/out/fr-1.0.0.tar.zst")
expect_rc 0 push "$T/out/fr-1.0.0.tar.zst" --json
json_check "$out" 'not d["partial"] and d["exit"] == 0 and size < d["sent"] < size + 3000' "$size1" >/dev/null
assert_contains "$errout" "installed 1.0.0"
same_tree 1

# v2 from a directory without v1 beside it: the frames of the three changed files only.
mkdir -p "$T/lone" && cp "$T/out/fr-2.0.0.tar.zst" "$T/out/fr-2.0.0.tar.zst.minisig" "$T/lone/"
size2=$(stat -c %s "$T/lone/fr-2.0.0.tar.zst")
expect_rc 0 push "$T/lone/fr-2.0.0.tar.zst" --json
sent2=$(json_check "$out" 'd["partial"] and d["exit"] == 0 and 0 < d["sent"] < size // 4' "$size2")
echo "partial push without a base: sent $sent2 of $size2 archive bytes"
assert_contains "$errout" "patch set against nothing: 0 files patched, 3 whole"
assert_contains "$errout" "sending 2.0.0 to 127.0.0.1: what it lacks of the $size2-byte archive"
assert_contains "$errout" "installed 2.0.0"
assert_contains "$errout" "activated 2.0.0"
assert_not_contains "$errout" "slipway: push:"
same_tree 2
assert_eq "$(current_of "$H")" "releases/2.0.0" "current after a partial push"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a partial push"
expect_rc 0 "$SLIPWAY" status --root "$H"

# v3 with --base (v2's archive, which the host runs): the three files as zpatches against
# the host's, the patch set a small fraction of the archive.
mkdir -p "$T/lone3" && cp "$T/out/fr-3.0.0.tar.zst" "$T/out/fr-3.0.0.tar.zst.minisig" "$T/lone3/"
size3=$(stat -c %s "$T/lone3/fr-3.0.0.tar.zst")
expect_rc 0 push "$T/lone3/fr-3.0.0.tar.zst" --base "$T/out/fr-2.0.0.tar.zst" --json
sent3=$(json_check "$out" 'd["partial"] and d["exit"] == 0 and 0 < d["sent"] < size // 10' "$size3")
echo "partial push with --base: sent $sent3 of $size3 archive bytes"
assert_contains "$errout" "patch set against 2.0.0: 3 files patched, 0 whole"
assert_contains "$errout" "files patched"
same_tree 3
# v4 from pack's output directory: its base, fr-3.0.0.tar.zst beside it, found by name.
size4=$(stat -c %s "$T/out/fr-4.0.0.tar.zst")
expect_rc 0 push "$T/out/fr-4.0.0.tar.zst" --json
sent4=$(json_check "$out" 'd["partial"] and d["exit"] == 0 and 0 < d["sent"] < size // 10' "$size4")
assert_contains "$errout" "patch set against 3.0.0: 3 files patched, 0 whole"
same_tree 4
assert_eq "$(current_of "$H")" "releases/4.0.0" "current after patched pushes"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after patched pushes"

# v4 pushed again (a re-run CI job): the host has it from frames, and the offer's manifest
# digest is the one its record names: nothing is sent, the host's tree is still v4's.
expect_rc 0 push "$T/out/fr-4.0.0.tar.zst" --json
json_check "$out" 'd["skipped"] and d["exit"] == 0 and d["sent"] < 2000' 0 >/dev/null
assert_contains "$errout" "4.0.0 is already installed from this archive"
same_tree 4

# v5 through a host whose stdin ends halfway through what a partial push sends: exit 3.
# (dd passes on what it reads at once; head -c would hold it in its stdio buffer)
printf '#!/bin/sh\ndd iflag=count_bytes count=%s bs=4096 status=none | "%s" "$@"\n' \
	$((sent4 / 2)) "$SLIPWAY" >"$T/cut.sh"
chmod +x "$T/cut.sh"
expect_rc 3 "$SLIPWAY" push 127.0.0.1 "$T/out/fr-5.0.0.tar.zst" -p "$SSH_PORT" -F "$SSH_CONFIG" \
	--slipway "$T/cut.sh" --root "$H" --no-wait
assert_contains "$errout" "slipway: receive: "
assert_contains "$errout" "the stream ended"
assert_no_file "$H/releases/5.0.0"
assert_eq "$(current_of "$H")" "releases/4.0.0" "current after a cut push"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a cut push"

# The host's end fed by hand: after "partial" it asks for the seek table first; a reply
# of another length is refused before a byte is written, and nothing is installed.
hash=$(printf '%0128d' 0)
tsize=$(python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); n=struct.unpack("<I",b[-9:-5])[0]; print(17+8*n)' "$T/out/fr-5.0.0.tar.zst")
size5=$(stat -c %s "$T/out/fr-5.0.0.tar.zst")
sig=$(stat -c %s "$T/out/fr-5.0.0.tar.zst.minisig")
expect_rc 1 sh -c '{ printf "slipway-push 2\noffer 5.0.0 %s %s %s -\nminisig %s\n" "$1" "$2" "$3" "$4";
	cat "$5"; printf "end\nranges 1\n"; } | "$6" receive --root "$7"' _ "$hash" "$size5" "$tsize" "$sig" \
	"$T/out/fr-5.0.0.tar.zst.minisig" "$SLIPWAY" "$H"
assert_eq "$out" "$(printf 'partial\nranges 1\n%s %s' $((size5 - tsize)) "$tsize")" "the host's answer and request"
assert_contains "$errout" "push answered 1 bytes for $tsize bytes of ranges"
assert_no_file "$H/releases/5.0.0"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a bad reply"
assert_eq "$(current_of "$H")" "releases/4.0.0" "current at the end"

# A patch set that takes longer to build than the host's stall deadline (2 s here; a test hook
# makes each of the three files take 1.2 s): push's "wait" lines keep the host waiting, and v5
# installs. A single file slower than the deadline is a stall: exit 3, nothing installed.
printf '#!/bin/sh\nSLIPWAY_STALL_TIMEOUT=2 exec "%s" "$@"\n' "$SLIPWAY" >"$T/impatient.sh"
chmod +x "$T/impatient.sh"
slow_push() { # MS
	SLIPWAY_TEST_PATCH_DELAY_MS=$1 "$SLIPWAY" push 127.0.0.1 "$T/out/fr-5.0.0.tar.zst" \
		-p "$SSH_PORT" -F "$SSH_CONFIG" --slipway "$T/impatient.sh" --root "$H" --no-wait
}
expect_rc 3 slow_push 2600
assert_contains "$errout" "slipway: receive: "
assert_no_file "$H/releases/5.0.0"
assert_eq "$(current_of "$H")" "releases/4.0.0" "current after a stalled push"
expect_rc 0 slow_push 1200
assert_contains "$out" "patch set against 4.0.0: 3 files patched, 0 whole"
assert_contains "$out$errout" "activated 5.0.0"
same_tree 5
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a slow patch set"

# An older release the host no longer has (pruned): refused as a downgrade; with
# --allow-downgrade the frames path hands over to the whole archive ("whole"), which the host
# installs as deploy --allow-downgrade does.
expect_rc 0 "$SLIPWAY" prune --keep 0 --root "$H"
assert_no_file "$H/releases/2.0.0"
expect_rc 1 push "$T/out/fr-2.0.0.tar.zst"
assert_contains "$errout" "downgrade refused"
assert_no_file "$H/releases/2.0.0"
expect_rc 0 push "$T/out/fr-2.0.0.tar.zst" --allow-downgrade --json
json_check "$out" 'd["exit"] == 0 and size < d["sent"] < size + 3000' "$size2" >/dev/null
assert_contains "$errout" "received the whole archive: a downgrade, allowed"
assert_contains "$errout" "downgrade allowed by --allow-downgrade"
same_tree 2
assert_eq "$(current_of "$H")" "releases/2.0.0" "current after an allowed downgrade"
assert_eq "$(downloads_left "$H")" "" "ROOT/tmp after a whole fallback"
