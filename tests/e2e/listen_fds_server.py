#!/usr/bin/env python3
"""A small web server that takes its listening socket the systemd way (fd 3, LISTEN_FDS=1,
LISTEN_PID = its own pid) and never binds a port itself; for the t_run_socket_* tests.
GET answers "release $SLIPWAY_VERSION". SIGTERM: stop accepting, finish the request in
progress, exit 0 (what a well-behaved server does; connections still queued stay in the
socket, which slipway keeps open for the next generation)."""
import http.server
import os
import signal
import socket
import sys
import threading

if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
    sys.exit("listen_fds_server: no socket passed (LISTEN_PID %r, LISTEN_FDS %r)" %
             (os.environ.get("LISTEN_PID"), os.environ.get("LISTEN_FDS")))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        body = ("release %s\n" % os.environ.get("SLIPWAY_VERSION", "?")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = socket.socket(fileno=3)
print("serving on the inherited socket %s:%d (%s)" % (*server.socket.getsockname()[:2],
      os.environ.get("LISTEN_FDNAMES", "")), flush=True)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever(poll_interval=0.05)
