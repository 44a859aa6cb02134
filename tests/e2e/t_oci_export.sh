# e2e: long
# slipway export-oci, judged by stock tools: skopeo reads the image, its config, labels and
# annotations and copies it to a docker-archive; GNU tar reads the release layer; umoci
# unpacks it into a runtime bundle holding exactly the release; runc runs the default service
# and, with the command override the image documents, the other one, and curl gets each
# one's answer; exporting again gives the same digest; the --k8s YAML parses (python3-yaml)
# and has the rollout settings; slipway's own environment never reaches the image.
source "$REPO/tests/e2e/oci_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
trap oci_cleanup EXIT

minisign -G -W -p test.pub -s test.key -c "slipway TEST KEY" >/dev/null 2>&1 || fail "minisign -G"
mkdir -p tree/www tree/bin
cat >tree/www/server.js <<'JS'
require('http').createServer((q, r) => r.end([process.env.SLIPWAY_SERVICE, process.env.SLIPWAY_VERSION,
  process.cwd(), process.env.GREETING || '-'].join(' ') + '\n')).listen(process.env.PORT, process.env.HOSTNAME);
JS
printf '#!/bin/sh\necho tool\n' >tree/bin/tool
chmod 755 tree/bin/tool
echo data >"tree/www/é.txt"
ln -s server.js tree/www/alias.js
commit=0123456789abcdef0123456789abcdef01234567
web='{"name": "web", "argv": ["node", "server.js"], "cwd": "www",
  "env": {"NODE_ENV": "production", "GREETING": "hi-from-${RELEASE}"}, "port": 8080,
  "ready": "http", "ready_path": "/healthz", "ready_timeout_ms": 10000, "stop_timeout_ms": 15000}'
worker='{"name": "worker", "argv": ["node", "${RELEASE}/www/server.js"], "cwd": "", "env": {},
  "port": 0, "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 1800000}'
"$PY" "$REPO/tests/e2e/make_release.py" --tree tree --app demo --version 1.0.0 --serial 7 \
	--commit $commit --out demo.tar.zst --sign test.key --service "$web" --service "$worker" \
	--required API_KEY --optional EXTRA_KEY >/dev/null || fail "make_release.py"
oci_base_node base
base_digest=$(oci_digest base node) || fail "skopeo cannot read the base"

# A variable of slipway's own environment named like a secret must not reach the image.
API_KEY=not-for-the-image-4711 expect_rc 0 "$SLIPWAY" export-oci demo.tar.zst -p test.pub \
	--base base:node -o out --k8s k8s.yaml
digest=$(oci_digest out 1.0.0) || fail "skopeo inspect oci:out:1.0.0"
assert_eq "$out" "image: oci:out:1.0.0
digest: $digest
service: web
release: demo 1.0.0 (serial 7) at /srv/demo/releases/1.0.0
kubernetes: k8s.yaml" "stdout"

