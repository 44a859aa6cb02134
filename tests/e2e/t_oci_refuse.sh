# export-oci refuses what install refuses, and then writes nothing: every case of the
# hostile-archive corpus, a tampered archive, a signature by another key or missing, a
# trusted comment without slipway's fields, exit 1 with install's reason, no output layout,
# no YAML, nothing left in $TMPDIR. A missing, damaged or non-OCI base image is refused the
# same way; an existing output layout keeps its index; usage errors exit 2 before any work.
source "$REPO/tests/e2e/oci_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"

minisign -G -W -p test.pub -s test.key -c "slipway TEST KEY" >/dev/null 2>&1 || fail "minisign -G"
mkdir -p tree/www
echo 'console.log("hi")' >tree/www/server.js
svc='{"name": "web", "argv": ["node", "server.js"], "cwd": "www", "env": {}, "port": 8080,
  "ready": "tcp", "ready_timeout_ms": 0, "stop_timeout_ms": 0}'
"$PY" "$REPO/tests/e2e/make_release.py" --tree tree --app demo --version 1.0.0 --serial 1 \
	--out good.tar.zst --sign test.key --service "$svc" >/dev/null || fail "make_release.py"
oci_base_node base
export TMPDIR="$T/tmp"
mkdir "$TMPDIR"

# nothing_written NAME: no output layout, no YAML, nothing in $TMPDIR.
nothing_written() {
	assert_no_file "$T/out"
	assert_no_file "$T/k8s.yaml"
	assert_eq "$(ls -A "$TMPDIR")" "" "$1: left in \$TMPDIR"
}
export_to_out() { # ARCHIVE [flags...]
	local a=$1
	shift
	run "$SLIPWAY" export-oci "$a" -p "$T/test.pub" --base "$T/base:node" -o "$T/out" --k8s "$T/k8s.yaml" "$@"
}

python3 "$REPO/tests/e2e/hostile_archives.py" "$T/corpus" "$T/test.key" || fail "corpus builder failed"
n=0
while IFS=$'\t' read -r name archive expect flags; do
	# shellcheck disable=SC2086
	export_to_out "$archive" $flags
	[ "$rc" = 1 ] || fail "$name: expected exit 1, got $rc: $errout"
	assert_contains "$errout" "slipway: export-oci: " "$name: message"
	# Reasons that come from a store's state (there is none here) are refused for another.
	case $expect in
	"" | *"this store holds"* | *"downgrade refused"* | *"already installed"*) ;;
	*) assert_contains "$errout" "$expect" "$name: reason" ;;
	esac
	[ "$(printf '%s' "$errout" | wc -l)" -le 1 ] || fail "$name: more than one line: $errout"
	assert_eq "$out" "" "$name: stdout"
	nothing_written "$name"
	n=$((n + 1))
done <"$T/corpus/cases.txt"
[ "$n" -ge 20 ] || fail "only $n hostile cases"

# A tampered archive: one byte changed after signing.
cp good.tar.zst bad.tar.zst
cp good.tar.zst.minisig bad.tar.zst.minisig
size=$(stat -c %s bad.tar.zst)
flip_byte bad.tar.zst $((size / 2))
export_to_out bad.tar.zst
assert_eq "$rc" 1 "exit status for a tampered archive"
assert_contains "$errout" "signature does not match the file"
nothing_written tampered
# Signed by another key; no signature at all; a trusted comment without app/version/serial.
minisign -G -W -p other.pub -s other.key >/dev/null 2>&1
cp good.tar.zst other.tar.zst
minisign -S -s other.key -m other.tar.zst -t "app:demo version:1.0.0 serial:1 file:x" >/dev/null
export_to_out other.tar.zst
assert_eq "$rc" 1 "exit status for another key"
assert_contains "$errout" "signature made by another key"
nothing_written other-key
cp good.tar.zst unsigned.tar.zst
export_to_out unsigned.tar.zst
assert_eq "$rc" 1 "exit status without a signature"
nothing_written unsigned
minisign -S -s test.key -m other.tar.zst -t "timestamp:1 file:x" >/dev/null
export_to_out other.tar.zst
assert_eq "$rc" 1 "exit status for a bare trusted comment"
assert_contains "$errout" "lacks app:, version: or serial:"
nothing_written bare-comment

