# The Node preload's drain (specs/runtime.md, "The Node preload"), on a plain Node HTTP server
# without a SIGTERM handler of its own (SLIPWAY_SOCKET=preload, warm time 0): when B replaces
# A, a request A is still answering completes (200, with `Connection: close`), a client's
# keep-alive connection to A gets its next answer from A with `Connection: close` instead of
# a reset, A then exits by itself after its one SIGTERM (never SIGKILLed), and new
# connections go to B.
source "$REPO/tests/e2e/run_helpers.sh"
trap run_cleanup EXIT

port=$(free_port)
run_store store
for v in A B; do
	mkdir -p "tree-$v/www"
	cat >"tree-$v/www/app.js" <<'EOF'
const http = require('http');
const v = process.env.SLIPWAY_VERSION;
http.createServer((req, res) => {
	const answer = (body) => { res.setHeader('Content-Type', 'text/plain'); res.end(body + '\n'); };
	if (req.url === '/slow') setTimeout(() => answer('slow ' + v), 1500);
	else answer('release ' + v);
}).listen(Number(process.env.PORT), process.env.HOSTNAME);
EOF
	run_install store "$v" "tree-$v" --service '{"name": "web", "argv": ["node", "app.js"],
	  "cwd": "www", "env": {"SLIPWAY_SOCKET": "preload"}, "port": '"$port"', "ready": "http",
	  "ready_path": "/", "ready_timeout_ms": 20000, "stop_timeout_ms": 20000}'
done
run_activate store A
run_start store run.log SLIPWAY_WARM_MS=0
poll_for 20 page_is "$port" "release A" || fail "A not served: $(cat run.log)"
assert_contains "$(cat run.log)" "(release A) serves port $port"

# The preload listens with the backlogs slipway passes it (runtime/listeners.h, one home):
# Node's listen() would reset either socket's to 511. ss shows a listener's backlog as
# Send-Q; the kernel caps it at net.core.somaxconn.
max=$(sysctl -n net.core.somaxconn)
capped() { [ "$1" -lt "$max" ] && echo "$1" || echo "$max"; }
apid=$(sed -n 's/.*web: started pid \([0-9]*\)  release A.*/\1/p' run.log | head -1)
assert_eq "$(ss -Hltn "sport = :$port" | awk '{print $3}' | sort -u)" "$(capped 4096)" \
	"backlog of the public socket"
gate=$(ss -Hltnp | grep "pid=$apid," | awk '$4 ~ /^127\.0\.0\.1:/ {print $3}')
assert_eq "$gate" "$(capped 64)" "backlog of A's gate socket ($(ss -Hltnp | grep "pid=$apid,"))"

# The client: one keep-alive connection, one slow request; B is activated in between.
"$PY" - "$port" "$SLIPWAY" >client.out 2>&1 <<'EOF' || fail "client: $(cat client.out) $(tail -20 run.log)"
import http.client, subprocess, sys, threading
port, slipway = int(sys.argv[1]), sys.argv[2]
ka = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
ka.request("GET", "/")
r = ka.getresponse()
assert (r.status, r.read(), r.getheader("Connection")) == (200, b"release A\n", "keep-alive"), r
slow = {}
def slow_request():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/slow")
    r = c.getresponse()
    slow.update(status=r.status, body=r.read(), conn=r.getheader("Connection"))
t = threading.Thread(target=slow_request)
t.start()
subprocess.run([slipway, "activate", "B", "--root", "store", "--wait"], check=True,
               stdout=subprocess.DEVNULL)
t.join()
assert slow == {"status": 200, "body": b"slow A\n", "conn": "close"}, slow
ka.request("GET", "/")  # on the connection A still holds
r = ka.getresponse()
assert (r.status, r.read(), r.getheader("Connection")) == (200, b"release A\n", "close"), r
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("GET", "/")
assert c.getresponse().read() == b"release B\n"
print("ok")
EOF
a_stopped() { grep -q "web: stopped (pid .* killed by signal 15 (SIGTERM))" run.log; }
poll_for 20 a_stopped || fail "A did not end by its SIGTERM: $(tail -20 run.log)"
assert_not_contains "$(cat run.log)" "SIGKILL"
assert_eq "$(grep -c 'sent SIGTERM to pid' run.log)" 1 "SIGTERMs sent"
page_is "$port" "release B" || fail "B not served"
