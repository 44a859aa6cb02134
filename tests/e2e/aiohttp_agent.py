#!/usr/bin/env python3
"""The example's stand-in LiveKit worker (agent/main.py beside this file) with the health
server bound the way the real Python framework binds it: aiohttp's web.TCPSite on a fixed
port (AGENT_FIXED_PORT, default 8081, the framework's), ignoring SLIPWAY_HEALTH_PORT. It is
the stock worker slipway must run without a code change: two of them side by side would
collide on that port unless slipway's Python startup hook moves the bind.

    python3 aiohttp_agent.py start      (needs aiohttp: Debian's python3-aiohttp)
"""
import asyncio
import os
import sys
import threading

from aiohttp import web

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import main  # noqa: E402  the example's worker: registration, jobs, drain


def start_health_server(_port):
    port = int(os.environ.get("AGENT_FIXED_PORT", "8081"))
    loop = asyncio.new_event_loop()

    async def health(_request):
        if main.registered:
            return web.Response(text="OK")
        return web.Response(status=503, text="not connected to livekit")

    async def serve():
        app = web.Application()
        app.router.add_get("/", health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", port)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    threading.Thread(target=loop.run_forever, daemon=True).start()
    # A taken port is fatal, as in the framework (asyncio's "address already in use").
    bound = asyncio.run_coroutine_threadsafe(serve(), loop).result()
    main.log("health server (aiohttp) asked for port %d, listening on port %d" % (port, bound))


main.start_health_server = start_health_server

if __name__ == "__main__":
    os.environ.pop("AGENT_HEALTH_PORT", None)
    sys.exit(main.main(sys.argv))
