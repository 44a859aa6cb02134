# The --k8s YAML played as is by a real consumer of Kubernetes YAML: Debian's podman
# (`podman kube play`: Deployments become pods), on the image export-oci made, pushed to
# Debian's docker-registry on loopback and pulled by podman by the digest the YAML pins.
#  - without the Secret, the play is refused (a required secret is required);
#  - v1: the web answers, the worker starts with API_KEY taken from the Secret by name
#    (EXTRA_KEY, optional, absent), both containers run the exported digest;
#  - v2's YAML played over v1 (`--replace`, podman's nearest to a rolling update): the page
#    changes, the worker is v2's;
#  - `podman kube down`: no pod left.
# podman runs with its own storage, run and network directories under $T, and
# `default_ulimits = []` (its default open-files limit can be above the machine's hard one).
# Run by `make check-engines` (tests/e2e/run.sh, so lib.sh's helpers and a fresh $T).
source "$REPO/tests/e2e/oci_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
command -v podman >/dev/null || fail "podman is missing (make deps installs it)"
command -v catatonit >/dev/null || fail "catatonit (podman's pause process) is missing (make deps installs it)"

mkdir -p pm
cat >pm/containers.conf <<CONF
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "$T/pm/tmp"
[network]
network_config_dir = "$T/pm/cni"
CONF
cat >pm/storage.conf <<CONF
[storage]
driver = "vfs"
graphroot = "$T/pm/root"
runroot = "$T/pm/run"
CONF
export CONTAINERS_CONF=$T/pm/containers.conf CONTAINERS_STORAGE_CONF=$T/pm/storage.conf
podman_cleanup() {
	podman pod rm -fa >/dev/null 2>&1
	podman network rm -f podman-default-kube-network >/dev/null 2>&1
	oci_cleanup
}
trap podman_cleanup EXIT

test_key
mkdir -p tree/www
cat >tree/www/server.js <<'JS'
const name = process.env.SLIPWAY_SERVICE, v = process.env.SLIPWAY_VERSION;
if (name === 'worker') {
  const k = process.env.API_KEY;
  console.log(`worker ${v}: API_KEY ${k ? k.length + ' bytes' : 'missing'}, EXTRA_KEY ${process.env.EXTRA_KEY === undefined ? 'unset' : 'set'}`);
  setInterval(() => {}, 1 << 30);
} else {
  require('http').createServer((q, r) => r.end(`${name} ${v}\n`)).listen(process.env.PORT, process.env.HOSTNAME);
}
JS
port=$(free_port)
web='{"name": "web", "argv": ["node", "server.js"], "cwd": "www", "env": {}, "port": '$port',
  "ready": "http", "ready_path": "/", "ready_timeout_ms": 10000, "stop_timeout_ms": 15000}'
worker='{"name": "worker", "argv": ["node", "www/server.js"], "cwd": "", "env": {},
  "port": 0, "ready": "none", "ready_timeout_ms": 0, "stop_timeout_ms": 60000}'
for v in 1 2; do
	"$PY" "$REPO/tests/e2e/make_release.py" --tree tree --app demo --version $v.0.0 --serial $v \
		--out demo$v.tar.zst --sign test.key --service "$web" --service "$worker" \
		--required API_KEY --optional EXTRA_KEY >/dev/null || fail "make_release.py v$v"
done
oci_base_node base
oci_registry_start "$T/registry"

# export_push V: export release V with its YAML (V.yaml) naming the registry, push it.
export_push() {
	expect_rc 0 "$SLIPWAY" export-oci "demo$1.tar.zst" -p test.pub --base base:node -o out \
		--k8s "v$1.yaml" --k8s-image "$OCI_REGISTRY/demo"
	digest=$(echo "$out" | sed -n 's/^digest: //p')
	expect_rc 0 skopeo copy --preserve-digests --dest-tls-verify=false "oci:out:$1.0.0" \
		"docker://$OCI_REGISTRY/demo:$1.0.0"
}
worker_log() { podman logs demo-worker-pod-0-worker 2>&1; }
worker_says() { worker_log | grep -qxF "$1"; }
page_says() { [ "$(curl -fsS --max-time 2 "http://127.0.0.1:$port/")" = "$1" ]; }
runs_digest() { # CONTAINER DIGEST
	assert_eq "$(podman inspect --format '{{.ImageDigest}}' "$1")" "$2" "image of $1"
}

export_push 1
# The Secret is required: without it, nothing starts.
expect_rc 125 podman kube play --tls-verify=false v1.yaml
assert_contains "$errout" "cannot set env API_KEY: no secret with name or id \"demo-secrets\""
podman pod rm -fa >/dev/null 2>&1

# The Secret by name, from an env file as the store keeps it (shared/env). podman 4.3 reads
# a kube Secret as a JSON map of base64 values (specs/oci.md "Kubernetes").
printf 'API_KEY=test-value-not-a-secret\n' >env
"$PY" -c 'import base64, json, sys
d = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
print(json.dumps({k: base64.b64encode(v.encode()).decode() for k, v in d.items()}))' env >secret.json
expect_rc 0 podman secret create demo-secrets secret.json
expect_rc 0 podman kube play --tls-verify=false v1.yaml
poll_for 60 page_says "web 1.0.0" || fail "v1's web does not answer on $port: $(podman ps -a; podman logs demo-web-pod-0-web 2>&1 | tail)"
poll_for 30 worker_says "worker 1.0.0: API_KEY 23 bytes, EXTRA_KEY unset" || fail "worker: $(worker_log)"
runs_digest demo-web-pod-0-web "$digest"
runs_digest demo-worker-pod-0-worker "$digest"
assert_eq "$(podman inspect --format '{{.Config.WorkingDir}}' demo-worker-pod-0-worker)" /srv/demo/releases/1.0.0 "worker's workdir"
# podman 4.3 does not carry terminationGracePeriodSeconds into the stop timeout (4.7 does):
# say what this podman gives the worker.
echo "podman $(podman version --format '{{.Client.Version}}'): the worker's stop timeout is" \
	"$(podman inspect --format '{{.Config.StopTimeout}}' demo-worker-pod-0-worker) s (the YAML asks 60)"

# v2 over v1.
export_push 2
expect_rc 0 podman kube play --replace --tls-verify=false v2.yaml
poll_for 60 page_says "web 2.0.0" || fail "v2's web does not answer: $(podman ps -a)"
poll_for 30 worker_says "worker 2.0.0: API_KEY 23 bytes, EXTRA_KEY unset" || fail "worker v2: $(worker_log)"
runs_digest demo-web-pod-0-web "$digest"

expect_rc 0 podman kube down v2.yaml
assert_eq "$(podman pod ls -q)" "" "pods after kube down"
! page_says "web 2.0.0" || fail "the web still answers after kube down"
