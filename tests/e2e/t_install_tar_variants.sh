# Archives written by other tar implementations install (specs/store.md "Hardened
# extraction"): non-ASCII names in pax headers without hdrcharset=BINARY (GNU tar, Python's
# tarfile), GNU and ustar headers with UTF-8 names, and GNU tar's largest usual record
# padding (-b 2048, 1 MiB records). GNU tar is the oracle: the installed tree is what it
# extracts, name for name.
source "$REPO/tests/e2e/store_lib.sh"
test_key
S="$T/store"
new_store "$S"
serial=0

# tree VERSION: a tree with non-ASCII (UTF-8) names, and its manifest at $T/src-VERSION.
tree() {
	local d="$T/src-$1"
	mkdir -p "$d/app/données" "$d/日本"
	printf 'café %s\n' "$1" >"$d/app/café.txt"
	printf 'x\n' >"$d/app/données/ñ.js"
	printf 'y\n' >"$d/日本/語.txt"
	ln -s ../app/café.txt "$d/日本/lien-é"
	python3 - "$d" "$1" "$serial" <<'PY' || fail "manifest for $1"
import os, sys
sys.path.insert(0, os.environ["REPO"] + "/tests/e2e")
import make_release as mr
d, version, serial = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = mr.manifest_for(mr.tree_entries(d), "testapp", version, serial)
open(os.path.join(d, mr.MANIFEST_NAME), "wb").write(mr.manifest_json(m))
# The archive order: the manifest first, then the tree sorted bytewise (parents first).
paths = sorted(os.path.relpath(os.path.join(r, n), d).encode()
               for r, ds, fs in os.walk(d) for n in ds + fs if n != mr.MANIFEST_NAME)
open(os.path.join(d, ".order"), "wb").write(b"\n".join([mr.MANIFEST_NAME.encode()] + paths) + b"\n")
PY
}
export REPO

# check VERSION ARCHIVE: signs, installs, and compares with GNU tar's extraction.
check() {
	local v=$1 a=$2
	minisign -S -s "$T/test.key" -m "$a" -t "app:testapp version:$v serial:$serial" >/dev/null ||
		fail "minisign -S"
	expect_rc 0 "$SLIPWAY" install "$a" --root "$S"
	mkdir "$T/ref-$v"
	LC_ALL=C.UTF-8 tar -C "$T/ref-$v" -xf "$a" || fail "GNU tar cannot extract $a"
	diff -r --no-dereference -x slipway-manifest.json "$T/ref-$v" "$S/releases/$v" ||
		fail "$v: installed tree differs from GNU tar's"
	assert_eq "$(cat "$S/releases/$v/app/café.txt")" "café $v" "$v: content behind a UTF-8 name"
	assert_eq "$(ls -A "$S/staging")" "" "$v: staging"
}

# GNU tar, pax format, in a UTF-8 locale: UTF-8 names in pax records, no hdrcharset.
for fmt in pax gnu ustar; do
	serial=$((serial + 1))
	v=1.$serial.0
	tree $v
	(cd "$T/src-$v" && LC_ALL=C.UTF-8 tar --format=$fmt --owner=0 --group=0 --no-recursion \
		-T .order -cf - | zstd -q -c >"$T/gnu-$fmt.tar.zst") || fail "GNU tar --format=$fmt"
	if [ $fmt = pax ]; then
		zstd -dc "$T/gnu-$fmt.tar.zst" | grep -aq 'path=app/café.txt' || fail "no pax path record"
		! zstd -dc "$T/gnu-$fmt.tar.zst" | grep -aq hdrcharset || fail "GNU tar wrote hdrcharset"
	fi
	check $v "$T/gnu-$fmt.tar.zst"
done

# Python's tarfile, pax format (UTF-8 pax records for every non-ASCII name).
serial=$((serial + 1))
v=1.$serial.0
tree $v
python3 - "$T/src-$v" "$T/py.tar.gz" <<'PY' || fail "python tarfile"
import gzip, os, sys, tarfile
d, out = sys.argv[1], sys.argv[2]
with gzip.GzipFile(out, "wb", mtime=0) as z, tarfile.open(fileobj=z, mode="w", format=tarfile.PAX_FORMAT) as tf:
    for p in open(os.path.join(d, ".order"), "rb").read().decode().split("\n"):
        if p:
            tf.add(os.path.join(d, p), arcname=p, recursive=False)
PY
check $v "$T/py.tar.gz"

# GNU tar with 1 MiB records: up to a record of zero padding after the end-of-archive marker.
serial=$((serial + 1))
v=1.$serial.0
tree $v
(cd "$T/src-$v" && LC_ALL=C.UTF-8 tar -b 2048 --format=pax --owner=0 --group=0 --no-recursion \
	-T .order -cf - | zstd -q -c >"$T/b2048.tar.zst") || fail "GNU tar -b 2048"
assert_eq "$(($(zstd -dc "$T/b2048.tar.zst" | wc -c) % 1048576))" "0" "record size"
check $v "$T/b2048.tar.zst"
