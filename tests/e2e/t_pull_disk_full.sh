# A pull never fills the disk (specs/channel.md "`slipway pull URL`"): with the store on a
# small filesystem (a tmpfs in a private mount namespace), an archive larger than the space
# left is refused before its first byte (exit 3, one line naming both sizes), nothing of it
# left in ROOT/tmp; a disk that fills up during the download (a drip server, a filler file)
# ends the pull with exit 3 and the part removed; with room again, the pull installs. A push
# (Debian's sshd on loopback, in the namespace) to a host without room is refused the same
# way by the host, before the archive is sent.
# Keys are TEST KEYS.
if [ -z "${PULL_DISK_NS:-}" ]; then
	if ! unshare -m true 2>/dev/null; then
		echo "t_pull_disk_full: no private mount namespace here (needs root): not run" >&2
		exit 0
	fi
	exec unshare -m env PULL_DISK_NS=1 bash -c 'source "$1/lib.sh"; source "$2"' _ \
		"$REPO/tests/e2e" "$REPO/tests/e2e/t_pull_disk_full.sh"
fi
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
source "$REPO/tests/e2e/ssh_lib.sh"
PIDS=
trap 'kill $NGINX_PID $PIDS 2>/dev/null; sshd_stop; wait 2>/dev/null' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
test_key
C=$T/channel SMALL=$T/small
mkdir -p "$C" "$SMALL"
mount -t tmpfs -o size=2m tmpfs "$SMALL" || fail "cannot mount a tmpfs in the namespace"
S=$SMALL/store
new_store "$S"

# A release of about 3 MB (incompressible).
test_tree "$T/tree" 1.0.0
head -c 3000000 /dev/urandom >"$T/tree/app/blob.bin"
python3 "$MAKE_RELEASE" --tree "$T/tree" --app testapp --version 1.0.0 --serial 1 \
	--out "$T/rel-1.0.0.tar.zst" --sign "$T/test.key" >/dev/null || fail "make_release.py"
expect_rc 0 "$SLIPWAY" publish "$T/rel-1.0.0.tar.zst" "$C" -s "$T/test.key"
size=$(index_field "$C/index.json" latest.size)
nginx_serve "$C"
archive_parts() { find "$S/tmp" -name '*.tar.zst' 2>/dev/null | wc -l; }

# 2 MB: refused before the download.
before=$(wc -l <"$NGINX_LOG")
expect_rc 3 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal: $errout"
assert_contains "$errout" "slipway: pull: not enough space in $S/tmp for the archive: $size bytes needed, "
assert_contains "$errout" " available; nothing downloaded"
assert_eq "$(tail -n +$((before + 1)) "$NGINX_LOG" | grep -c 'GET /testapp-1.0.0.tar.zst ')" "0" \
	"archive requests after the refusal"
assert_eq "$(archive_parts)" "0" "parts of the archive in ROOT/tmp"
assert_no_file "$S/current"

# push to a host store there: the host refuses before the archive is read.
H=$SMALL/host
new_store "$H"
sshd_serve
expect_rc 3 "$SLIPWAY" push 127.0.0.1 "$T/rel-1.0.0.tar.zst" -p "$SSH_PORT" -F "$SSH_CONFIG" \
	--slipway "$SLIPWAY" --root "$H" --no-wait
assert_contains "$errout" "not enough space in $H/tmp for "
assert_contains "$errout" ": $size bytes needed, "
assert_eq "$(find "$H/tmp" -name 'push.*' | wc -l)" "0" "push files left in ROOT/tmp"
assert_no_file "$H/current"
echo "push to a full host: $errout"

# 12 MB, filled while the archive drips in: the pull stops, the part removed.
mount -o remount,size=12m "$SMALL" || fail "cannot grow the tmpfs"
port=$(free_port)
python3 "$REPO/tests/e2e/pull_hostile_server.py" "$C" testapp-1.0.0.tar.zst drip "$port" \
	2>"$T/drip.log" &
PIDS="$PIDS $!"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/index.json"
"$SLIPWAY" pull "http://127.0.0.1:$port" --root "$S" >"$T/pull.out" 2>"$T/pull.err" &
puller=$!
wait_for 20 bash -c "find '$S/tmp' -name '*.tar.zst' -size +1k | grep -q ."
dd if=/dev/zero of="$SMALL/filler" bs=64k 2>/dev/null # until the disk is full
wait_for 20 bash -c "! kill -0 $puller 2>/dev/null"
wait "$puller"
rc=$?
assert_eq "$rc" "3" "exit of a pull that filled the disk ($(cat "$T/pull.err"))"
assert_contains "$(cat "$T/pull.err")" "No space left on device; the part is removed"
assert_eq "$(archive_parts)" "0" "parts of the archive in ROOT/tmp after the disk filled"
assert_no_file "$S/current"

# Room again: installed.
rm -f "$SMALL/filler"
expect_rc 0 "$SLIPWAY" pull "$NGINX_URL" --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after the pull with room"
cmp -s "$S/releases/1.0.0/app/blob.bin" "$T/tree/app/blob.bin" || fail "blob differs"
