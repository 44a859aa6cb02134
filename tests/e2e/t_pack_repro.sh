# Reproducible archives: the same sources give byte-identical archives, after touching
# every file and under another umask; SOURCE_DATE_EPOCH sets the mtimes; gzip has no
# timestamp. The signature is deterministic too (Ed25519).
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
git -C "$T/p" tag v1
test_key "$T/k"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/a" -s "$T/k/test.key"
find "$T/p" -path "$T/p/.git" -prune -o -exec touch -d "2030-01-02 03:04:05" {} +
chmod 600 "$T/p/agent/main.py"   # group/other bits are not part of the release
expect_rc 0 bash -c "umask 077 && exec \"\$0\" pack \"$T/p\" -o \"$T/b\" -s \"$T/k/test.key\"" "$SLIPWAY"
cmp "$T/a/demo-v1.tar.zst" "$T/b/demo-v1.tar.zst" || fail "archives differ between runs"
cmp "$T/a/demo-v1.tar.zst.minisig" "$T/b/demo-v1.tar.zst.minisig" || fail "signatures differ"
assert_eq "$(stat -c %a "$T/b/demo-v1.tar.zst")" "644" "archive mode under umask 077"

# gzip: identical across runs, and no timestamp in the gzip header (bytes 4..7 zero).
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/g1" --unsigned --no-build --compress gzip
touch -d "2031-01-02 03:04:05" "$T/p/agent/main.py"
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/g2" --unsigned --no-build --compress gzip
cmp "$T/g1/demo-v1.tar.gz" "$T/g2/demo-v1.tar.gz" || fail "gzip archives differ"
assert_eq "$(od -An -tx1 -j4 -N4 "$T/g1/demo-v1.tar.gz" | tr -d ' ')" "00000000" "gzip MTIME"
tar -tzf "$T/g1/demo-v1.tar.gz" >/dev/null || fail "GNU tar cannot read the gzip archive"

# SOURCE_DATE_EPOCH overrides the commit time for build_time; entry mtimes stay the constant 1.
expect_rc 0 env SOURCE_DATE_EPOCH=1000000000 "$SLIPWAY" pack "$T/p" -o "$T/s" --unsigned --no-build
assert_eq "$(TZ=UTC tar -tvf "$T/s/demo-v1.tar.zst" | awk '{print $4" "$5}' | sort -u)" "1970-01-01 00:00"
manifest_of "$T/s/demo-v1.tar.zst" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" 'm["build_time"]')" "2001-09-09T01:46:40Z"

# Frames and seek table (specs/archive.md), judged by zstd itself and read independently
# here: zstd -d gives the tar stream; the seek table at the end names every zstd frame, frame 0
# is the manifest entry alone; another SOURCE_DATE_EPOCH changes frame 0 (build_time) only.
expect_rc 0 env SOURCE_DATE_EPOCH=1100000000 "$SLIPWAY" pack "$T/p" -o "$T/s2" --unsigned --no-build
zstd -t -q "$T/s/demo-v1.tar.zst" || fail "zstd -t refuses the archive"
zstd -dc "$T/s/demo-v1.tar.zst" | tar -tf - >/dev/null || fail "zstd -d | tar cannot list it"
python3 - "$T/s/demo-v1.tar.zst" "$T/s2/demo-v1.tar.zst" <<'PY' || fail "seek table or frames wrong"
import struct, subprocess, sys
def frames(path):
    b = open(path, "rb").read()
    n, desc, magic = struct.unpack("<IBI", b[-9:])
    assert magic == 0x8F92EAB1 and desc == 0, (hex(magic), desc)
    size = 8 + 8 * n + 9
    sk, content = struct.unpack("<II", b[-size:-size + 8])
    assert sk == 0x184D2A5E and content == size - 8
    ents = [struct.unpack("<II", b[-size + 8 + 8 * i:-size + 16 + 8 * i]) for i in range(n)]
    assert sum(c for c, _ in ents) == len(b) - size, "frames do not tile the file"
    off, out = 0, []
    for c, d in ents:
        f = b[off:off + c]
        assert f[:4] == b"\x28\xb5\x2f\xfd", "not a zstd frame at %d" % off
        raw = subprocess.run(["zstd", "-dc"], input=f, capture_output=True, check=True).stdout
        assert len(raw) == d, (len(raw), d)
        out.append(f)
        off += c
    return out
a, b = frames(sys.argv[1]), frames(sys.argv[2])
assert len(a) == len(b) and len(a) >= 2
raw0 = subprocess.run(["zstd", "-dc"], input=a[0], capture_output=True).stdout
assert raw0[:21] == b"slipway-manifest.json", raw0[:32]
size0 = int(raw0[124:135], 8)
assert len(raw0) == 512 + (size0 + 511) // 512 * 512, "frame 0 holds more than the manifest"
assert a[0] != b[0] and a[1:] == b[1:], "frames other than the manifest's differ"
PY
expect_rc 2 env SOURCE_DATE_EPOCH=yesterday "$SLIPWAY" pack "$T/p" -o "$T/s2" --unsigned --no-build
assert_contains "$errout" "SOURCE_DATE_EPOCH"
