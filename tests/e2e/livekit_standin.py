#!/usr/bin/env python3
"""A loopback stand-in for a LiveKit server, for the example agent (examples/mediai/agent).

It plays the server's part of the worker lifecycle and keeps its own record, so tests judge a
handover by what the "LiveKit side" saw, not by what slipway says it did:

- workers connect and register (the worker then logs `registered worker`);
- `dispatch` hands a consultation (a job) to the newest available worker; the worker's job
  process opens its own connection for the call and holds it until `end`;
- a worker that drains tells the server (no new jobs go to it); signals it received are
  reported too, so the server knows how many SIGTERMs each worker main process got;
- a call whose connection drops before `end` is recorded as cut.

Line protocol: one JSON object per line over TCP (the real server speaks protobuf over a
websocket; the lifecycle is what matters here).

    livekit_standin.py serve --port-file FILE       run until SIGTERM/SIGINT (127.0.0.1, free port)
    livekit_standin.py ctl PORT dispatch            JSON {"job", "worker_pid"}; exit 1 if no worker
    livekit_standin.py ctl PORT end                 end every live call; prints how many
    livekit_standin.py ctl PORT stats               JSON {"workers": [...], "calls": [...]}

Times in `stats` are CLOCK_MONOTONIC milliseconds (time.monotonic), comparable across
processes of one machine.
"""
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time

lock = threading.Lock()
workers = []  # dicts: n, pid, registered_at, draining_at, closed_at, sigterms, conn
calls = []  # dicts: id, worker_pid, job_pid, started_at, ended_at, cut, conn
jobs = [0]  # jobs dispatched so far


def now_ms():
    return int(time.monotonic() * 1000)


def log(msg):
    sys.stdout.write("livekit-standin: %s\n" % msg)
    sys.stdout.flush()


def send(conn, obj):
    try:
        conn.sendall((json.dumps(obj) + "\n").encode())
        return True
    except OSError:
        return False


def public(d):
    return {k: v for k, v in d.items() if k != "conn"}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        first = self.rfile.readline()
        if not first:
            return
        try:
            msg = json.loads(first)
        except ValueError:
            return
        kind = msg.get("type")
        if kind == "register":
            self.worker(msg)
        elif kind == "call":
            self.call(msg)
        elif kind == "ctl":
            send(self.connection, control(msg.get("cmd")))

    def worker(self, msg):
        with lock:
            w = {"n": len(workers) + 1, "pid": int(msg.get("pid", 0)), "registered_at": now_ms(),
                 "draining_at": 0, "closed_at": 0, "sigterms": 0, "conn": self.connection}
            workers.append(w)
        send(self.connection, {"type": "registered", "id": "AW_%d" % w["n"]})
        log("worker %d (pid %d) registered" % (w["n"], w["pid"]))
        for line in self.rfile:
            try:
                m = json.loads(line)
            except ValueError:
                continue
            with lock:
                if m.get("type") == "draining" and not w["draining_at"]:
                    w["draining_at"] = now_ms()
                    log("worker %d (pid %d) is draining" % (w["n"], w["pid"]))
                elif m.get("type") == "signal" and m.get("name") == "SIGTERM":
                    w["sigterms"] += 1
        with lock:
            w["closed_at"] = now_ms()
        log("worker %d (pid %d) disconnected" % (w["n"], w["pid"]))

    def call(self, msg):
        with lock:
            c = {"id": msg.get("job", ""), "worker_pid": int(msg.get("worker_pid", 0)),
                 "job_pid": int(msg.get("pid", 0)), "started_at": now_ms(), "ended_at": 0,
                 "cut": False, "conn": self.connection}
            calls.append(c)
        log("call %s live in job process %d" % (c["id"], c["job_pid"]))
        finished = False
        for line in self.rfile:
            try:
                if json.loads(line).get("type") == "finished":
                    finished = True
                    break
            except ValueError:
                continue
        with lock:
            if not c["ended_at"] or not finished:
                c["cut"] = not finished
                c["ended_at"] = c["ended_at"] or now_ms()
        log("call %s %s" % (c["id"], "finished" if finished else "CUT"))


def control(cmd):
    with lock:
        if cmd == "stats":
            return {"workers": [public(w) for w in workers], "calls": [public(c) for c in calls]}
        if cmd == "dispatch":
            live = [w for w in workers if not w["draining_at"] and not w["closed_at"]]
            if not live:
                return {"error": "no available worker"}
            w = live[-1]
            jobs[0] += 1
            job = "AJ_%d" % jobs[0]
            ok = send(w["conn"], {"type": "job", "id": job})
            return {"job": job, "worker_pid": w["pid"]} if ok else {"error": "worker gone"}
        if cmd == "end":
            n = 0
            for c in calls:
                if not c["ended_at"]:
                    c["ended_at"] = now_ms()
                    send(c["conn"], {"type": "end"})
                    n += 1
            return {"ended": n}
    return {"error": "unknown command %r" % cmd}


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(port_file):
    srv = Server(("127.0.0.1", 0), Handler)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, port_file)
    log("listening on ws://127.0.0.1:%d" % srv.server_address[1])
    while not stop.wait(0.2):
        pass
    srv.shutdown()
    return 0


def ctl(port, cmd):
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as s:
        s.sendall((json.dumps({"type": "ctl", "cmd": cmd}) + "\n").encode())
        answer = json.loads(s.makefile().readline())
    print(json.dumps(answer))
    return 1 if "error" in answer else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "serve" and argv[2].startswith("--port-file="):
        return serve(argv[2].split("=", 1)[1])
    if len(argv) == 4 and argv[1] == "serve" and argv[2] == "--port-file":
        return serve(argv[3])
    if len(argv) == 4 and argv[1] == "ctl":
        return ctl(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
