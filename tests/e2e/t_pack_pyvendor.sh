# The agent's Python dependencies are vendored into the release with pip install --target,
# from whatever pip is configured with: here a local wheel built by the test and
# PIP_NO_INDEX/PIP_FIND_LINKS (no network). The agent service gets PYTHONPATH pointing at
# them through ${RELEASE}; the release imports the package with no network at all.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
cd "$T/p"

# A minimal pure-Python wheel, written by hand (no build backend needed).
mkdir -p "$T/wheels"
python3 - "$T/wheels" <<'PY'
import base64, hashlib, sys, zipfile
name, ver = "slipdep", "1.0"
files = {
    f"{name}/__init__.py": b"VALUE = 42\n",
    f"{name}-{ver}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n".encode(),
    f"{name}-{ver}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: slipway-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = f"{name}-{ver}.dist-info/RECORD"
lines = []
for path, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    lines.append(f"{path},sha256={digest},{len(data)}")
lines.append(f"{record},,")
files[record] = ("\n".join(lines) + "\n").encode()
with zipfile.ZipFile(f"{sys.argv[1]}/{name}-{ver}-py3-none-any.whl", "w") as z:
    for path, data in files.items():
        z.writestr(path, data)
PY
echo "slipdep==1.0" >agent/requirements.txt
mkdir -p agent/.deps && echo stale >agent/.deps/old.py   # replaced by the vendored folder
git add -A && git commit -qm "agent deps" && git tag v1
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels" PIP_CONFIG_FILE=/dev/null
mkdir "$T/tmp" && export TMPDIR="$T/tmp"   # where the vendoring folder is staged

expect_rc 0 "$SLIPWAY" pack -o "$T/out" --unsigned
A=$T/out/demo-v1.tar.zst
tar -tf "$A" >"$T/list"
grep -qx "agent/.deps/slipdep/__init__.py" "$T/list" || fail "vendored package missing: $(grep deps "$T/list")"
! grep -q "agent/.deps/old.py" "$T/list" || fail "the project's own agent/.deps was packed"
! grep -q '\.pyc$' "$T/list" || fail ".pyc files packed (not reproducible)"
assert_contains "$errout" "vendoring Python dependencies"
manifest_of "$A" >"$T/m.json"
assert_eq "$(json_get "$T/m.json" '[s["env"] for s in m["services"] if s["name"] == "agent"]')" \
	"[{'PYTHONPATH': '\${RELEASE}/agent/.deps'}]"
mkdir "$T/x" && tar -C "$T/x" -xf "$A"
assert_eq "$(cd "$T/x" && PYTHONPATH="$T/x/agent/.deps" python3 -c 'import slipdep; print(slipdep.VALUE)')" "42" "import from the release"
assert_no_file "$T/p/agent/.deps/slipdep"   # the project tree was not modified

# Reproducible with vendoring too.
expect_rc 0 "$SLIPWAY" pack -o "$T/out2" --unsigned --no-build
cmp "$A" "$T/out2/demo-v1.tar.zst" || fail "vendored archives differ between runs"

# A requirement pip cannot satisfy: pack fails, nothing in OUTDIR.
echo "not-available-anywhere==9" >agent/requirements.txt
git commit -qam "bad requirement"
expect_rc 1 "$SLIPWAY" pack -o "$T/out3" --unsigned --version 2
assert_contains "$errout" "cannot vendor the agent's Python dependencies"
assert_no_file "$T/out3"
assert_eq "$(ls -A "$T/tmp")" "" "staging folders left behind"
