#!/usr/bin/env python3
"""Stand-in for MediAI's LiveKit Agents worker (Python standard library only).

It has the real worker's process lifecycle, traps included, and nothing else: no LiveKit
protocol, no Gemini. The real `livekit-agents` worker replaces this file; README.md next to
it lists what is imitated and the knobs tests use.

    python3 agent/main.py start
"""

import http.server
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

NAME = "mediai-agent"
REQUIRED = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")

signals_seen = 0
draining = False
registered = False
server_conn = None
active_jobs = 0
pool = []


def log(msg, stream=None):
    # One line per event, flushed at once: the supervisor reads a pipe, and tests count
    # these lines.
    stream = stream or sys.stdout
    stream.write("%s: %s\n" % (NAME, msg))
    stream.flush()


def env_number(name, default, kind=float):
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = -1
    if value < 0:
        log("%s must be a non-negative number" % name, sys.stderr)
        sys.exit(2)
    return value


def tell_server(obj):
    try:
        if server_conn is not None:
            server_conn.sendall((json.dumps(obj) + "\n").encode())
    except OSError:
        pass


class Health(http.server.BaseHTTPRequestHandler):
    # Like the framework's: 503 until the worker has registered with LiveKit, then 200.
    def do_GET(self):
        if self.path == "/":
            code, body = (200, b"OK") if registered else (503, b"not connected to livekit")
        elif self.path == "/worker":
            code = 200
            body = json.dumps({"agent_name": NAME, "active_jobs": active_jobs,
                               "pid": os.getpid()}).encode()
        else:
            code, body = 404, b"not found"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # health probes would drown the log


def start_health_server(port):
    # All interfaces, as the framework does (AGENT_HEALTH_HOST: stand-in knob). A taken port
    # is fatal, as in the framework: the worker dies with "address already in use" (two
    # generations on one fixed port).
    host = os.environ.get("AGENT_HEALTH_HOST", "0.0.0.0")
    try:
        server = http.server.ThreadingHTTPServer((host, port), Health)
    except OSError as e:
        raise OSError(e.errno, "error while attempting to bind on address ('%s', %d): "
                      "address already in use" % (host, port) if e.errno == 98 else str(e)) from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log("health server listening on port %d" % server.server_address[1])


def on_signal(signum, frame):
    global signals_seen, draining
    signals_seen += 1
    name = signal.Signals(signum).name
    log("received %s (%d)" % (name, signals_seen))
    tell_server({"type": "signal", "name": name})
    if signals_seen == 1:
        draining = True
        log("draining: no new consultations; waiting for %d running one(s)" % active_jobs)
        tell_server({"type": "draining"})
    else:
        # The framework has no handler left for a second signal: live calls are cut.
        log("force exit: live consultations are cut off")
        for jp in pool:
            jp.proc.kill()
        os._exit(1)


def server_address():
    url = urllib.parse.urlsplit(os.environ["LIVEKIT_URL"])
    return url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "wss" else 80)


def connect():
    """Connects to the LiveKit server like the framework: retries after 2, 4, 6, ... 10 s."""
    global server_conn
    host, port = server_address()
    retries = 0
    while not draining:
        try:
            s = socket.create_connection((host, port), timeout=5)
            time.sleep(env_number("AGENT_CONNECT_SECONDS", 2.5))  # imports, process pool
            s.sendall((json.dumps({"type": "register", "pid": os.getpid()}) + "\n").encode())
            answer = json.loads(s.makefile().readline() or "{}")
            if answer.get("type") == "registered":
                s.settimeout(None)
                server_conn = s
                return answer.get("id", "?")
            s.close()
        except (OSError, ValueError) as e:
            err = e
        else:
            err = "unexpected answer"
        retries += 1
        delay = min(retries * 2, 10) * env_number("AGENT_RETRY_SCALE", 1.0)
        log("failed to connect to livekit (%s), retrying in %gs" % (err, delay), sys.stderr)
        time.sleep(delay)
    return None


