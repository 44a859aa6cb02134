#!/usr/bin/env python3
"""Steady HTTP load on a loopback port, for the zero-downtime tests and the switch bench.

Half the requests (--keepalive) travel on a few persistent HTTP/1.1 connections, the rest each
open a fresh connection. Every request must answer 200 with a complete body; anything else is a
failure, classified as:
  refused     connect() refused (nothing listening: the gap a stop-then-start leaves)
  reset       the connection was reset or closed before the whole answer arrived
  timeout     no complete answer within --timeout seconds
  status      an answer other than 200
A keep-alive connection the server ends with `Connection: close` (or an HTTP/1.0 answer
without keep-alive) is reopened for the next request (that is the protocol, not a failure); one the server closes while idle, without
having said so, is counted as `idle_closed` (a client racing that close gets a reset).

Used as a library (the bench drives switches while it runs) or alone:
  loadgen.py --port P [--rate 120] [--seconds 10 | --stop-file F] [--path /] ...
prints one JSON summary line when done (SIGTERM/SIGINT also end it).
"""
import argparse
import asyncio
import json
import os
import re
import signal
import sys
import time

RUNNING = re.compile(rb'id="running">([^<]*)<')


class Stats:
    def __init__(self):
        self.requests = self.ok = 0
        self.fail = {"refused": 0, "reset": 0, "timeout": 0, "status": 0}
        self.idle_closed = 0
        self.reconnects = 0
        self.versions = {}
        self.errors = []
        self.latencies = []

    def failed(self, kind, what):
        self.fail[kind] += 1
        if len(self.errors) < 20:
            self.errors.append(f"{time.strftime('%H:%M:%S')} {kind}: {what}")

    def summary(self, seconds):
        failed = sum(self.fail.values())
        lat = sorted(self.latencies)
        pct = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else 0
        return {
            "seconds": round(seconds, 2),
            "requests": self.requests,
            "rate": round(self.requests / seconds, 1) if seconds else 0,
            "ok": self.ok,
            "failed": failed,
            **self.fail,
            "idle_closed": self.idle_closed,
            "reconnects": self.reconnects,
            "latency_ms_p50": pct(0.5),
            "latency_ms_p99": pct(0.99),
            "versions": self.versions,
            "errors": self.errors,
        }


class Closed(Exception):
    pass


async def read_response(reader):
    """(status, headers dict with lower-case names, body) of one HTTP/1.x answer."""
    line = await reader.readline()
    if not line:
        raise Closed("closed before the status line")
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise Closed(f"bad status line {line[:60]!r}")
    status = int(parts[1])
    headers = {":version": parts[0].decode()}
    while True:
        h = await reader.readline()
        if not h:
            raise Closed("closed inside the headers")
        if h in (b"\r\n", b"\n"):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    body = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readline()
            if not size_line:
                raise Closed("closed inside a chunked body")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif status not in (204, 304):
        body = await reader.read()
    return status, headers, body


