# An interrupted export-oci leaves nothing behind: SIGINT (Ctrl-C) or SIGTERM while it works
# ends it with that signal, its private directory in $TMPDIR is gone and the output layout it
# was creating does not exist; in an existing layout, index.json is unchanged and no temporary
# blob remains. A SIGKILL of the worker is cleaned up the same way.
source "$REPO/tests/e2e/oci_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"

minisign -G -W -p test.pub -s test.key -c "slipway TEST KEY" >/dev/null 2>&1 || fail "minisign -G"
mkdir -p tree
# Incompressible data, so that gzip gives the signals time to arrive mid-work.
head -c $((64 << 20)) /dev/urandom >tree/blob.bin
svc='{"name": "web", "argv": ["node", "x.js"], "cwd": "", "env": {}, "port": 8080,
  "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 0}'
"$PY" "$REPO/tests/e2e/make_release.py" --tree tree --app big --version 1.0.0 --serial 1 \
	--out big.tar.zst --sign test.key --service "$svc" >/dev/null || fail "make_release.py"
rm -rf tree
oci_base_node base
export TMPDIR="$T/tmp"
mkdir "$TMPDIR"
expect_rc 0 "$SLIPWAY" export-oci big.tar.zst -p test.pub --base base:node -o keep --tag first
index=$(cat keep/index.json)

unpacking() { [ -n "$(find "$TMPDIR" -name blob.bin 2>/dev/null)" ]; }

# interrupt SIGNAL OUT: starts an export into OUT, sends SIGNAL once the work is under way
# (its private directory holds the unpacked release), and returns its exit status.
interrupt() {
	local sig=$1 out=$2 pid status target
	# A shell starts background jobs with SIGINT ignored; a terminal's Ctrl-C is not.
	env --default-signal=INT "$SLIPWAY" export-oci big.tar.zst -p test.pub --base base:node \
		-o "$out" --tag second >"$T/int.out" 2>"$T/int.err" &
	pid=$!
	poll_for 60 unpacking ||
		fail "the export never unpacked: $(cat "$T/int.err")"
	target=$pid
	[ "$sig" = KILL ] && target=$(pgrep -P "$pid" | head -1) # the worker, not the parent
	kill -s "$sig" "$target"
	wait "$pid"
	status=$?
	echo "$status"
}

for sig in INT TERM KILL; do
	status=$(interrupt $sig "$T/new-$sig")
	case $sig in
	INT) assert_eq "$status" 130 "exit status after SIGINT" ;;
	TERM) assert_eq "$status" 143 "exit status after SIGTERM" ;;
	KILL) assert_eq "$status" 137 "exit status after the worker's SIGKILL" ;;
	esac
	assert_eq "$(ls -A "$TMPDIR")" "" "\$TMPDIR after SIG$sig"
	assert_no_file "$T/new-$sig"
	status=$(interrupt $sig "$T/keep")
	assert_eq "$(ls -A "$TMPDIR")" "" "\$TMPDIR after SIG$sig (existing layout)"
	assert_eq "$(cat keep/index.json)" "$index" "keep/index.json after SIG$sig"
	assert_eq "$(find keep/blobs/sha256 -name '.tmp-*')" "" "temporary blobs after SIG$sig"
done
# The layout still works.
expect_rc 0 "$SLIPWAY" export-oci big.tar.zst -p test.pub --base base:node -o keep --tag second
assert_eq "$(oci_digest keep second)" "$(oci_digest keep first)" "digest after the interruptions"