# The config and the labels, as skopeo reads them.
skopeo inspect --config oci:out:1.0.0 >config.json || fail "skopeo inspect --config"
skopeo inspect --raw oci:out:1.0.0 >manifest.json || fail "skopeo inspect --raw"
! grep -q not-for-the-image config.json manifest.json k8s.yaml || fail "slipway's environment leaked"
json_is() { # FILE EXPR WANT
	assert_eq "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2")" "$3" "$2"
}
c='m["config"]'
json_is config.json "$c[\"Cmd\"]" "['node', 'server.js']"
json_is config.json "'Entrypoint' in $c" "False"
json_is config.json "$c[\"WorkingDir\"]" "/srv/demo/releases/1.0.0/www"
json_is config.json "$c[\"Env\"]" "['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production', 'GREETING=hi-from-/srv/demo/releases/1.0.0', 'SLIPWAY_RELEASE=/srv/demo/releases/1.0.0', 'SLIPWAY_VERSION=1.0.0', 'SLIPWAY_SERVICE=web', 'PORT=8080', 'HOSTNAME=0.0.0.0']"
json_is config.json "$c[\"ExposedPorts\"]" "{'8080/tcp': {}}"
json_is config.json "$c[\"StopSignal\"]" "SIGTERM"
json_is config.json 'm["created"]' "2026-11-25T06:00:00Z"
json_is config.json 'len(m["rootfs"]["diff_ids"])' "2"
b2=$(b2sum demo.tar.zst | cut -d' ' -f1)
for f in "config.json:$c[\"Labels\"]" 'manifest.json:m["annotations"]'; do
	file=${f%%:*} l=${f#*:}
	json_is "$file" "$l[\"org.opencontainers.image.title\"]" "demo"
	json_is "$file" "$l[\"org.opencontainers.image.version\"]" "1.0.0"
	json_is "$file" "$l[\"org.opencontainers.image.revision\"]" "$commit"
	json_is "$file" "$l[\"org.opencontainers.image.created\"]" "2026-11-25T06:00:00Z"
	json_is "$file" "$l[\"org.opencontainers.image.base.digest\"]" "$base_digest"
	json_is "$file" "$l[\"dev.slipway.serial\"]" "7"
	json_is "$file" "$l[\"dev.slipway.archive.blake2b\"]" "$b2"
	json_is "$file" "$l[\"dev.slipway.service\"]" "web"
done
json_is manifest.json '[l["mediaType"] for l in m["layers"]]' \
	"['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']"
layer=$(python3 -c 'import json; print(json.load(open("manifest.json"))["layers"][-1]["digest"][7:])')

# GNU tar reads the release layer: paths, owners, modes, the one timestamp, UTF-8 names.
tar --numeric-owner --full-time -tvzf "out/blobs/sha256/$layer" >layer.txt 2>layer.err || fail "GNU tar: $(cat layer.err)"
[ ! -s layer.err ] || fail "GNU tar complained: $(cat layer.err)"
grep -q '^-rwxr-xr-x 0/0 .* 2026-11-25 06:00:00 srv/demo/releases/1.0.0/bin/tool$' layer.txt || fail "bin/tool: $(cat layer.txt)"
grep -q '^-rw-r--r-- 0/0 .* srv/demo/releases/1.0.0/www/é.txt$' layer.txt || fail "UTF-8 name: $(cat layer.txt)"
grep -q '^lrwxrwxrwx 0/0 .* srv/demo/current -> releases/1.0.0$' layer.txt || fail "current: $(cat layer.txt)"
assert_eq "$(awk '{print $4, $5}' layer.txt | sort -u)" "2026-11-25 06:00:00" "timestamps in the layer"

# skopeo converts it to a docker-archive.
expect_rc 0 skopeo copy oci:out:1.0.0 docker-archive:"$T/demo.tar":demo:1.0.0
tar -tf demo.tar | grep -qx manifest.json || fail "no manifest.json in the docker-archive"

# umoci unpacks a bundle whose release is exactly the archive's tree.
expect_rc 0 umoci unpack --image out:1.0.0 bundle
rel=bundle/rootfs/srv/demo/releases/1.0.0
mkdir x && tar -C x -xf demo.tar.zst || fail "GNU tar cannot extract the archive"
diff -r --no-dereference --exclude=slipway-manifest.json x "$rel" || fail "the image's release differs from the archive"
"$SLIPWAY" inspect demo.tar.zst --json >canonical.json || fail "inspect --json"
cmp canonical.json "$rel/slipway-manifest.json" || fail "the manifest in the image is not the canonical one"
assert_eq "$(readlink bundle/rootfs/srv/demo/current)" "releases/1.0.0" "current"
assert_eq "$(stat -c '%a %u:%g' "$rel/bin/tool" "$rel/www/server.js" "$rel/www")" "755 0:0
644 0:0
755 0:0" "modes and owners"

# runc runs the default service; then the worker, from the same image, with the override
# dev.slipway.services describes (command, working directory, environment).
port=$(free_port)
oci_host_bundle bundle "$port"
oci_runc_start "slipway-t-$$-web" bundle web.log
poll_for 30 curl -fsS "http://127.0.0.1:$port/" || fail "web did not answer: $(cat web.log)"
assert_eq "$(curl -fsS "http://127.0.0.1:$port/")" "web 1.0.0 /srv/demo/releases/1.0.0/www hi-from-/srv/demo/releases/1.0.0" "web's page"
port2=$(free_port)
mkdir bundle2
python3 - config.json bundle/config.json bundle2/config.json "$PWD/bundle/rootfs" "$port2" <<'PY' || fail "override"
import json, sys
image, src, dst, rootfs, port = sys.argv[1:]
svc = {s["name"]: s for s in json.loads(json.load(open(image))["config"]["Labels"]["dev.slipway.services"])}["worker"]
c = json.load(open(src))
c["root"] = {"path": rootfs, "readonly": True}
p = c["process"]
p["args"], p["cwd"] = svc["command"], svc["workdir"]
env = dict(e.split("=", 1) for e in p["env"])
env.update(svc["env"])  # its own variables, and the web's blanked
assert env["GREETING"] == "" and env["PORT"] == "" and env["SLIPWAY_SERVICE"] == "worker", env
env["PORT"] = port  # the worker is the same test server: give it a port of its own
p["env"] = ["%s=%s" % kv for kv in env.items()]
json.dump(c, open(dst, "w"))
PY
oci_runc_start "slipway-t-$$-worker" bundle2 worker.log
poll_for 30 curl -fsS "http://127.0.0.1:$port2/" || fail "worker did not answer: $(cat worker.log)"
assert_eq "$(curl -fsS "http://127.0.0.1:$port2/")" "worker 1.0.0 /srv/demo/releases/1.0.0 -" "worker's page"
oci_cleanup
OCI_RUNC_IDS=()

# Exporting again gives the same image, byte for byte: into a new layout and into the same one.
expect_rc 0 "$SLIPWAY" export-oci demo.tar.zst -p test.pub --base base:node -o out2
assert_eq "$(oci_digest out2 1.0.0)" "$digest" "digest of a second export"
cmp "out/blobs/sha256/$layer" "out2/blobs/sha256/$layer" || fail "layer bytes differ"
expect_rc 0 "$SLIPWAY" export-oci demo.tar.zst -p test.pub --base base:node -o out
assert_eq "$(python3 -c 'import json; print(len(json.load(open("out/index.json"))["manifests"]))')" 1 "entries in out/index.json"
# Into the base layout itself, under another tag: the base stays tagged, nothing is copied.
expect_rc 0 "$SLIPWAY" export-oci demo.tar.zst -p test.pub --base base:node -o base --tag demo-1
assert_eq "$(oci_digest base demo-1)" "$digest" "digest in the base layout"
assert_eq "$(oci_digest base node)" "$base_digest" "the base image"

# --service chooses what the image runs.
expect_rc 0 "$SLIPWAY" export-oci demo.tar.zst -p test.pub --base base:node -o out --service worker --tag worker
skopeo inspect --config oci:out:worker >wconfig.json || fail "skopeo inspect worker"
json_is wconfig.json "$c[\"Cmd\"]" "['node', '/srv/demo/releases/1.0.0/www/server.js']"
json_is wconfig.json "$c[\"WorkingDir\"]" "/srv/demo/releases/1.0.0"
json_is wconfig.json "'ExposedPorts' in $c or [e for e in $c[\"Env\"] if e.startswith('PORT=')]" "[]"

# The Kubernetes YAML.
python3 - k8s.yaml "$digest" >k8s.txt <<'PY' || fail "the YAML does not parse or lacks something: $(cat k8s.txt)"
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
digest = sys.argv[2]
kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
assert kinds == [("Deployment", "demo-web"), ("Service", "demo-web"), ("Deployment", "demo-worker")], kinds
for d in (docs[0], docs[2]):
    s = d["spec"]
    assert s["strategy"]["type"] == "RollingUpdate" and s["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, s["strategy"]
    assert s["selector"]["matchLabels"] == {k: v for k, v in s["template"]["metadata"]["labels"].items() if k in s["selector"]["matchLabels"]}
    c = s["template"]["spec"]["containers"][0]
    assert c["image"] == "demo:1.0.0@" + digest, c["image"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in c["env"] if "valueFrom" in e}
    assert refs == {"API_KEY": {"name": "demo-secrets", "key": "API_KEY"},
                    "EXTRA_KEY": {"name": "demo-secrets", "key": "EXTRA_KEY", "optional": True}}, refs
    assert all("value" not in e for e in c["env"] if e["name"] in refs)
web, svc, worker = docs
wc = web["spec"]["template"]["spec"]["containers"][0]
assert web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 15
assert wc["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}, wc["readinessProbe"]
assert wc["command"] == ["node", "server.js"] and wc["workingDir"] == "/srv/demo/releases/1.0.0/www"
assert {"name": "HOSTNAME", "value": "0.0.0.0"} in wc["env"] and {"name": "PORT", "value": "8080"} in wc["env"]
assert wc["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
assert svc["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
assert svc["spec"]["ports"] == [{"port": 8080, "targetPort": 8080, "protocol": "TCP"}]
kc = worker["spec"]["template"]["spec"]["containers"][0]
assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 1800
assert "readinessProbe" not in kc and "ports" not in kc
assert kc["command"] == ["node", "/srv/demo/releases/1.0.0/www/server.js"]
assert {"name": "SLIPWAY_SERVICE", "value": "worker"} in kc["env"]
for blanked in ("GREETING", "NODE_ENV", "PORT", "HOSTNAME"):  # the web's, in the image's Env
    assert {"name": blanked, "value": ""} in kc["env"], (blanked, kc["env"])
print("ok")
PY
true
