# slipway pack on a small fake Next.js project: layout, order, ownership, modes, mtimes,
# manifest hashes, the minisign signature, --json, and the temp-then-rename output.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"
make_project "$T/p"
git -C "$T/p" tag v1.0
test_key "$T/k"
ct=$(commit_time "$T/p")

expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/out" -s "$T/k/test.key"
assert_eq "$out" "$T/out/demo-v1.0.tar.zst" "stdout"
assert_contains "$errout" "fake next build done" "build output streamed to stderr"
assert_eq "$(ls -A "$T/out" | tr '\n' ' ')" "demo-v1.0.tar.zst demo-v1.0.tar.zst.intoto.jsonl demo-v1.0.tar.zst.minisig " "OUTDIR"
A=$T/out/demo-v1.0.tar.zst

# GNU tar lists it; the manifest comes first, then the sorted release tree.
tar -tf "$A" >"$T/list" || fail "GNU tar cannot list the archive"
cat >"$T/want" <<'LIST'
slipway-manifest.json
.next/
.next/standalone/
.next/standalone/.next/
.next/standalone/.next/BUILD_ID
.next/standalone/.next/server/
.next/standalone/.next/server/page.js
.next/standalone/.next/static/
.next/standalone/.next/static/chunks/
.next/standalone/.next/static/chunks/app.js
.next/standalone/public/
.next/standalone/public/robots.txt
.next/standalone/server.js
agent/
agent/main.py
start-production.sh
LIST
diff -u "$T/want" "$T/list" || fail "archive entries differ from the expected release tree"

# Owners 0/0 without names, normalised modes, every mtime the constant 1 (specs/archive.md).
tar --numeric-owner -tvf "$A" >"$T/long"
awk '{print $2}' "$T/long" | sort -u | while read -r o; do [ "$o" = 0/0 ] || fail "owner $o"; done
grep -q '^-rwxr-xr-x .* start-production.sh$' "$T/long" || fail "start script not 0755"
grep -q '^-rw-r--r-- .* agent/main.py$' "$T/long" || fail "main.py not 0644"
grep -q '^drwxr-xr-x .* agent/$' "$T/long" || fail "agent/ not 0755"
want_date="1970-01-01 00:00"
n_dates=$(TZ=UTC tar --numeric-owner -tvf "$A" | awk '{print $4" "$5}' | sort -u)
assert_eq "$n_dates" "$want_date" "entry mtimes"

# Extract with GNU tar; the manifest's hashes and sizes match the extracted files.
mkdir "$T/x" && tar -C "$T/x" -xf "$A" || fail "GNU tar cannot extract"
assert_eq "$(cat "$T/x/.next/standalone/public/robots.txt")" "User-agent: *"
manifest_of "$A" >"$T/m.json"
python3 - "$T/m.json" "$T/x" <<'PY' || fail "manifest does not match the extracted tree"
import hashlib, json, os, sys
m = json.load(open(sys.argv[1])); root = sys.argv[2]
files = [f for f in m["files"] if f["type"] == "file"]
assert len(files) == 7, len(files)
for f in files:
    data = open(os.path.join(root, f["path"]), "rb").read()
    assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
    assert len(data) == f["size"], f["path"]
PY
assert_eq "$(json_get "$T/m.json" 'm["version"]')" "v1.0"
assert_eq "$(json_get "$T/m.json" 'm["commit"]')" "$(git -C "$T/p" rev-parse HEAD)"
assert_eq "$(json_get "$T/m.json" 'm["serial"]')" "$ct"
assert_eq "$(json_get "$T/m.json" 'm["dirty"]')" "False"
assert_eq "$(json_get "$T/m.json" 'm["build_time"]')" "$(date -u -d "@$ct" +%Y-%m-%dT%H:%M:%SZ)"
# Detected services: web on 5000 from the standalone dir, agent with a 30 min drain.
assert_eq "$(json_get "$T/m.json" '[(s["name"], s["argv"], s["cwd"], s["port"], s["ready"], s["stop_timeout_ms"]) for s in m["services"]]')" \
	"[('web', ['node', 'server.js'], '.next/standalone', 5000, 'http', 30000), ('agent', ['python3', 'agent/main.py', 'start'], '.', 0, 'none', 1800000)]"

# Stock minisign accepts the signature; the trusted comment carries app/version/serial/file.
(cd "$T/out" && minisign -V -p "$T/k/test.pub" -m demo-v1.0.tar.zst) >"$T/v" 2>&1 || fail "minisign -V rejected: $(cat "$T/v")"
assert_contains "$(cat "$T/v")" "Trusted comment: app:demo version:v1.0 serial:$ct file:demo-v1.0.tar.zst"

# --json summary on stdout, nothing else.
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/out" -s "$T/k/test.key" --json --no-build
echo "$out" >"$T/j.json"
assert_eq "$(json_get "$T/j.json" '(m["archive"], m["version"], m["serial"], m["signed"], m["files"])')" \
	"('$A', 'v1.0', $ct, True, 7)"

# No key anywhere: a usage error before building, and nothing written.
expect_rc 2 env -u SLIPWAY_SECRET_KEY -u SLIPWAY_SECRET_KEY_DATA "$SLIPWAY" pack "$T/p" -o "$T/nokey"
assert_contains "$errout" "no signing key"
assert_no_file "$T/nokey"
assert_eq "$out" "" "stdout without a key"

# The key may come from $SLIPWAY_SECRET_KEY_DATA (CI secrets); same signature bytes.
expect_rc 0 env SLIPWAY_SECRET_KEY_DATA="$(cat "$T/k/test.key")" "$SLIPWAY" pack "$T/p" -o "$T/out2" --no-build
cmp "$T/out/demo-v1.0.tar.zst.minisig" "$T/out2/demo-v1.0.tar.zst.minisig" || fail "signature differs with the key from the environment"

# --unsigned says so loudly and removes a stale signature of the same name.
expect_rc 0 "$SLIPWAY" pack "$T/p" -o "$T/out2" --no-build --unsigned
assert_contains "$errout" "UNSIGNED"
assert_no_file "$T/out2/demo-v1.0.tar.zst.minisig"

# Usage errors.
expect_rc 2 "$SLIPWAY" pack --compress xz
expect_rc 2 "$SLIPWAY" pack --serial -4
expect_rc 2 "$SLIPWAY" pack a b
expect_rc 0 "$SLIPWAY" pack --help
assert_contains "$out" "usage: slipway pack"
