#!/usr/bin/env python3
"""Stand-in for MediAI's LiveKit Agents worker (Python standard library only).

It has the real worker's process lifecycle and nothing else: no network, no
LiveKit, no Gemini. The real `livekit-agents` worker replaces this file; see
README.md next to it for what is imitated and the knobs tests use.

    python3 agent/main.py start
"""

import http.server
import os
import signal
import sys
import threading
import time

NAME = "mediai-agent"
REQUIRED = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")

signals_seen = 0
drain_deadline = None


def log(msg, stream=None):
    # One line per event, flushed at once: the supervisor reads a pipe, and
    # tests count these lines.
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


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"OK\n" if self.path == "/" else b"not found\n"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # health probes would drown the log


def start_health_server(port):
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Health)
    except OSError as e:
        log("cannot listen on 127.0.0.1:%d for health checks: %s"
            " (set AGENT_HEALTH_PORT, 0 disables)" % (port, e.strerror), sys.stderr)
        sys.exit(1)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log("health server on http://127.0.0.1:%d/" % server.server_address[1])


def on_signal(signum, frame):
    global signals_seen, drain_deadline
    signals_seen += 1
    log("received %s (%d)" % (signal.Signals(signum).name, signals_seen))
    if signals_seen == 1:
        drain = env_number("AGENT_DRAIN_SECONDS", 5.0)
        log("draining: no new consultations, waiting up to %gs for running ones"
            % drain)
        drain_deadline = time.monotonic() + drain
    else:
        log("force exit: live consultations would be cut off")
        os._exit(1)


def main(argv):
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

    port = env_number("AGENT_HEALTH_PORT", 8081, int)
    if port:
        start_health_server(port)

    time.sleep(env_number("AGENT_CONNECT_SECONDS", 0.5))
    if drain_deadline is None:
        log("registered worker (id AW_standin_%d, agent %s)" % (os.getpid(), NAME))

    exit_after = env_number("AGENT_EXIT_AFTER_SECONDS", 0.0)
    exit_at = time.monotonic() + exit_after if exit_after else None
    while True:
        now = time.monotonic()
        if drain_deadline is not None and now >= drain_deadline:
            log("drained, exiting")
            return 0
        if exit_at is not None and drain_deadline is None and now >= exit_at:
            code = env_number("AGENT_EXIT_CODE", 0, int)
            log("gave up, exiting with status %d" % code)
            return code
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
