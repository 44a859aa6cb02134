# Hostile review, round 3, class 3: opens that could block or follow. specs/store.md "Inputs
# are opened one way": "a FIFO or a device in its place is refused at once (a FIFO would
# otherwise hold the command, and the store lock, forever)"; specs/oci.md: a base layer blob
# that "is not a regular file (a FIFO, a device, a symlink to one such as /dev/zero: refused
# at once, never waited for or read)". The cases: `rollback` with history.jsonl a FIFO,
# export-oci with a layer blob that is a FIFO, or a symlink to /dev/zero with a huge declared
# size. Variants: `deploy` with the history a FIFO (the append), and shared/env a FIFO for
# `status`. Every command is bounded by `timeout`: exit 124 would be the hang.
source "$REPO/tests/e2e/store_lib.sh"
source "$REPO/tests/e2e/oci_lib.sh"
test_key
S="$T/store"
new_store "$S"
release 1.0.0 1
release 2.0.0 2
expect_rc 0 "$SLIPWAY" deploy "$T/rel-1.0.0.tar.zst" --root "$S"
expect_rc 0 "$SLIPWAY" deploy "$T/rel-2.0.0.tar.zst" --root "$S"
cp "$S/history.jsonl" "$T/history.saved"
rm "$S/history.jsonl"
mkfifo "$S/history.jsonl"

expect_rc 3 timeout 10 "$SLIPWAY" rollback --root "$S"
assert_contains "$errout" "history.jsonl: not a regular file"
assert_eq "$(current_of "$S")" "releases/2.0.0" "current after the refused rollback"
# The lock was released: a command that must take it at once does (and refuses the FIFO).
expect_rc 3 env SLIPWAY_LOCK_TIMEOUT=0 timeout 10 "$SLIPWAY" prune --keep 5 --root "$S"
assert_not_contains "$errout" "locked"
assert_contains "$errout" "history.jsonl: not a regular file"

# Variant: the append of a deploy. The release is installed (its commit point came first),
# the missing event is reported, nothing hangs.
release 3.0.0 3
expect_rc 3 timeout 10 "$SLIPWAY" deploy "$T/rel-3.0.0.tar.zst" --root "$S"
assert_contains "$errout" "history.jsonl: not a regular file"
rm "$S/history.jsonl"
cp "$T/history.saved" "$S/history.jsonl"

# Variant: shared/env a FIFO: status reports it (run's refusal: envfile_test).
rm -f "$S/shared/env"
mkfifo -m 0600 "$S/shared/env"
expect_rc 0 timeout 10 "$SLIPWAY" status --root "$S" --json
assert_contains "$out" "not a regular file"

# export-oci: a base image whose layer blob is a FIFO, then a symlink to /dev/zero whose
# descriptor declares 1 TiB. Exit 1 at once, nothing written.
svc='{"name": "web", "argv": ["node", "server.js"], "cwd": "www", "env": {}, "port": 8080,
  "ready": "tcp", "ready_timeout_ms": 0, "stop_timeout_ms": 0}'
mkdir -p tree/www
echo 'console.log("hi")' >tree/www/server.js
python3 "$MAKE_RELEASE" --tree tree --app demo --version 1.0.0 --serial 1 --out good.tar.zst \
	--sign test.key --service "$svc" >/dev/null || fail "make_release.py"
oci_base_node base
hostile_base() { # fifo | zero
	rm -rf base2
	cp -a base base2
	python3 - base2 "$1" <<'PY' || fail "hostile_base $1"
import hashlib, json, os, sys
d, what = sys.argv[1:]
blob = lambda dg: os.path.join(d, "blobs", "sha256", dg.split(":")[1])
idx = json.load(open(os.path.join(d, "index.json")))
m = json.load(open(blob(idx["manifests"][0]["digest"])))
layer = blob(m["layers"][0]["digest"])
os.remove(layer)
if what == "fifo":
    os.mkfifo(layer)
else:
    os.symlink("/dev/zero", layer)
    m["layers"][0]["size"] = 1 << 40
    data = json.dumps(m).encode()
    digest = hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs", "sha256", digest), "wb").write(data)
    idx["manifests"][0]["digest"] = "sha256:" + digest
    idx["manifests"][0]["size"] = len(data)
    json.dump(idx, open(os.path.join(d, "index.json"), "w"))
PY
}
for what in fifo zero; do
	hostile_base $what
	run timeout 20 "$SLIPWAY" export-oci good.tar.zst -p test.pub --base base2:node -o "out-$what"
	assert_eq "$rc" 1 "export-oci with a layer blob that is a $what: $errout"
	assert_contains "$errout" "not a regular file"
	assert_no_file "out-$what"
done