class Load:
    def __init__(self, port, rate=120.0, keepalive=0.5, conns=4, paths=("/",), timeout=5.0,
                 host="127.0.0.1"):
        self.port, self.host = port, host
        self.rate, self.keepalive, self.conns = rate, keepalive, conns
        self.paths = list(paths)
        self.timeout = timeout
        self.stats = Stats()
        self.stopping = False
        self.tasks = []
        self.inflight = set()
        self.n = 0

    def _path(self):
        self.n += 1
        return self.paths[self.n % len(self.paths)]

    def _record(self, status, body, t0):
        st = self.stats
        st.latencies.append(time.monotonic() - t0)
        if status != 200:
            st.failed("status", f"HTTP {status}")
            return
        st.ok += 1
        m = RUNNING.search(body)
        if m:
            v = m.group(1).decode()
            st.versions[v] = st.versions.get(v, 0) + 1

    async def _exchange(self, reader, writer, path, close):
        req = (f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
               f"User-Agent: slipway-loadgen\r\n"
               + ("Connection: close\r\n" if close else "") + "\r\n")
        writer.write(req.encode())
        await writer.drain()
        return await read_response(reader)

    async def _fresh_one(self):
        st = self.stats
        st.requests += 1
        t0 = time.monotonic()
        writer = None
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                except ConnectionRefusedError as e:
                    st.failed("refused", f"fresh connect: {e}")
                    return
                status, _, body = await self._exchange(reader, writer, self._path(), True)
            self._record(status, body, t0)
        except TimeoutError:
            st.failed("timeout", "fresh request")
        except (ConnectionError, Closed, asyncio.IncompleteReadError, OSError) as e:
            st.failed("reset", f"fresh request: {type(e).__name__} {e}")
        finally:
            if writer:
                writer.close()

    async def _fresh_loop(self, rate):
        interval = 1.0 / rate
        nxt = time.monotonic()
        while not self.stopping:
            t = asyncio.ensure_future(self._fresh_one())
            self.inflight.add(t)
            t.add_done_callback(self.inflight.discard)
            nxt += interval
            await asyncio.sleep(max(0.0, nxt - time.monotonic()))

    async def _keepalive_loop(self, rate):
        st = self.stats
        interval = 1.0 / rate
        reader = writer = None
        nxt = time.monotonic()
        while not self.stopping:
            if writer is not None and reader.at_eof():
                st.idle_closed += 1  # closed by the server while idle, without saying so
                writer.close()
                reader = writer = None
            st.requests += 1
            t0 = time.monotonic()
            try:
                async with asyncio.timeout(self.timeout):
                    if writer is None:
                        try:
                            reader, writer = await asyncio.open_connection(self.host, self.port)
                            st.reconnects += 1
                        except ConnectionRefusedError as e:
                            st.failed("refused", f"keep-alive connect: {e}")
                    if writer is not None:
                        status, headers, body = await self._exchange(reader, writer,
                                                                     self._path(), False)
                if writer is not None:
                    self._record(status, body, t0)
                    conn = headers.get("connection", "").lower()
                    if conn == "close" or (headers[":version"] == "HTTP/1.0" and
                                           conn != "keep-alive"):
                        writer.close()
                        reader = writer = None
            except TimeoutError:
                st.failed("timeout", "keep-alive request")
                if writer:
                    writer.close()
                reader = writer = None
            except (ConnectionError, Closed, asyncio.IncompleteReadError, OSError) as e:
                st.failed("reset", f"keep-alive request: {type(e).__name__} {e}")
                if writer:
                    writer.close()
                reader = writer = None
            nxt += interval
            await asyncio.sleep(max(0.0, nxt - time.monotonic()))
        if writer:
            writer.close()

    def start(self):
        self.t0 = time.monotonic()
        ka = self.rate * self.keepalive
        if ka > 0:
            for _ in range(self.conns):
                self.tasks.append(asyncio.ensure_future(self._keepalive_loop(ka / self.conns)))
        if self.rate - ka > 0:
            self.tasks.append(asyncio.ensure_future(self._fresh_loop(self.rate - ka)))

    async def stop(self):
        self.stopping = True
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.inflight:
            await asyncio.gather(*list(self.inflight), return_exceptions=True)
        return self.stats.summary(time.monotonic() - self.t0)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rate", type=float, default=120.0, help="requests per second in all")
    ap.add_argument("--keepalive", type=float, default=0.5, help="share on keep-alive connections")
    ap.add_argument("--conns", type=int, default=4, help="keep-alive connections")
    ap.add_argument("--path", action="append", help="path(s) to request in turn (default /)")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, help="run this long (bounded)")
    ap.add_argument("--stop-file", help="run until this file exists (checked every 20 ms)")
    ap.add_argument("--max-seconds", type=float, default=600.0, help="upper bound in any case")
    a = ap.parse_args()
    load = Load(a.port, a.rate, a.keepalive, a.conns, a.path or ["/"], a.timeout)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    load.start()
    end = time.monotonic() + min(a.seconds or a.max_seconds, a.max_seconds)
    while not done.is_set() and time.monotonic() < end:
        if a.stop_file and os.path.exists(a.stop_file):
            break
        try:
            await asyncio.wait_for(done.wait(), 0.02)
        except TimeoutError:
            pass
    print(json.dumps(await load.stop()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
