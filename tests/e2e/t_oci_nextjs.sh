# The example app for real: the Next.js build of examples/mediai (through the fixture cache)
# with its web and agent services, exported onto a base image made from this machine's node;
# umoci unpacks it and runc runs it as the image says (command, working directory, env):
# curl gets the page, which shows the release slipway set, and a static asset; the --k8s
# YAML gives the agent its 30-minute drain and the web its Server Actions key from the Secret.
source "$REPO/tests/e2e/oci_lib.sh"
source "$REPO/tests/e2e/run_helpers.sh"
trap oci_cleanup EXIT

minisign -G -W -p test.pub -s test.key -c "slipway TEST KEY" >/dev/null 2>&1 || fail "minisign -G"
run_next_tree app
agent='{"name": "agent", "argv": ["python3", "agent/main.py", "start"], "cwd": "",
  "env": {"PYTHONUNBUFFERED": "1"}, "port": 0, "ready": "none", "ready_timeout_ms": 0,
  "stop_timeout_ms": 1800000}'
"$PY" "$REPO/tests/e2e/make_release.py" --tree app --app mediai --version 2.0.0 --serial 20 \
	--out mediai.tar.zst --sign test.key --service "$(next_service 5000)" --service "$agent" \
	--required LIVEKIT_URL LIVEKIT_API_KEY LIVEKIT_API_SECRET >/dev/null || fail "make_release.py"
oci_base_node base

expect_rc 0 "$SLIPWAY" export-oci mediai.tar.zst -p test.pub --base base:node -o img --k8s k8s.yaml
assert_contains "$out" "service: web"
skopeo inspect --config oci:img:2.0.0 >config.json || fail "skopeo inspect --config"
assert_eq "$(python3 -c 'import json; c=json.load(open("config.json"))["config"]; print(c["Cmd"], c["WorkingDir"], c["ExposedPorts"])')" \
	"['node', 'server.js'] /srv/mediai/releases/2.0.0/.next/standalone {'5000/tcp': {}}" "config"

expect_rc 0 umoci unpack --image img:2.0.0 bundle
port=$(free_port)
oci_host_bundle bundle "$port"
oci_runc_start "slipway-t-$$-next" bundle next.log
poll_for 60 running_is "$port" 2.0.0 || fail "the page does not show 2.0.0: $(page "$port"; tail -20 next.log)"
page "$port" | grep -q "Welcome to MediAI" || fail "not the example page"
css=$(page "$port" | grep -o '/_next/static/[^"]*\.css' | head -1)
[ -n "$css" ] || fail "no stylesheet link in the page"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$css")" 200 "static asset"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health")" 200 "the readiness path"

python3 - k8s.yaml <<'PY' || fail "k8s.yaml"
import sys, yaml
docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(open(sys.argv[1]))}
assert set(docs) == {("Deployment", "mediai-web"), ("Service", "mediai-web"), ("Deployment", "mediai-agent")}, set(docs)
agent = docs[("Deployment", "mediai-agent")]["spec"]
assert agent["template"]["spec"]["terminationGracePeriodSeconds"] == 1800
assert agent["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
web = docs[("Deployment", "mediai-web")]["spec"]["template"]["spec"]["containers"][0]
assert web["readinessProbe"]["httpGet"] == {"path": "/api/health", "port": 5000}
# Next.js's Server Actions key, shared by the replicas, from the Secret: the web's alone.
key = "NEXT_SERVER_ACTIONS_ENCRYPTION_KEY"
refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in web["env"] if "valueFrom" in e}
assert refs[key] == {"name": "mediai-secrets", "key": key, "optional": True}, refs
agent_env = agent["template"]["spec"]["containers"][0]["env"]
assert key not in [e["name"] for e in agent_env], agent_env
PY
true