# Base images: a tag that is not there, a layout that is not one, a damaged config, a
# damaged or missing layer.
run "$SLIPWAY" export-oci good.tar.zst -p test.pub --base "$T/base:nope" -o "$T/out"
assert_eq "$rc" 1 "exit status for an unknown base tag"
assert_contains "$errout" "has no image tagged nope"
nothing_written unknown-tag
mkdir notalayout
run "$SLIPWAY" export-oci good.tar.zst -p test.pub --base "$T/notalayout:x" -o "$T/out"
assert_eq "$rc" 1 "exit status for a base that is not a layout"
assert_contains "$errout" "is not an OCI image layout"
nothing_written not-a-layout
damage_base() { # WHAT: copy the base and damage its config or its layer blob
	rm -rf base2
	cp -a base base2
	python3 - base2 "$1" <<'PY' || fail "damage_base"
import json, os, sys
d, what = sys.argv[1:]
blob = lambda dg: os.path.join(d, "blobs", "sha256", dg.split(":")[1])
idx = json.load(open(os.path.join(d, "index.json")))
m = json.load(open(blob(idx["manifests"][0]["digest"])))
target = blob(m["config"]["digest"] if what == "config" else m["layers"][0]["digest"])
if what == "missing-layer":
    os.remove(target)
else:
    data = bytearray(open(target, "rb").read())
    data[len(data) // 2] ^= 1
    open(target, "wb").write(bytes(data))
PY
}
for what in config layer missing-layer; do
	damage_base "$what"
	export_to_out good.tar.zst --base "$T/base2:node"
	assert_eq "$rc" 1 "exit status for a base with a damaged $what: $errout"
	case $what in
	missing-layer) assert_contains "$errout" "is missing" ;;
	*) assert_contains "$errout" "does not match its descriptor" ;;
	esac
	nothing_written "$what"
done

# An existing output layout: a refused export leaves its index as it was.
expect_rc 0 "$SLIPWAY" export-oci good.tar.zst -p test.pub --base base:node -o keep
index=$(cat keep/index.json)
expect_rc 1 "$SLIPWAY" export-oci bad.tar.zst -p test.pub --base base:node -o keep --tag other
assert_eq "$(cat keep/index.json)" "$index" "keep/index.json after a refusal"
damage_base config
expect_rc 1 "$SLIPWAY" export-oci good.tar.zst -p test.pub --base base2:node -o keep --tag other
assert_eq "$(cat keep/index.json)" "$index" "keep/index.json after a damaged base"
# Another export-oci holds the layout's lock (a flock on the directory): this one waits
# $SLIPWAY_LOCK_TIMEOUT, then exits 3 with the store lock's words; the index is untouched.
python3 -c 'import fcntl, os, sys, time
fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), fcntl.LOCK_EX)
time.sleep(60)' keep &
holder=$!
wait_for 10 bash -c "! flock -n -x keep true"
started=$(date +%s%N)
SLIPWAY_LOCK_TIMEOUT=0.4 expect_rc 3 "$SLIPWAY" export-oci good.tar.zst -p test.pub --base base:node -o keep --tag other
waited=$((($(date +%s%N) - started) / 1000000))
kill "$holder" && wait "$holder" 2>/dev/null
assert_eq "$errout" "slipway: export-oci: keep is being written by another process (waited 0.4 s; see SLIPWAY_LOCK_TIMEOUT)" "a locked layout"
[ "$waited" -ge 400 ] || fail "export-oci gave up after $waited ms, before its 0.4 s"
assert_eq "$(cat keep/index.json)" "$index" "keep/index.json after a locked layout"
# A directory that is neither empty nor a layout is not touched.
mkdir stuff && echo mine >stuff/file
expect_rc 1 "$SLIPWAY" export-oci good.tar.zst -p test.pub --base base:node -o stuff
assert_contains "$errout" "neither empty nor an OCI image layout"
assert_eq "$(ls -A stuff)" "file" "stuff/"

# Usage errors: exit 2, before anything is read or written.
for args in "" "good.tar.zst" "good.tar.zst -p test.pub" "good.tar.zst -p test.pub --base base:node" \
	"good.tar.zst -p test.pub --base base:node -o $T/out --tag bad/-tag" \
	"good.tar.zst -p test.pub --base base:-node -o $T/out" \
	"good.tar.zst -p test.pub --base base:node -o $T/out --k8s-image x" \
	"good.tar.zst -p test.pub --base base:node -o $T/out --service nope" \
	"good.tar.zst -p test.pub --base base:node -o $T/out --bogus"; do
	# shellcheck disable=SC2086
	run "$SLIPWAY" export-oci $args
	assert_eq "$rc" 2 "exit status of export-oci $args ($errout)"
	nothing_written "export-oci $args"
done
assert_contains "$errout" "Try 'slipway export-oci --help'"
true
