# A detected LiveKit worker's default stop_timeout covers its framework's own drain timeout,
# read from the installed framework's source for the version packed, plus 120 s
# (pack/drain.h); --print-config says where the number came from. The frameworks here are
# fixtures shaped like the real sources (the constant and the constructor default of
# @livekit/agents 1.9.0's dist/worker.cjs; livekit-agents' `drain_timeout: int = ...`).
# slipway.ini's own stop_timeout always wins.
source "$(dirname "${BASH_SOURCE[0]}")/pack_lib.sh"

stop_of() { json_get "$1" '[s["stop_timeout_ms"] for s in m["services"] if s["name"] == "agent"][0]'; }

# --- Python: vendored at pack from a wheel (no network)
make_project "$T/py"
cd "$T/py"
echo "livekit-agents==1.7.0" >agent/requirements.txt
echo "from livekit.agents import cli" >>agent/main.py
mkdir -p "$T/wheels"
python3 - "$T/wheels" <<'PY'
import base64, hashlib, sys, zipfile
ver = "1.7.0"
files = {
    "livekit/agents/__init__.py": b"",
    "livekit/agents/version.py": f'__version__ = "{ver}"\n'.encode(),
    # A distractor first: the option's own default is the one that counts.
    "livekit/agents/worker.py": b"class AgentServer:\n    def __init__(\n        self,\n"
        b"        *,\n        drain_timeout: int = 45 * 60,\n        port: int = 8081,\n"
        b"    ) -> None:\n        self._drain_timeout = drain_timeout\n",
    f"livekit_agents-{ver}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: livekit-agents\nVersion: {ver}\n".encode(),
    f"livekit_agents-{ver}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: slipway-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = f"livekit_agents-{ver}.dist-info/RECORD"
lines = []
for path, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    lines.append(f"{path},sha256={digest},{len(data)}")
lines.append(f"{record},,")
files[record] = ("\n".join(lines) + "\n").encode()
with zipfile.ZipFile(f"{sys.argv[1]}/livekit_agents-{ver}-py3-none-any.whl", "w") as z:
    for path, data in files.items():
        z.writestr(path, data)
PY
git add -A && git commit -qm "a LiveKit agent"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels" PIP_CONFIG_FILE=/dev/null

# Before pack vendors it, the framework is nowhere: the fallback, and why.
expect_rc 0 "$SLIPWAY" pack --print-config
assert_contains "$out" "stop_timeout = 30m"
assert_contains "$out" "stop_timeout: 1800 s, the fallback: livekit-agents's drain timeout could not be read (not vendored yet: pack reads the copy it vendors)"
# pack reads the copy it vendored: 45 min + 120 s.
expect_rc 0 "$SLIPWAY" pack -o "$T/out" --unsigned --version 1.0.0
manifest_of "$T/out/demo-1.0.0.tar.zst" >"$T/m.json"
assert_eq "$(stop_of "$T/m.json")" $((45 * 60 * 1000 + 120000)) "Python agent's stop_timeout_ms"

# A copy vendored by hand in agent/.deps (or a virtualenv) is read by --print-config too.
mkdir -p agent/.venv/lib/python3.11/site-packages/livekit/agents
printf 'drain_timeout: float = 1800.0\n' >agent/.venv/lib/python3.11/site-packages/livekit/agents/worker.py
printf '__version__ = "1.6.4"\n' >agent/.venv/lib/python3.11/site-packages/livekit/agents/version.py
expect_rc 0 "$SLIPWAY" pack --print-config
assert_contains "$out" "stop_timeout: livekit-agents 1.6.4's drain timeout (1800000 ms, read from agent/.venv/lib/python3.11/site-packages/livekit/agents/worker.py) + 120 s"
assert_contains "$out" "stop_timeout = 32m"

# slipway.ini's stop_timeout wins, at --print-config and at pack.
printf '[service agent]\nstop_timeout = 20m\n' >slipway.ini
git add slipway.ini && git commit -qm "stop_timeout"
expect_rc 0 "$SLIPWAY" pack --print-config
assert_contains "$out" "stop_timeout = 20m"
assert_not_contains "$out" "drain timeout"
expect_rc 0 "$SLIPWAY" pack -o "$T/out2" --unsigned --version 1.0.1
manifest_of "$T/out2/demo-1.0.1.tar.zst" >"$T/m2.json"
assert_eq "$(stop_of "$T/m2.json")" $((20 * 60 * 1000)) "stop_timeout set in slipway.ini"

# --- Node: @livekit/agents in agent/node_modules
make_project "$T/node"
cd "$T/node"
rm agent/main.py
echo '{"name": "agent", "dependencies": {"@livekit/agents": "^1.9.0"}}' >agent/package.json
echo "require('@livekit/agents')" >agent/agent.js
fw=agent/node_modules/@livekit/agents
mkdir -p "$fw/dist"
echo '{"name": "@livekit/agents", "version": "1.9.0"}' >"$fw/package.json"
cat >"$fw/dist/worker.cjs" <<'JS'
const DRAIN_TIMEOUT = 60 * 60 * 1e3;
class ServerOptions {
  drainTimeout;
  constructor({
    drainTimeout = DRAIN_TIMEOUT,
    shutdownProcessTimeout = 60 * 1000,
  }) {
    this.drainTimeout = drainTimeout;
  }
}
JS
git add -A && git commit -qm "a Node LiveKit agent"
expect_rc 0 "$SLIPWAY" pack --print-config
assert_contains "$out" "stop_timeout: @livekit/agents 1.9.0's drain timeout (3600000 ms, read from agent/node_modules/@livekit/agents/dist/worker.cjs) + 120 s"
assert_contains "$out" "stop_timeout = 62m"
expect_rc 0 "$SLIPWAY" pack -o "$T/out3" --unsigned --version 2.0.0
manifest_of "$T/out3/demo-2.0.0.tar.zst" >"$T/m3.json"
assert_eq "$(stop_of "$T/m3.json")" $((62 * 60 * 1000)) "Node agent's stop_timeout_ms"
# Not installed: the fallback says so.
rm -rf agent/node_modules
expect_rc 0 "$SLIPWAY" pack --print-config
assert_contains "$out" "stop_timeout = 30m"
assert_contains "$out" "drain timeout could not be read (not installed in agent/node_modules or node_modules)"
