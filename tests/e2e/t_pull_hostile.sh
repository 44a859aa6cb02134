# slipway pull against hostile hosts (tests/e2e/pull_hostile_server.py): more bytes than the
# index's size, a Content-Length that disagrees, a stall and a slow drip of about 1 KB a
# second (SLIPWAY_STALL_TIMEOUT=2), each one
# clear line, nothing installed, `current` untouched; a stalled part is kept and the next
# pull, from a server without Range support (python's http.server), restarts from zero.
# Keys are TEST KEYS.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/pull_lib.sh"
PIDS=
trap 'kill $PIDS 2>/dev/null; wait 2>/dev/null' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
test_key
S=$T/store C=$T/channel
mkdir -p "$C"
new_store "$S"
release 1.0.0 10
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
big_release 2.0.0 20
expect_rc 0 "$SLIPWAY" publish "$T/rel-2.0.0.tar.zst" "$C" -s "$T/test.key"
sha=$(index_field "$C/index.json" latest.sha256)
size=$(index_field "$C/index.json" latest.size)

# hostile MODE: serves $C with the archive answered per MODE; sets $URL.
hostile() {
	local port
	port=$(free_port)
	python3 "$REPO/tests/e2e/pull_hostile_server.py" "$C" testapp-2.0.0.tar.zst "$1" "$port" \
		2>"$T/server-$1.log" &
	PIDS="$PIDS $!"
	URL=http://127.0.0.1:$port
	wait_for 10 curl -sf -o /dev/null "$URL/index.json"
}

untouched() { # WHAT
	assert_eq "$(current_of "$S")" "releases/1.0.0" "current after $1"
	assert_no_file "$S/releases/2.0.0"
	assert_no_file "$S/channel.json"
	assert_eq "$(echo "$errout" | wc -l)" "1" "lines of the refusal ($1)"
}

hostile extra
expect_rc 1 "$SLIPWAY" pull "$URL" --root "$S"
assert_contains "$errout" "more than the index's $size bytes"
untouched "more bytes than the index's size"
assert_no_file "$S/tmp/$sha.tar.zst"

hostile badlen
expect_rc 1 "$SLIPWAY" pull "$URL" --root "$S"
assert_contains "$errout" "Content-Length $((size - 1)), expected $size"
untouched "a wrong Content-Length"

hostile stall
start=$(date +%s)
SLIPWAY_STALL_TIMEOUT=2 expect_rc 3 "$SLIPWAY" pull "$URL" --root "$S"
took=$(($(date +%s) - start))
assert_contains "$errout" "stalled: less than 4096 bytes a second for 2 s (SLIPWAY_STALL_TIMEOUT)"
[ "$took" -lt 15 ] || fail "a 2 s stall deadline took $took s"
untouched "a stall"
# The part received stays for the next pull.
assert_eq "$(stat -c %s "$S/tmp/$sha.tar.zst")" "$((size / 2))" "part kept after a stall"

# A slow drip (about 1 KB a second, never silent for a second): cut as a stall, the part kept.
rm -f "$S/tmp/$sha.tar.zst"
hostile drip
start=$(date +%s)
SLIPWAY_STALL_TIMEOUT=2 expect_rc 3 "$SLIPWAY" pull "$URL" --root "$S"
took=$(($(date +%s) - start))
assert_contains "$errout" "stalled: less than 4096 bytes a second for 2 s (SLIPWAY_STALL_TIMEOUT)"
[ "$took" -lt 15 ] || fail "a drip against a 2 s stall deadline took $took s"
untouched "a slow drip"
kept=$(stat -c %s "$S/tmp/$sha.tar.zst")
[ "$kept" -gt 0 ] && [ "$kept" -lt $((size / 10)) ] || fail "drip: $kept of $size bytes kept"
SLIPWAY_STALL_TIMEOUT=0 expect_rc 2 "$SLIPWAY" pull "$URL" --root "$S"
assert_contains "$errout" "SLIPWAY_STALL_TIMEOUT needs seconds from 1 to 3600, not '0'"

# A slow download does not hold the store (specs/channel.md "Locks"): while a pull drips,
# deploy and rollback take the store lock at once, and a second pull is told which one runs.
rm -f "$S/tmp/$sha.tar.zst"
release 1.5.0 15
SLIPWAY_STALL_TIMEOUT=120 "$SLIPWAY" pull "$URL" --root "$S" >"$T/slow.out" 2>&1 &
slow=$!
PIDS="$PIDS $slow"
part_grows() { [ "$(stat -c %s "$S/tmp/$sha.tar.zst" 2>/dev/null || echo 0)" -gt 0 ]; }
wait_for 20 part_grows
SLIPWAY_LOCK_TIMEOUT=0 expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.5.0.tar.zst" --root "$S"
SLIPWAY_LOCK_TIMEOUT=0 expect_rc 0 "$SLIPWAY" rollback --root "$S"
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after a rollback during a pull"
SLIPWAY_LOCK_TIMEOUT=0 expect_rc 3 "$SLIPWAY" pull "$URL" --root "$S"
assert_contains "$errout" "another pull or push is running: pid $slow (waited 0.0 s; see SLIPWAY_LOCK_TIMEOUT)"
kill -0 "$slow" || fail "the dripping pull ended early: $(cat "$T/slow.out")"
kill -TERM "$slow"
wait "$slow" 2>/dev/null || true
assert_eq "$(current_of "$S")" "releases/1.0.0" "current after the dripping pull was stopped"
assert_no_file "$S/releases/2.0.0"

# A server without Range support: the 200 answer restarts the download from zero.
http_serve "$C"
PIDS="$PIDS $PY_PID"
expect_rc 0 "$SLIPWAY" pull "$PY_URL" --root "$S"
assert_contains "$out" "downloaded $size bytes"
assert_not_contains "$out" "resumed"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after the restarted download"
assert_eq "$(downloads_left "$S")" "" "ROOT/tmp after the pull"

# Not a URL slipway fetches: usage errors, before the store is touched.
expect_rc 2 "$SLIPWAY" pull "file:///etc/passwd" --root "$S"
assert_contains "$errout" "URL must start with http:// or https://"
expect_rc 2 "$SLIPWAY" pull --root "$S"