class JobProcess:
    """A job process of the pool: forked at start, in the worker's process group."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "job"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=0)
        self.job = None
        self.buf = b""


def run_worker():
    global registered, active_jobs
    pool.extend(JobProcess() for _ in range(int(env_number("AGENT_JOB_PROCESSES", 1, int))))

    # The one-line contract with slipway: each generation gets its own health port.
    port = int(os.environ.get("SLIPWAY_HEALTH_PORT", 8081))
    if "AGENT_HEALTH_PORT" in os.environ:
        # Stand-in knob: an agent that hard-codes its port (0: no health server).
        port = env_number("AGENT_HEALTH_PORT", 0, int)
    if port:
        start_health_server(port)

    worker_id = connect()
    if worker_id is None:
        log("drained, exiting")
        return 0
    registered = not draining
    if registered:
        log("registered worker (id %s, agent %s)" % (worker_id, NAME))
    sel = selectors.DefaultSelector()
    sel.register(server_conn, selectors.EVENT_READ, None)
    for jp in pool:
        sel.register(jp.proc.stdout, selectors.EVENT_READ, jp)
    server_buf = b""
    drain_timeout = env_number("AGENT_DRAIN_SECONDS", 3600.0)
    drain_deadline = None
    exit_after = env_number("AGENT_EXIT_AFTER_SECONDS", 0.0)
    exit_at = time.monotonic() + exit_after if exit_after else None

    while True:
        now = time.monotonic()
        if draining and drain_deadline is None:
            drain_deadline = now + drain_timeout
        if draining and active_jobs == 0:
            for jp in pool:
                jp.proc.stdin.close()
            for jp in pool:
                jp.proc.wait()
            log("drained, exiting")
            return 0
        if draining and now >= drain_deadline:
            log("drain timed out: cutting %d consultation(s)" % active_jobs, sys.stderr)
            return 1
        if exit_at is not None and not draining and now >= exit_at:
            code = env_number("AGENT_EXIT_CODE", 0, int)
            log("gave up, exiting with status %d" % code)
            return code
        for key, _ in sel.select(timeout=0.05):
            if key.data is None:
                data = server_conn.recv(4096)
                if not data:
                    log("connection to livekit lost", sys.stderr)
                    return 1
                server_buf += data
                while b"\n" in server_buf:
                    line, server_buf = server_buf.split(b"\n", 1)
                    msg = json.loads(line)
                    if msg.get("type") != "job":
                        continue
                    idle = [jp for jp in pool if jp.job is None and jp.proc.poll() is None]
                    if draining or not idle:
                        log("rejecting job %s (%s)" % (msg["id"], "draining" if draining
                                                       else "no idle job process"))
                        continue
                    jp = idle[0]
                    jp.job = msg["id"]
                    active_jobs += 1
                    host, sport = server_address()
                    jp.proc.stdin.write(("%s %s %d %d\n" % (msg["id"], host, sport,
                                                            os.getpid())).encode())
                    log("received job request %s (job process %d)" % (msg["id"], jp.proc.pid))
            else:
                jp = key.data
                data = os.read(jp.proc.stdout.fileno(), 4096)
                if not data:
                    sel.unregister(jp.proc.stdout)
                    code = jp.proc.wait()
                    log("job process %d died (status %d)%s" % (
                        jp.proc.pid, code,
                        ": the call %s is cut" % jp.job if jp.job is not None else ""),
                        sys.stderr)
                    if jp.job is not None:
                        jp.job = None
                        active_jobs -= 1
                    continue
                jp.buf += data
                while b"\n" in jp.buf:
                    line, jp.buf = jp.buf.split(b"\n", 1)
                    if line.startswith(b"done ") and jp.job is not None:
                        log("job %s finished" % jp.job)
                        jp.job = None
                        active_jobs -= 1


def job_main():
    """A job process. It expects the worker alone to get SIGTERM: while it initialises the
    default action kills it (as a Node job process still starting); afterwards it ignores
    the signal, like the framework's job processes, and says so on stderr."""
    time.sleep(env_number("AGENT_JOB_INIT_SECONDS", 1.0))
    signal.signal(signal.SIGTERM, lambda *_: log(
        "job process %d: received SIGTERM; ignoring it (the worker ends jobs)" % os.getpid(),
        sys.stderr))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log("job process %d: initialised" % os.getpid(), sys.stderr)
    for line in sys.stdin:
        job, host, port, worker = line.split()
        with socket.create_connection((host, int(port))) as s:
            s.sendall((json.dumps({"type": "call", "job": job, "pid": os.getpid(),
                                   "worker_pid": int(worker)}) + "\n").encode())
            for reply in s.makefile():
                if json.loads(reply).get("type") == "end":
                    s.sendall(b'{"type": "finished"}\n')
                    break
        sys.stdout.write("done %s\n" % job)
        sys.stdout.flush()
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "job":
        return job_main()
    if len(argv) != 2 or argv[1] != "start":
        sys.stderr.write("usage: %s start\n" % argv[0])
        return 2

    missing = [n for n in REQUIRED if not os.environ.get(n)]
    if missing:
        log("cannot start: missing required environment variable(s): %s"
            % " ".join(missing), sys.stderr)
        return 1

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log("starting worker (stand-in for livekit-agents, pid %d)" % os.getpid())
    return run_worker()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
