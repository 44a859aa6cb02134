#!/usr/bin/env python3
"""A stand-in for the parts of systemd that `slipway run` talks to, for t_run_socket_systemd.sh:
a notification socket (NOTIFY_SOCKET) that records every message and keeps the descriptors
sent with FDSTORE=1 (the file-descriptor store of a unit with FileDescriptorStoreMax=), and
restarts that hand the stored descriptors to the next start as LISTEN_FDS, LISTEN_PID and
LISTEN_FDNAMES, as systemd does.

  fake_systemd.py --events FILE -- CMD...

Each notification becomes one JSON line in FILE: {"lines": [...], "ports": [...]} (the
port each passed descriptor is bound to). SIGHUP restarts CMD (SIGTERM, wait, start again
with the stored descriptors); SIGTERM stops it and exits with its status.
"""
import argparse
import array
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="fake-systemd.")
    path = os.path.join(tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(path)
    store = {}  # FDNAME -> descriptor
    events = open(a.events, "a", buffering=1)
    rd, wr = os.pipe()
    os.set_blocking(wr, False)
    pending = []

    def on_signal(sig, _):
        pending.append(sig)
        os.write(wr, b"x")

    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGCHLD, lambda *_: os.write(wr, b"x"))

    def start():
        names, fds = list(store), list(store.values())
        env = dict(os.environ, NOTIFY_SOCKET=path)
        if fds:
            env.update(LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=":".join(names))

        def place():
            high = [os.dup(fd) for fd in fds]  # out of the way of 3, 4, ...
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)

        # LISTEN_PID must be the pid that execs CMD: sh sets it to its own, then execs.
        return subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh"] + a.cmd, env=env,
                                preexec_fn=place, close_fds=False)

    child = start()
    while True:
        try:
            import select
            r, _, _ = select.select([notify, rd], [], [], 1.0)
        except InterruptedError:
            continue
        if rd in r:
            os.read(rd, 1024)
        if notify in r:
            msg, anc, _, _ = notify.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
            fds = []
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    arr = array.array("i")
                    arr.frombytes(data[:len(data) - len(data) % arr.itemsize])
                    fds.extend(arr)
            lines = msg.decode().split("\n")
            ports = [socket.socket(fileno=os.dup(fd)).getsockname()[1] for fd in fds]
            events.write(json.dumps({"lines": lines, "ports": ports}) + "\n")
            name = next((x[7:] for x in lines if x.startswith("FDNAME=")), "stored")
            if "FDSTORE=1" in lines:
                for fd in fds:
                    if name in store:
                        os.close(store[name])
                    store[name] = fd
            else:
                for fd in fds:
                    os.close(fd)
            if "FDSTOREREMOVE=1" in lines and name in store:
                os.close(store.pop(name))
        while pending:
            sig = pending.pop(0)
            child.send_signal(signal.SIGTERM)
            status = child.wait()
            events.write(json.dumps({"exited": status}) + "\n")
            if sig == signal.SIGTERM:
                sys.exit(status)
            child = start()
        if child.poll() is not None and not pending:
            events.write(json.dumps({"exited": child.returncode}) + "\n")
            sys.exit(child.returncode)


if __name__ == "__main__":
    main()
