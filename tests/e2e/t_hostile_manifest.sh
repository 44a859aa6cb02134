# The manifest reader uses bounded memory whatever the manifest holds (specs/manifest.md
# "Encoding", specs/store.md "Limits"): its structure (depth, keys, counts) is bounded by a
# lexical pass before json-c builds anything, the files array is read one object at a time,
# and the compression-ratio limit applies to the manifest from its first byte. Peak RSS of
# `inspect` (unsigned input) and `deploy` (signed) is measured by wait4(2), not guessed.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
# Under AddressSanitizer freed memory sits in a quarantine; keep it small so RSS is the heap.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

# rss CMD...: runs CMD; sets $rc, $errout and $rss_mb (the child's peak resident set).
rss() {
	read -r rc rss_mb < <(python3 - "$T/.out" "$T/.err" "$@" <<'PY'
import os, subprocess, sys
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    p = subprocess.Popen(sys.argv[3:], stdout=out, stderr=err)
    _, status, ru = os.wait4(p.pid, 0)
print(os.waitstatus_to_exitcode(status), ru.ru_maxrss // 1024)
PY
)
	errout=$(cat "$T/.err")
}

# bomb NAME FILES_EXPR [LEVEL]: an archive whose manifest's "files" is the raw JSON text that
# the Python expression FILES_EXPR makes, signed as version 9.0.0 serial 9, zstd -LEVEL.
bomb() {
	python3 - "$T/$1.tar.zst" "$2" "${3:-19}" "$T/test.key" <<'PY' || fail "bomb $1"
import json, os, subprocess, sys
sys.path.insert(0, os.environ["REPO"] + "/tests/e2e")
import make_release as mr
out, files, level, key = sys.argv[1], eval(sys.argv[2]), sys.argv[3], sys.argv[4]
m = mr.manifest_for([], "testapp", "9.0.0", 9)
m["files"] = "@FILES@"
text = json.dumps(m).replace('"@FILES@"', files).encode()
tar = mr.tar_bytes([mr.Entry(mr.MANIFEST_NAME, "file", text)])
with open(out, "wb") as f:
    f.write(subprocess.run(["zstd", "-q", "-c", "-" + level, "--long=27"], input=tar,
                           check=True, stdout=subprocess.PIPE).stdout)
mr.sign(out, key, "testapp", "9.0.0", 9)
print("%s: manifest %d bytes, archive %d bytes" % (os.path.basename(out), len(text),
                                                   os.path.getsize(out)))
PY
}
export REPO

# A 3 MB manifest of empty objects (700 bytes each in a json-c tree: 2 GB) in a tiny archive.
bomb objects '"[" + ",".join(["{}"] * 1000000) + "]"' 
# Empty arrays under an unknown key, and strings in an allowed array: the same, elsewhere.
bomb arrays '"[], \"zzz\": [" + ",".join(["[]"] * 1000000) + "]"' 
for b in objects arrays; do
	rss "$SLIPWAY" inspect "$T/$b.tar.zst"
	[ "$rc" = 1 ] || fail "inspect $b: exit $rc: $errout"
	echo "inspect $b: refused using $rss_mb MB: $errout"
	[ "$rss_mb" -lt 100 ] || fail "inspect $b used $rss_mb MB"
	rss "$SLIPWAY" deploy "$T/$b.tar.zst" --root "$S"
	[ "$rc" = 1 ] || fail "deploy $b: exit $rc: $errout"
	[ "$rss_mb" -lt 100 ] || fail "deploy $b used $rss_mb MB"
	assert_eq "$(ls -A "$S/staging")" "" "staging after $b"
done

# A manifest within every limit, with the most entries --max-entries allows by default
# (499,999 directories; 23 MB of JSON): inspect reads it in memory proportional to the
# entries, not to a json-c tree of them (about 630 MB).
bomb many '"[" + ",".join("{\"path\": \"d%07d\", \"type\": \"dir\", \"mode\": \"0755\"}" % i for i in range(499999)) + "]"' 3
rss "$SLIPWAY" inspect "$T/many.tar.zst"
[ "$rc" = 0 ] || fail "inspect many: exit $rc: $errout"
assert_contains "$(cat "$T/.out")" "0 files, 499999 directories"
echo "inspect of 499,999 entries: $rss_mb MB"
[ "$rss_mb" -lt 300 ] || fail "inspect of 499,999 entries used $rss_mb MB"
