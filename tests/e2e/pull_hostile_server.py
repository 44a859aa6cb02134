#!/usr/bin/env python3
"""A hostile channel host for t_pull_hostile.sh: serves DIR's files as they are, except the
archive (the file named ARCHIVE), which it answers according to MODE:

    extra     the real bytes followed by 4096 more, without Content-Length (connection close)
    badlen    the real bytes with a Content-Length one byte short of them
    stall     the first half of the bytes (Content-Length the real size), then nothing for 60 s
    drip      the bytes (Content-Length the real size), 100 every 0.1 s: about 1 KB a second
    rangeextra   a Range request: 206, the right Content-Range, the bytes and 4096 more
                 (no Content-Length, connection close); other requests as they are
    rangeshift   a Range request: 206 with the range one byte later than asked, and its bytes
    multibad     a request for one range as asked; for several, multipart/byteranges whose
                 last part says (and carries) the range one byte later than asked
    multiextra   the same, with every range as asked, but 10 bytes more in the last part
    rangedrip    Range requests answered as asked (multipart for several), every body sent
                 1,000 bytes every 0.1 s: about 10 KB a second, a slow but live transfer
    rangecut     Range requests answered as asked (multipart for several), but the third
                 one: its headers, then half its body, and the connection closes; the log
                 gets "cut: N bytes of whole ranges sent" (the parts whose data was all sent)

    pull_hostile_server.py DIR ARCHIVE MODE PORT
"""
import http.server
import os
import sys
import time

DIR, ARCHIVE, MODE, PORT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


RANGE_REQUESTS = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def answer(self, out, parts=()):
        """Writes out (slowly for rangedrip), or half of it on rangecut's third Range request. parts: (end of the
        part's data in out, its length) for a multipart answer."""
        RANGE_REQUESTS[0] += 1
        if MODE == "rangedrip":
            for i in range(0, len(out), 1000):
                self.wfile.write(out[i:i + 1000])
                self.wfile.flush()
                time.sleep(0.1)
            return
        if MODE == "rangecut" and RANGE_REQUESTS[0] == 3:
            out = out[: len(out) // 2]
            whole = sum(length for end, length in parts if end <= len(out))
            sys.stderr.write("cut: %d bytes of whole ranges sent\n" % whole)
            sys.stderr.flush()
        self.wfile.write(out)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s range=%s\n" % (self.requestline, self.headers.get("Range")))

    def do_GET(self):
        name = self.path.lstrip("/")
        path = os.path.join(DIR, name)
        if "/" in name or not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        rng = self.headers.get("Range")
        if name == ARCHIVE and rng and (MODE.startswith("multi") or MODE in ("rangecut", "rangedrip")) and "," in rng:
            spans = [tuple(map(int, r.split("-"))) for r in rng.split("=", 1)[1].split(",")]
            out = b""
            parts = []
            for i, (first, last) in enumerate(spans):
                end = i == len(spans) - 1
                shift = 1 if MODE == "multibad" and end else 0
                extra = b"0123456789" if MODE == "multiextra" and end else b""
                out += b"\r\n--XYZ\r\nContent-Type: application/octet-stream\r\n"
                out += b"Content-Range: bytes %d-%d/%d\r\n\r\n" % (first + shift, last + shift, len(data))
                out += data[first + shift:last + 1 + shift] + extra
                parts.append((len(out), last + 1 - first))
            out += b"\r\n--XYZ--\r\n"
            self.send_response(206)
            self.send_header("Content-Type", "multipart/byteranges; boundary=XYZ")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.answer(out, parts)
            return
        if name == ARCHIVE and rng and (MODE.startswith("multi") or MODE in ("rangecut", "rangedrip")):
            first, last = map(int, rng.split("=", 1)[1].split("-"))
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, len(data)))
            self.send_header("Content-Length", str(last + 1 - first))
            self.end_headers()
            self.answer(data[first:last + 1])
            return
        if name == ARCHIVE and rng and MODE.startswith("range"):
            first, last = map(int, rng.split("=", 1)[1].split("-"))
            shift = 1 if MODE == "rangeshift" else 0
            body = data[first + shift:last + 1 + shift]
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first + shift, last + shift, len(data)))
            if MODE == "rangeshift":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body + (b"\0" * 4096 if MODE == "rangeextra" else b""))
            return
        self.send_response(200)
        if name != ARCHIVE or MODE.startswith("range") or MODE.startswith("multi"):
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
        elif MODE == "drip":
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for i in range(0, len(data), 100):
                self.wfile.write(data[i:i + 100])
                self.wfile.flush()
                time.sleep(0.1)
        elif MODE == "stall":
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(60)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
