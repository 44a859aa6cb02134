#!/usr/bin/env python3
"""A hostile channel host for t_pull_hostile.sh: serves DIR's files as they are, except the
archive (the file named ARCHIVE), which it answers according to MODE:

    extra     the real bytes followed by 4096 more, without Content-Length (connection close)
    badlen    the real bytes with a Content-Length one byte short of them
    stall     the first half of the bytes (Content-Length the real size), then nothing for 60 s

    pull_hostile_server.py DIR ARCHIVE MODE PORT
"""
import http.server
import os
import sys
import time

DIR, ARCHIVE, MODE, PORT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s range=%s\n" % (self.requestline, self.headers.get("Range")))

    def do_GET(self):
        name = self.path.lstrip("/")
        path = os.path.join(DIR, name)
        if "/" in name or not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        self.send_response(200)
        if name != ARCHIVE:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif MODE == "extra":
            self.end_headers()
            self.wfile.write(data + b"\0" * 4096)
        elif MODE == "badlen":
            self.send_header("Content-Length", str(len(data) - 1))
            self.end_headers()
            self.wfile.write(data[:-1])
        elif MODE == "stall":
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(60)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
