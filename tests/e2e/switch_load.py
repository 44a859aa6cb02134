#!/usr/bin/env python3
"""Switches a live `slipway run` between two releases under steady load (tests/e2e/loadgen.py)
and reports what the clients saw. Used by t_run_switch_load.sh and bench_web_switch.sh.

  switch_load.py --port P --root STORE --slipway BIN --a A --b B --cycles N [--rate 120]

Each cycle: `slipway activate B`, wait until the page says B; `slipway rollback`, wait until
it says A. "X-to-serving" is the time from starting the command to the arrival of the first
answer of the other page (polled on fresh connections, a new poll every 5 ms). After each switch every /_next/static/
asset the page of the release just left referenced is requested again (version skew).
Prints one JSON object. Bounded: each wait gives up after --switch-timeout seconds.
"""
import argparse
import asyncio
import json
import re
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from loadgen import Closed, Load, RUNNING, read_response  # noqa: E402
import skew_tabs  # noqa: E402

ASSET = re.compile(rb'(/_next/static/[^"\'\s<>?\\]+)')


async def get(port, path, timeout=2.0):
    """(status, body) on a fresh connection; raises on any failure."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                         "Connection: close\r\n\r\n".encode())
            await writer.drain()
            status, _, body = await read_response(reader)
            return status, body
        finally:
            writer.close()


async def page_version(port):
    try:
        status, body = await get(port, "/")
    except (OSError, Closed, TimeoutError, asyncio.IncompleteReadError):
        return None, b""
    m = RUNNING.search(body) if status == 200 else None
    return (m.group(1).decode() if m else None), body


async def switch(args, cmd, want):
    """Runs `slipway CMD...` while polling the page on fresh connections, one new poll every
    5 ms (at most 3 at once: a page render takes tens of ms here, and sequential polls would
    add up to one render to the measure). Returns the ms from starting the command to the
    arrival of the first answer showing `want`, or None after --switch-timeout."""
    t0 = time.monotonic()
    proc = await asyncio.create_subprocess_exec(args.slipway, *cmd, "--root", args.root,
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    waiter = asyncio.ensure_future(proc.communicate())
    command_ms = None
    seen = asyncio.get_running_loop().create_future()
    polls = set()

    async def poll():
        v, _ = await page_version(args.port)
        if v == want and not seen.done():
            seen.set_result((time.monotonic() - t0) * 1000)

    deadline = t0 + args.switch_timeout
    while not seen.done() and time.monotonic() < deadline:
        if command_ms is None and waiter.done():
            command_ms = (time.monotonic() - t0) * 1000
        if len(polls) < 3:
            p = asyncio.ensure_future(poll())
            polls.add(p)
            p.add_done_callback(polls.discard)
        try:
            await asyncio.wait_for(asyncio.shield(seen), 0.005)
        except TimeoutError:
            pass
    if polls:
        await asyncio.gather(*list(polls), return_exceptions=True)
    _, err = await waiter
    if command_ms is None:
        command_ms = (time.monotonic() - t0) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"slipway {' '.join(cmd)} failed: {err.decode().strip()}")
    args.command_ms.append(command_ms)
    return seen.result() if seen.done() else None


async def assets_of(port):
    _, body = await page_version(port)
    return sorted(set(m.decode() for m in ASSET.findall(body)))


async def check_assets(port, assets, bad, counted, timeout):
    for a in assets:
        counted.append(a)
        try:
            status, _ = await get(port, a, timeout)
        except (OSError, Closed, TimeoutError, asyncio.IncompleteReadError) as e:
            status = type(e).__name__
        if status != 200:
            bad.append(f"{a}: {status}")


async def request_mix(port, health):
    """What the load asks for, in turn: 1 page render in 16, 4 health checks, 11 static
    assets of the page (what a browser mostly fetches; a page render costs Next.js ~25 ms of
    CPU here, so a page-only load would measure the machine, not the switch)."""
    assets = [x for x in await assets_of(port) if x.endswith((".js", ".css"))] or ["/"]
    mix = ["/"] + [health] * 4 + [assets[i % len(assets)] for i in range(11)]
    return mix


def pct(xs, p):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    return round(xs[min(len(xs) - 1, int(p * len(xs)))], 1)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--slipway", required=True)
    ap.add_argument("--a", required=True, help="the live release (rollback target)")
    ap.add_argument("--b", required=True, help="the release activated each cycle")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--rate", type=float, default=120.0)
    ap.add_argument("--health", default="/api/health", help="a cheap path of the app")
    ap.add_argument("--settle", type=float, default=0.3, help="seconds of load between switches")
    ap.add_argument("--switch-timeout", type=float, default=60.0)
    ap.add_argument("--timeout", type=float, default=5.0,
                    help="seconds a request may take before it counts as failed")
    ap.add_argument("--tabs", action="store_true",
                    help="before each switch open a tab of /notes; after it, use it "
                         "(skew_tabs.py): the example app's Server Actions, chunks, streams")
    a = ap.parse_args()
    a.command_ms = []
    tabs = {"opened": 0, "failures": [], "tags": [], "streams": 0, "streams_cut": []}

    async def tab_open(version):
        if not a.tabs:
            return None
        tab = await asyncio.to_thread(skew_tabs.Tab, a.port, a.root, version)
        tab.start_stream()
        tabs["opened"] += 1
        return tab

    async def tab_use(tab, tag):
        if not tab:
            return
        bad, tags = await asyncio.to_thread(tab.act, tag)
        tabs["failures"] += [f"{tag}: {b}" for b in bad]
        tabs["tags"] += tags
        tabs["streams"] += 1
        cut = await asyncio.to_thread(tab.stream_result)
        if cut:
            tabs["streams_cut"].append(f"{tag}: {cut}")

    v, _ = await page_version(a.port)
    if v != a.a:
        raise SystemExit(f"the page shows {v!r}, not {a.a!r}, before the first switch")
    load = Load(a.port, rate=a.rate, paths=await request_mix(a.port, a.health),
                timeout=a.timeout)
    load.start()
    await asyncio.sleep(a.settle)
    activate_ms, rollback_ms, skew, checked = [], [], [], []
    for cycle in range(a.cycles):
        assets_a = await assets_of(a.port)
        tab = await tab_open(a.a)
        activate_ms.append(await switch(a, ["activate", a.b], a.b))
        await check_assets(a.port, assets_a, skew, checked, a.timeout)
        await tab_use(tab, f"c{cycle}-{a.a}-after-activate")
        await asyncio.sleep(a.settle)
        assets_b = await assets_of(a.port)
        tab = await tab_open(a.b)
        rollback_ms.append(await switch(a, ["rollback"], a.a))
        await check_assets(a.port, assets_b, skew, checked, a.timeout)
        await tab_use(tab, f"c{cycle}-{a.b}-after-rollback")
        await asyncio.sleep(a.settle)
    summary = await load.stop()
    if a.tabs:
        counts = skew_tabs.count_notes(__import__("os").path.join(a.root, "shared", "notes.log"),
                                       tabs["tags"])
        tabs["actions"] = len(counts)
        tabs["lost_actions"] = sorted(t for t, n in counts.items() if n == 0)
        tabs["repeated_actions"] = sorted(t for t, n in counts.items() if n > 1)
        del tabs["tags"]
    print(json.dumps({
        "cycles": a.cycles,
        "switches": 2 * a.cycles,
        "load": summary,
        "activate_ms": activate_ms,
        "rollback_ms": rollback_ms,
        "rollback_ms_p50": pct(rollback_ms, 0.5),
        "rollback_ms_p95": pct(rollback_ms, 0.95),
        "activate_ms_p50": pct(activate_ms, 0.5),
        "activate_ms_p95": pct(activate_ms, 0.95),
        "command_ms_p50": pct(a.command_ms, 0.5),
        "never_served": sum(1 for x in activate_ms + rollback_ms if x is None),
        "assets_checked": len(checked),
        "asset_failures": skew,
        **({"tabs": tabs} if a.tabs else {}),
    }), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
